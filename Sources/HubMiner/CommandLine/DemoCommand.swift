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
            Re-running reuses every finished stage. --quick takes under 2 minutes on 2 cores; the full demo under 10. \
            --features-only ranks a generated feature set instead, with no models and no set-up.
            """
    )

    @Flag(help: "The small zoo and one seed (under 2 minutes).")
    public var quick = false

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

    @Option(help: "Output format of the summary: table, json or csv (json and csv print the ranking).")
    public var format: OutputFormat = .table

    @Flag(help: "No progress on stderr.")
    public var quiet = false

    @OptionGroup public var deviceOptions: DeviceOptions

    /// The instant demo: rank a generated feature set with LogME.
    public func rankGeneratedFeatures() throws {
        let root =
            directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-demo")
        let progress = ProgressReporter(style: quiet ? .silent : nil)
        progress.log("demo: generating \(DemoFeatureSet.models.count) models' features in \(root.path)")
        let (features, labels) = try DemoFeatureSet.write(to: root)
        let result = try RankJob.run(RankConfiguration(featuresDirectory: features, labelsFile: labels), progress: progress)
        try emit(try RankingRenderer.render(result, as: format), to: nil)
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
