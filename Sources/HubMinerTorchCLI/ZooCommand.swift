import ArgumentParser
import Cache
import Foundation
import HubMiner
import HubMinerCommandLine
import Zoo

/// `hubminer zoo build`: the built-in zoo of small pre-trained models (docs/ZOO.md).
struct ZooCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Build the built-in model zoo: procedural tasks and small models pre-trained on them, as a hub.",
        subcommands: [ZooBuildCommand.self]
    )
}

struct ZooBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate the tasks and pre-train the zoo's models (cached: a second run reuses them).",
        discussion: """
        Writes DIR/hub (TorchScript models with cards, usable as --hub), DIR/target (the target task, usable as \
        --data), DIR/sources/<task> and DIR/zoo.json. An interrupted build resumes, keeping finished models.
        """
    )

    @Option(help: "The zoo directory (default: <cache>/zoo/quick or <cache>/zoo/full).")
    var out: String?

    @Flag(help: "The quick zoo (6 models, about half a minute on 2 cores) instead of the full one (12 models).")
    var quick = false

    @Option(help: "Seed of the tasks and the initial weights.")
    var seed: UInt64 = 0

    @Option(name: .customLong("cache-dir"), help: "Cache directory holding the default zoo location (default: $HUBMINER_CACHE_DIR, else $XDG_CACHE_HOME/hubminer, else ~/.cache/hubminer).")
    var cacheDir: String?

    @Option(help: "Cores to use: models trained at once, one core each (default: all).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Option(help: ArgumentHelp("A zoo plan as JSON (tasks, models, image size) instead of a built-in size; for tests and experiments.",
                               visibility: .hidden))
    var plan: String?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if out != nil && cacheDir != nil { throw ValidationError("--out and --cache-dir are alternatives: give one") }
    }

    func run() throws {
        try HubMinerCommand.reportingErrors {
            ZooRuntime.configure(threads: threads)
            let size: ZooSize = quick ? .quick : .full
            let zooPlan = try plan.map { try ZooPlan.read(from: URL(fileURLWithPath: $0)) } ?? ZooCatalogue.plan(size)
            let cache = cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory()
            let directory = out.map { URL(fileURLWithPath: $0) }
                ?? cache.appendingPathComponent("zoo").appendingPathComponent(zooPlan.size)
            let built = try ZooBuilder.build(plan: zooPlan, seed: seed, directory: directory,
                                             progress: ProgressReporter(style: quiet ? .silent : nil), workers: threads)
            try emit(ZooSummaryRenderer.render(built), to: nil)
        }
    }
}

/// The table `zoo build` prints: one row per model, then where things are.
enum ZooSummaryRenderer {
    static func render(_ built: BuiltZoo) -> String {
        let m = built.manifest
        var lines = ["model\tfamily\tsource_task\tparameters\tsource_accuracy\ttarget_probe_accuracy\ttrain_seconds"]
        for model in m.models {
            lines.append("\(model.name)\t\(model.family)\t\(model.sourceTask)\t\(model.parameters)\t"
                + String(format: "%.3f\t%.3f\t%.1f", model.result.sourceAccuracy, model.targetProbeAccuracy, model.result.seconds))
        }
        lines.append("")
        lines.append("hub: \(built.hub.path)")
        lines.append("target: \(built.target.path) (\(m.target.classes) classes, \(m.target.trainImages) training and \(m.target.testImages) test images)")
        lines.append(String(format: "%@ zoo, seed %llu: %@; target linear-probe spread %.3f (raw pixels %.3f)", m.size, m.seed,
                            built.reused ? "reused (already built)" : String(format: "built in %.1f s", built.seconds), m.probeSpread,
                            m.targetPixelProbeAccuracy))
        return lines.joined(separator: "\n") + "\n"
    }
}
