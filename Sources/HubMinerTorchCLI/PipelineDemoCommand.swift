import ArgumentParser
import Cache
import Foundation
import HubMiner
import HubMinerCommandLine
import HubMinerDemo
import Ranking
import Tuning
import Report
import Zoo

/// `hubminer demo`: the built-in zoo from pre-training to report (see `DemoJob`).
/// `--features-only` keeps the old instant demo: ranking generated feature files.
struct PipelineDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole paradigm on a built-in zoo: rank, check the ranking against fine-tuning, tune, report.",
        discussion: """
        Builds (once, cached) a zoo of small models pre-trained on generated source tasks and a target task, \
        ranks the zoo with every metric, fine-tunes every model to get the ground truth, evaluates the metrics, \
        tunes one student with finetune, btuning, kd and multikd, and writes RUN_DIR/report.html. \
        Re-running reuses every finished stage. --quick takes under 2 minutes on 2 cores; the full demo under 10.
        """
    )

    @Flag(help: "The small zoo and one seed (under 2 minutes).")
    var quick = false

    @Option(help: "Zoo seed.")
    var seed: UInt64 = 0

    @Option(name: .customLong("run-dir"), help: "Run directory (default: a folder in the cache).")
    var runDirectory: String?

    @Option(name: .customLong("cache-dir"), help: "Cache for the zoo and features (default: $HUBMINER_CACHE_DIR or the user cache).")
    var cacheDirectory: String?

    @Option(help: "The model every method tunes (default: the median model by LogME).")
    var student: String?

    @Flag(name: .customLong("features-only"), help: "Only rank generated feature files (no models; instant).")
    var featuresOnly = false

    @Option(help: "With --features-only: where to keep the generated files.")
    var directory: String?

    @Option(help: "Output format of the summary: table, json or csv (json and csv print the ranking).")
    var format: OutputFormat = .table

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        if featuresOnly {
            try FeatureDemo.run(directory: directory, format: format, quiet: quiet)
            return
        }
        try HubMinerCommand.reportingErrors {
            let cache = cacheDirectory.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory()
            let plan = DemoPlan.builtIn(quick ? .quick : .full)
            let run = runDirectory.map { URL(fileURLWithPath: $0) }
            let progress = ProgressReporter(style: quiet ? .silent : nil)
            let interrupt = InterruptRequest()
            interrupt.install()
            let summary: DemoSummary
            do {
                summary = try DemoJob.run(DemoConfiguration(plan: plan, seed: seed, runDirectory: run, cacheDirectory: cache, student: student),
                                          progress: progress, shouldStop: { interrupt.isRequested })
            } catch let stop as TrainingInterrupted {
                FileHandle.standardError.write(Data("hubminer: \(stop); run the same command again to continue\n".utf8))
                throw ExitCode(130)
            }
            if format == .table {
                try emit(DemoSummaryRenderer.render(summary), to: nil)
            } else {
                try emit(try RankingRenderer.render(summary.ranking, as: format), to: nil)
            }
        }
    }
}
