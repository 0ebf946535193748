import ArgumentParser
import Foundation
import HubMiner
import Ranking
import Report

/// `hubminer demo` in the ranking-only executable. The full demo trains models, so
/// it is forwarded to `hubminer-torch` (see `HubMinerCommand.needsTorch`); only
/// `--features-only`, which ranks generated feature files, runs here.
public struct DemoCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole paradigm on a built-in zoo: rank, check the ranking against fine-tuning, tune, report.",
        discussion: """
        Options --quick, --seed, --run-dir, --cache-dir and --student are handled by \(HubMinerCommand.torchExecutableName) \
        (see `\(HubMinerCommand.torchExecutableName) demo --help`). --features-only ranks a generated feature set instead, \
        with no models and no set-up.
        """
    )

    @Flag(name: .customLong("features-only"), help: "Only rank generated feature files (no models; instant).")
    var featuresOnly = false

    @Option(help: "With --features-only: where to keep the generated files (default: a folder in the system's temporary directory).")
    var directory: String?

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "No progress on stderr.")
    var quiet = false

    public func run() throws {
        guard featuresOnly else {
            try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() }
            return
        }
        try FeatureDemo.run(directory: directory, format: format, quiet: quiet)
    }
}

/// The instant demo: rank a generated feature set with LogME.
public enum FeatureDemo {
    public static func run(directory: String?, format: OutputFormat, quiet: Bool) throws {
        try HubMinerCommand.reportingErrors {
            let root = directory.map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-demo")
            let progress = ProgressReporter(style: quiet ? .silent : nil)
            progress.log("demo: generating \(DemoFeatureSet.models.count) models' features in \(root.path)")
            let (features, labels) = try DemoFeatureSet.write(to: root)
            let result = try RankJob.run(RankConfiguration(featuresDirectory: features, labelsFile: labels), progress: progress)
            try emit(try RankingRenderer.render(result, as: format), to: nil)
        }
    }
}
