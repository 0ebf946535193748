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
        if extraction.hub != nil || extraction.data != nil {
            throw ValidationError("\(flag) ranks feature files (--features DIR --labels FILE); splitting hub extraction across processes is not implemented yet: extract first (`hubminer extract --hub HUB --data DATA --out DIR`), then rank DIR's features with \(flag)")
        }
        guard features != nil, labels != nil else { throw ValidationError("\(flag) needs --features DIR and --labels FILE") }
        guard sourceProbs == nil else {
            throw ValidationError("\(flag) runs the metrics on statistics, which do not use source probabilities: leave out --source-probs")
        }
        guard tolerance > 0 && tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
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
            skipUnsupportedMetrics: metric.lowercased() == "all", threads: threads)
        // Only rank 0 has a result: the other ranks print nothing on stdout.
        guard let result = try backend.rankAsProcess(configuration, progress: ProgressReporter(style: quiet ? .silent : nil)) else { return }
        try emit(try RankingRenderer.render(result, as: format), to: output)
        if !result.failed.isEmpty {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}
