import ArgumentParser
import Foundation
import Ranking
import Report
import Support

/// The options of `demo`, parsed the same way by both executables.
public struct DemoOptions: CommandOptions {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole paradigm on a built-in zoo: rank, check the ranking against fine-tuning, tune, report.",
        discussion: """
            Builds (once, cached) a zoo of small models pre-trained on generated source tasks and a target task, \
            ranks the zoo with every metric, fine-tunes every model to get the ground truth, evaluates the metrics, \
            tunes one student with finetune, btuning, kd and multikd, and writes RUN_DIR/report.html. \
            Re-running reuses every finished stage. The full demo (--full, the default) takes under 10 minutes on 2 cores; --quick under 2. \
            --features-only ranks a generated feature set instead, with no models and no set-up.
            """
    )

    /// Which zoo the demo runs.
    public enum Size: String, EnumerableFlag, Sendable {
        case full, quick

        public static func help(for value: Size) -> ArgumentHelp? {
            switch value {
            case .full: "The full zoo over three seeds (under 10 minutes on 2 cores)."
            case .quick: "The small zoo and one seed (under 2 minutes)."
            }
        }
    }

    @Flag public var size: Size = .full

    /// Whether the quick demo was asked for.
    public var quick: Bool { size == .quick }

    @Option(help: "Zoo seed.")
    public var seed: UInt64 = 0

    @Option(name: .customLong("run-dir"), help: "Run directory (default: a folder in the cache).")
    public var runDirectory: String?

    @Option(name: .customLong("cache-dir"), help: "Cache for the zoo and features (default: $HUBMINER_CACHE_DIR or the user cache).")
    public var cacheDirectory: String?

    @Option(help: "The model every method tunes (default: the median model by LogME).")
    public var student: String?

    @Flag(name: .customLong("features-only"), help: "Only rank generated feature files (no models; instant).")
    public var featuresOnly = false

    @Option(help: "With --features-only: where to keep the generated files (default: a folder in the system's temporary directory).")
    public var directory: String?

    /// --format: table prints the demo's summary, json and csv the ranking.
    @OptionGroup public var output: OutputOptions

    /// The folders the demo reads: the generated features of --features-only.
    public var inputs: CommandInputs { CommandInputs([("--directory", featuresOnly ? directory : nil)]) }

    @OptionGroup public var deviceOptions: DeviceOptions

    /// The instant demo: rank a generated feature set with LogME.
    public func rankGeneratedFeatures() throws {
        let root =
            directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-demo")
        try output.check(inputs: inputs)
        let progress = output.progress
        progress.log("demo: generating \(DemoFeatureSet.models.count) models' features in \(root.path)")
        let (features, labels) = try DemoFeatureSet.write(to: root)
        let result = try RankJob.run(RankConfiguration(featuresDirectory: features, labelsFile: labels), progress: progress)
        try output.deliver(try RankingRenderer.render(result, as: output.format), summary: RankOptions.summary(of: result), inputs: inputs)
    }
}

/// `hubminer demo`: --features-only runs here; the full demo trains models and is
/// forwarded to `hubminer-torch`.
public struct DemoCommand: ParsableCommand, RunsModels {
    public init() {}
    public static let configuration = DemoOptions.configuration
    @OptionGroup public var options: DemoOptions
    public var runsModels: Bool { !options.featuresOnly }

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            if runsModels { try HubMinerCommand.forwardToTorchExecutable() }
            try options.rankGeneratedFeatures()
        }
    }
}
