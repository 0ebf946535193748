import ArgumentParser
import Foundation
import HubMiner
import Ranking
import Report

/// `rank --distributed` and `rank --nproc N` (docs/DISTRIBUTED.md).
extension RankCommand {
    func validateDistributed() throws {
        let flag = nproc != nil ? "--nproc" : "--distributed"
        if let nproc, nproc < 1 { throw ValidationError("--nproc must be at least 1, got \(nproc)") }
        if nproc != nil && distributed {
            throw ValidationError("give --nproc N to start local processes, or --distributed in each process you start yourself, not both")
        }
        guard stats.isEmpty else {
            throw ValidationError("\(flag) splits feature files across processes; --stats already merges precomputed shards in one process")
        }
        let fromHub = extraction.hub != nil || extraction.data != nil || extraction.split != nil || extraction.models != nil
        if fromHub {
            guard features == nil, labels == nil, key == nil, labelKey == nil else {
                throw ValidationError("give either --features/--labels (feature files) or --hub/--data (extract from a hub), not both")
            }
            guard extraction.hub != nil, extraction.data != nil else { throw ValidationError("--hub and --data go together") }
            guard task == .classification else { throw ValidationError("--hub ranks on the dataset's class labels: --task must be classification") }
            guard extraction.cacheDir == nil else {
                throw ValidationError("\(flag) with --hub extracts each rank's samples in memory and neither reads nor writes the cache: leave out --cache-dir")
            }
        } else {
            guard features != nil, labels != nil else {
                throw ValidationError("\(flag) needs --features DIR and --labels FILE, or --hub HUB and --data DATA")
            }
        }
        guard sourceProbs == nil else {
            throw ValidationError("\(flag) runs the metrics on statistics, which do not use source probabilities: leave out --source-probs")
        }
        guard tolerance > 0 && tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// Where each rank extracts from, with --hub/--data; nil for feature files.
    private func hubExtraction() throws -> DistributedHubExtraction? {
        guard let hub = extraction.hub else { return nil }
        guard let data = extraction.data else { throw ValidationError("--hub and --data go together") }
        return DistributedHubExtraction(
            hub: URL(fileURLWithPath: hub), data: URL(fileURLWithPath: data), split: extraction.split?.rawValue,
            batchSize: extraction.batchSize,
            models: extraction.models.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
            torchThreads: extraction.torchThreads, loaderWorkers: extraction.loaderWorkers)
    }

    func runDistributed() throws {
        guard let backend = HubBackend.distributedRanking else { try HubMinerCommand.forwardToTorchExecutable() }
        if let nproc {
            let status = try backend.launchLocalRanks(processCount: nproc, arguments: Array(CommandLine.arguments.dropFirst()))
            if status != 0 { throw ExitCode(status) }
            return
        }
        let configuration = DistributedRankConfiguration(
            features: URL(fileURLWithPath: features ?? "."), labelsFile: URL(fileURLWithPath: labels ?? "."), task: task,
            featureKey: key, labelKey: labelKey, metrics: try MetricRegistry.metrics(named: metric),
            logME: LogME(tolerance: tolerance, maxIterations: maxIterations, compatibility: compat),
            skipUnsupportedMetrics: metric.lowercased() == "all", threads: threads,
            hubExtraction: try hubExtraction())
        // Only rank 0 has a result: the other ranks print nothing on stdout.
        guard let result = try backend.rankAsProcess(configuration, progress: ProgressReporter(style: quiet ? .silent : nil)) else { return }
        try emit(try RankingRenderer.render(result, as: format), to: output)
        if !result.failed.isEmpty {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}
