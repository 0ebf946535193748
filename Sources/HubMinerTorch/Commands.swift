import ArgumentParser
import Cache
import Foundation
import HubMiner
import Ranking
import Report
import Tuning
import Zoo
import Support

// What `hubminer-torch` runs for each command that needs models: the options are
// parsed by the shared option groups (HubMiner), the work is done here, and the
// executable only declares the commands.

extension RankOptions {
    /// `rank` with every route: hub extraction and multi-process ranking included.
    package func rankWithModels() throws {
        if let nproc {
            let status = try LocalRanks.run(processCount: nproc, arguments: Array(CommandLine.arguments.dropFirst()))
            if status != 0 { throw ExitCode(status) }
            return
        }
        if distributed {
            // Only rank 0 has a result: the other ranks print nothing on stdout.
            guard let result = try DistributedRankProcess.run(try distributedConfiguration(), progress: output.progress) else { return }
            return try emit(result, listingEachFailure: true)
        }
        if extraction.hub != nil {
            let result = try HubRankJob.run(
                extract: try extraction.configuration(threads: threads), rank: try configuration(),
                progress: output.progress
            ).0
            return try emit(result, listingEachFailure: false)
        }
        try rankWithoutModels()
    }
}

extension ExtractOptions {
    package func run() throws {
        let config = try extraction.configuration(threads: threads, output: URL(fileURLWithPath: out))
        let progress = ProgressReporter(style: quiet ? .silent : nil)
        // Any --layers but `last` keeps every layer's features (one pass over the data).
        let result =
            config.layers == .last
            ? try ExtractJob.run(config, progress: progress)
            : try ExtractJob.runLayers(config, progress: progress)
        try emit(ExtractRenderer.render(result), to: nil)
        if !result.failed.isEmpty {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}

extension HubListOptions {
    package func run() throws {
        try emit(try HubRenderer.render(try HubJob.list(URL(fileURLWithPath: hub)), as: format), to: nil)
    }
}

extension HubInspectOptions {
    package func run() throws {
        let rows = try HubJob.inspect(URL(fileURLWithPath: hub), model: model)
        try emit(try HubRenderer.render(rows, as: format), to: nil)
        if rows.contains(where: { $0.status != "ok" }) { throw ExitCode.failure }
    }
}

extension HubAddOptions {
    package func run() throws {
        let row = try HubJob.add(hub: URL(fileURLWithPath: hub), model: URL(fileURLWithPath: model), card: try card())
        try emit(try HubRenderer.render([row], as: format), to: nil)
    }
}

extension ZooBuildOptions {
    package func run() throws {
        ZooRuntime.configure(threads: threads)
        let size: ZooSize = quick ? .quick : .full
        let zooPlan = try plan.map { try ZooPlan.read(from: URL(fileURLWithPath: $0)) } ?? ZooCatalogue.plan(size)
        let cache = cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory()
        let directory =
            out.map { URL(fileURLWithPath: $0) }
            ?? cache.appendingPathComponent("zoo").appendingPathComponent(zooPlan.size)
        let built = try ZooBuilder.build(
            plan: zooPlan, seed: seed, directory: directory,
            progress: ProgressReporter(style: quiet ? .silent : nil), workers: threads)
        try emit(ZooSummaryRenderer.render(built), to: nil)
    }
}

extension DemoOptions {
    /// The demo: --features-only ranks generated files; otherwise the zoo from
    /// pre-training to report (`DemoJob`).
    package func run() throws {
        if featuresOnly { return try rankGeneratedFeatures() }
        // `--device cuda` without a GPU fails here, before the zoo is built.
        let device = try deviceOptions.resolved()
        let cache = cacheDirectory.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory()
        let plan = DemoPlan.builtIn(quick ? .quick : .full)
        let run = runDirectory.map { URL(fileURLWithPath: $0) }
        let progress = ProgressReporter(style: quiet ? .silent : nil)
        let interrupt = InterruptRequest()
        interrupt.install()
        let summary: DemoSummary
        var configuration = DemoConfiguration(plan: plan, seed: seed, runDirectory: run, cacheDirectory: cache, student: student)
        configuration.device = device
        do {
            summary = try DemoJob.run(
                configuration,
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
