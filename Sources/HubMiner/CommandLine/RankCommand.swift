import ArgumentParser
import Foundation
import Ranking
import Report

extension TaskKind: ExpressibleByArgument {}
extension RankSchedule: ExpressibleByArgument {}
extension LogME.Compatibility: ExpressibleByArgument {}
extension FeatureTransform: ExpressibleByArgument {}
extension ProgressiveBudget: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

/// The options of `rank`, parsed the same way by both executables.
public struct RankOptions: CommandOptions {
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
    public var features: String?

    @Option(
        parsing: .upToNextOption,
        help:
            "Shard directories written by `hubminer stats`: each model's shards are merged (the statistics add) and ranked with the metrics that run on statistics."
    )
    public var stats: [String] = []

    @Option(help: "Labels: N class ids, N or N x K regression targets, or N x C 0/1 multi-label indicators.")
    public var labels: String?

    @OptionGroup public var extraction: ExtractionOptions

    @Option(help: "classification, regression or multilabel.")
    public var task: TaskKind = .classification

    @Option(help: "Metrics, comma-separated, the first ranks the table (\(MetricRegistry.names.joined(separator: ", "))), or all.")
    public var metric: String = "logme"

    @Option(name: .customLong("source-probs"), help: "Directory of source-class probability files (same stems as the features), for LEEP and NCE.")
    public var sourceProbs: String?

    @Option(name: .customLong("source-key"), help: "Array name of source probabilities inside multi-array feature files.")
    public var sourceKey: String = "source_probs"

    @Option(help: "Array name inside .npz/.safetensors feature files that hold several.")
    public var key: String?

    @Option(name: .customLong("label-key"), help: "Array name inside a .npz/.safetensors labels file that holds several.")
    public var labelKey: String?

    @Option(help: "Feature transform before the feature-based metrics: none or ped (Potential Energy Descent).")
    public var transform: FeatureTransform = .none

    @Option(help: "exact (iterate to --tolerance) or paper (the published reference schedule).")
    public var compat: LogME.Compatibility = .exact

    @Option(help: "Relative tolerance on alpha/beta.")
    public var tolerance: Double = 1e-8

    @Option(name: .customLong("max-iterations"), help: "Iteration cap per target column.")
    public var maxIterations: Int = 10_000

