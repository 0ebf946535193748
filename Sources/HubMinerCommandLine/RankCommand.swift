import ArgumentParser
import Foundation
import HubMiner
import Ranking
import Report

extension TaskKind: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
extension RankSchedule: ExpressibleByArgument {}
extension LogME.Compatibility: ExpressibleByArgument {}
extension FeatureTransform: ExpressibleByArgument {}

public struct RankCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "rank",
        abstract: "Rank models from their feature files with LogME and other transferability metrics.",
        discussion: """
        --features holds one file per model (.npy, .npz, .safetensors or .csv); the file's \
        stem is the model's name and its N x D matrix the model's features on the N \
        labelled samples, in the same order as --labels.

        Or give --hub and --data: every hub model's features (and source probabilities) \
        are extracted on the dataset through the cache (--cache-dir), then ranked with \
        the dataset's labels. With --nproc N (or --distributed), each process extracts \
        every model on its own block of samples, without the cache, and the statistics \
        are summed across processes.
        """
    )

    @Option(help: "Directory with one feature file per model.")
    var features: String?

    @Option(parsing: .upToNextOption,
            help: "Shard directories written by `hubminer stats`: each model's shards are merged (the statistics add) and ranked with the metrics that run on statistics.")
    var stats: [String] = []

    @Option(help: "Labels: N class ids, N or N x K regression targets, or N x C 0/1 multi-label indicators.")
    var labels: String?

    @OptionGroup var extraction: ExtractionOptions

    @Option(help: "classification, regression or multilabel.")
    var task: TaskKind = .classification

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Option(help: "Metrics, comma-separated, the first ranks the table (\(MetricRegistry.names.joined(separator: ", "))), or all.")
    var metric: String = "logme"

    @Option(name: .customLong("source-probs"), help: "Directory of source-class probability files (same stems as the features), for LEEP and NCE.")
    var sourceProbs: String?

    @Option(name: .customLong("source-key"), help: "Array name of source probabilities inside multi-array feature files.")
    var sourceKey: String = "source_probs"

    @Option(help: "Array name inside .npz/.safetensors feature files that hold several.")
    var key: String?

    @Option(name: .customLong("label-key"), help: "Array name inside a .npz/.safetensors labels file that holds several.")
    var labelKey: String?

    @Option(help: "Feature transform before the feature-based metrics: none or ped (Potential Energy Descent).")
    var transform: FeatureTransform = .none

    @Option(help: "exact (iterate to --tolerance) or paper (the published reference schedule).")
    var compat: LogME.Compatibility = .exact

    @Option(help: "Relative tolerance on alpha/beta.")
    var tolerance: Double = 1e-8

    @Option(name: .customLong("max-iterations"), help: "Iteration cap per target column.")
    var maxIterations: Int = 10_000

    @Option(help: "Cores to use (default: all).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "auto, sequential (all cores per model) or concurrent (one model per core).")
    var schedule: RankSchedule = .auto

    @Option(help: "Also write the output to this file (atomically).")
    var output: String?

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Flag(help: "Run as one process of a multi-process ranking described by RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT: rows (or, with --hub, the samples each rank extracts) split across processes, statistics all-reduced, metrics that run on statistics only; rank 0 prints the result.")
    var distributed = false

    @Option(help: "Start N local processes of a multi-process ranking (each runs with --distributed) and print rank 0's result.")
    var nproc: Int?

    public func validate() throws {
        if distributed || nproc != nil { return try validateDistributed() }
        let fromFiles = features != nil || labels != nil || sourceProbs != nil || key != nil || labelKey != nil
        let fromHub = extraction.hub != nil || extraction.data != nil || extraction.split != nil
            || extraction.cacheDir != nil || extraction.models != nil
        if !stats.isEmpty {
            guard !fromFiles && !fromHub else {
                throw ValidationError("--stats ranks from statistics files alone: leave out --features/--labels/--hub/--data")
            }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if transform != .none, !stats.isEmpty || distributed || nproc != nil {
            throw ValidationError("--transform \(transform.rawValue) needs the features in memory; it cannot run on --stats or distributed ranking")
        }
            return
        }
        if fromFiles && fromHub {
            throw ValidationError("give either --features/--labels (feature files) or --hub/--data (extract from a hub), not both")
        }
        if fromHub {
            guard extraction.hub != nil, extraction.data != nil else { throw ValidationError("--hub and --data go together") }
            guard task == .classification else { throw ValidationError("--hub ranks on the dataset's class labels: --task must be classification") }
        } else {
            guard features != nil, labels != nil else {
                throw ValidationError("give --features DIR and --labels FILE, or --hub HUB and --data DATA")
            }
        }
        guard tolerance > 0 && tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            if distributed || nproc != nil { return try runDistributed() }
            if !stats.isEmpty { return try runFromStatistics() }
            let logme = LogME(tolerance: tolerance, maxIterations: maxIterations, compatibility: compat)
            let config = RankConfiguration(
                featuresDirectory: URL(fileURLWithPath: features ?? "."), labelsFile: URL(fileURLWithPath: labels ?? "."),
                task: task, featureKey: key, labelKey: labelKey, logME: logme,
                metrics: transform.apply(to: try MetricRegistry.metrics(named: metric).map { $0 is LogME ? logme : $0 }),
                sourceProbabilitiesDirectory: sourceProbs.map { URL(fileURLWithPath: $0) }, sourceKey: sourceKey,
                skipInapplicableMetrics: metric.lowercased() == "all",
                threads: threads, schedule: schedule)
            let progress = ProgressReporter(style: quiet ? .silent : nil)
            let result: RankingResult
            if extraction.hub != nil {
                guard let backend = HubBackend.ranking else { try HubMinerCommand.forwardToTorchExecutable() }
                result = try backend.rank(extraction: extraction, threads: threads, rank: config, progress: progress)
            } else {
                result = try RankJob.run(config, progress: progress)
            }
            try emit(try RankingRenderer.render(result, as: format), to: output)
            if !result.failed.isEmpty {
                FileHandle.standardError.write(Data("hubminer: \(result.failed.count) model(s) skipped: \(result.failed.map(\.name).joined(separator: ", "))\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    /// `--stats DIR...`: merge each model's shards and rank on the statistics.
    private func runFromStatistics() throws {
        let result = try StatsRankJob.run(
            shardDirectories: stats.map { URL(fileURLWithPath: $0) }, metrics: try MetricRegistry.metrics(named: metric),
            logME: LogME(tolerance: tolerance, maxIterations: maxIterations, compatibility: compat),
            skipUnsupportedMetrics: metric.lowercased() == "all",
            progress: ProgressReporter(style: quiet ? .silent : nil))
        try emit(try RankingRenderer.render(result, as: format), to: output)
        if !result.failed.isEmpty {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}