    @Option(help: "Cores to use (default: all).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "auto, sequential (all cores per model) or concurrent (one model per core).")
    public var schedule: RankSchedule = .auto

    @OptionGroup public var output: OutputOptions

    @Flag(
        help:
            "Run as one process of a multi-process ranking described by RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT: rows (or, with --hub, the samples each rank extracts) split across processes, statistics all-reduced, metrics that run on statistics only; rank 0 prints the result."
    )
    public var distributed = false

    @Option(help: "Start N local processes of a multi-process ranking (each runs with --distributed) and print rank 0's result.")
    public var nproc: Int?

    @Flag(
        help: """
            With --hub: extract on growing, nested, stratified subsets of the samples (10%, 25%, 50%, 100%); after each \
            stage, score every model with a half-sample interval and stop extracting those whose interval lies wholly \
            below the --top-th best's (with --settle, stop every model once the top-k set is settled). Stage boundaries \
            are whole batches. Stopped models are listed last with a partial score (marked *) and the reason.
            """)
    public var progressive = false

    @Option(
        help:
            "With --progressive: the extraction allowed, in model-samples (N or N-samples) or seconds (Ns); a stage that would exceed it is not started (the first always runs) and the models still running get partial scores."
    )
    public var budget: ProgressiveBudget?

    @Option(help: "With --progressive: k, the number of best models that must stay certain (default 3).")
    public var top: Int?

    @Option(name: .customLong("progressive-seed"), help: "With --progressive: seed of the stage order and the intervals' resamples.")
    public var progressiveSeed: UInt64 = 0

    @Flag(
        inversion: .prefixedNo,
        help: """
            With --progressive: stop every model as soon as the top-k set and its leader are settled (the lowest \
            lower bound of the top k above every other model's upper bound, the leader's lower bound above the rest \
            of the top k's upper bounds); the scores are then partial. The intervals are simultaneous (95% for all \
            models and stages together) but cover the score at the stage's sample count, not the full data's: LogME \
            rises with the sample count by different amounts for different models, so the claim is not guaranteed \
            to be the full ranking's (off by default; see docs/HUB.md).
            """)
    public var settle = false

    /// Ranking across processes (--distributed, --nproc).
    public var isDistributed: Bool { distributed || nproc != nil }

    /// Extraction from a hub or ranking across processes need the deep-learning layer.
    public var runsModels: Bool { extraction.hub != nil || extraction.data != nil || isDistributed }

    public func validate() throws {
        if !progressive, budget != nil || top != nil || settle {
            throw ValidationError("--budget, --top and --settle go with --progressive")
        }
        if progressive {
            guard extraction.hub != nil, !isDistributed else { throw ValidationError("--progressive ranks a hub (--hub, --data) in one process") }
            guard extraction.layers == .last else { throw ValidationError("--progressive ranks each model's representation: leave out --layers") }
            guard extraction.precision == "float32" else { throw ValidationError("--progressive runs in float32: leave out --precision") }
            if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        }
        if transform != .none, !stats.isEmpty || isDistributed {
            throw ValidationError("--transform \(transform.rawValue) needs the features in memory; it cannot run on --stats or distributed ranking")
        }
        if isDistributed, extraction.precision != "float32" { throw ValidationError("distributed ranking runs in float32: leave out --precision") }
        if isDistributed { return try validateDistributed() }
        let fromFiles = features != nil || labels != nil || sourceProbs != nil || key != nil || labelKey != nil
        let fromHub =
            extraction.hub != nil || extraction.data != nil || extraction.split != nil
            || extraction.cacheDir != nil || extraction.models != nil
        if !stats.isEmpty {
            guard !fromFiles && !fromHub else {
                throw ValidationError("--stats ranks from statistics files alone: leave out --features/--labels/--hub/--data")
            }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
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
        try validateNumbers()
    }

    private func validateNumbers() throws {
        guard tolerance > 0 && tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
        guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    private func validateDistributed() throws {
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
                throw ValidationError(
                    "\(flag) with --hub extracts each rank's samples in memory and neither reads nor writes the cache: leave out --cache-dir")
            }
        } else {
            guard features != nil, labels != nil else {
                throw ValidationError("\(flag) needs --features DIR and --labels FILE, or --hub HUB and --data DATA")
            }
        }
        guard sourceProbs == nil else {
            throw ValidationError("\(flag) runs the metrics on statistics, which do not use source probabilities: leave out --source-probs")
        }
        try validateNumbers()
    }

    public var logME: LogME { LogME(tolerance: tolerance, maxIterations: maxIterations, compatibility: compat) }

    /// The ranking configuration of these options (feature files, or the targets a hub extraction feeds).
    public func configuration() throws -> RankConfiguration {
        RankConfiguration(
            featuresDirectory: URL(fileURLWithPath: features ?? "."), labelsFile: URL(fileURLWithPath: labels ?? "."),
            task: task, featureKey: key, labelKey: labelKey, logME: logME,
            metrics: transform.apply(to: try MetricRegistry.metrics(named: metric).map { $0 is LogME ? logME : $0 }),
            sourceProbabilitiesDirectory: sourceProbs.map { URL(fileURLWithPath: $0) }, sourceKey: sourceKey,
            skipInapplicableMetrics: metric.lowercased() == "all",
            threads: threads, schedule: schedule)
    }

    /// One rank's configuration of a multi-process ranking.
    public func distributedConfiguration() throws -> DistributedRankConfiguration {
        var hubExtraction: DistributedHubExtraction?
        if let hub = extraction.hub {
            guard let data = extraction.data else { throw ValidationError("--hub and --data go together") }
            hubExtraction = DistributedHubExtraction(
                hub: URL(fileURLWithPath: hub), data: URL(fileURLWithPath: data), split: extraction.split?.rawValue,
                batchSize: extraction.batchSize, models: extraction.modelList,
                torchThreads: extraction.torchThreads, loaderWorkers: extraction.loaderWorkers)
        }
        return DistributedRankConfiguration(
            features: URL(fileURLWithPath: features ?? "."), labelsFile: URL(fileURLWithPath: labels ?? "."), task: task,
            featureKey: key, labelKey: labelKey, metrics: try MetricRegistry.metrics(named: metric), logME: logME,
            skipUnsupportedMetrics: metric.lowercased() == "all", threads: threads, hubExtraction: hubExtraction)
    }

    /// The paths this ranking reads: --output may be none of them, nor inside them.
    public var inputs: CommandInputs {
        CommandInputs(
            [
                ("--features", features), ("--labels", labels), ("--source-probs", sourceProbs), ("--hub", extraction.hub),
                ("--data", extraction.data),
            ] + stats.map { ("--stats", $0) })
    }

    /// Ranking from feature files or from statistics shards: the routes that need no models.
    public func rankWithoutModels() throws {
        try output.check(inputs: inputs)
        let progress = output.progress
        if !stats.isEmpty {
            let result = try StatsRankJob.run(
                shardDirectories: stats.map { URL(fileURLWithPath: $0) }, metrics: try MetricRegistry.metrics(named: metric),
                logME: logME, skipUnsupportedMetrics: metric.lowercased() == "all", progress: progress)
            return try emit(result, listingEachFailure: true)
        }
        try emit(try RankJob.run(try configuration(), progress: progress), listingEachFailure: false)
    }

    /// Prints a ranking as asked; skipped models make the command fail (exit 1).
    public func emit(_ result: RankingResult, listingEachFailure: Bool) throws {
        try output.deliver(try RankingRenderer.render(result, as: output.format), summary: Self.summary(of: result), inputs: inputs)
        guard !result.failed.isEmpty else { return }
        if listingEachFailure {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
        } else {
            FileHandle.standardError.write(
                Data("hubminer: \(result.failed.count) model(s) skipped: \(result.failed.map(\.name).joined(separator: ", "))\n".utf8))
        }
        throw ExitCode.failure
    }
}

/// `hubminer rank`: feature files and statistics here; --hub and multi-process
/// ranking are forwarded to `hubminer-torch` (see `RunsModels`).
public struct RankCommand: ParsableCommand, RunsModels {
    public init() {}
    public static let configuration = RankOptions.configuration
    @OptionGroup public var options: RankOptions
    public var runsModels: Bool { options.runsModels }

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            if runsModels { try HubMinerCommand.forwardToTorchExecutable() }
            try options.rankWithoutModels()
        }
    }
}

extension RankOptions {
    /// The human summary printed when the ranking goes to --output.
    public static func summary(of result: RankingResult) -> String {
        var text = "ranked \(result.models.count) model\(result.models.count == 1 ? "" : "s") by \(result.metric)"
        if let best = result.models.min(by: { $0.rank < $1.rank }) {
            text += "; best: \(best.name) (\(String(format: "%.4f", best.score)))"
        }
        if !result.failed.isEmpty { text += "; \(result.failed.count) skipped" }
        return text
    }
}
