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
        try output.check(inputs: inputs)
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
        if extraction.hub != nil, progressive {
            var settings = ProgressiveSettings(top: top ?? 3, budget: budget, seed: progressiveSeed)
            settings.level = 0.95
            settings.settle = settle
            let result = try ProgressiveRankJob.run(
                extract: try extraction.configuration(threads: threads), rank: try configuration(), settings: settings,
                progress: output.progress
            ).0
            return try emit(result, listingEachFailure: false)
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
        try OutputTarget.checkFolder(URL(fileURLWithPath: out), option: "--out", inputs: inputs, allowInsideInputs: allowOutputInInputs)
        let config = try extraction.configuration(threads: threads, output: URL(fileURLWithPath: out))
        let progress = ProgressReporter(style: quiet ? .silent : nil)
        // Any --layers but `last` keeps every layer's features (one pass over the data).
        let result =
            config.layers == .last
            ? try ExtractJob.run(config, progress: progress)
            : try ExtractJob.runLayers(config, progress: progress)
        emit(ExtractRenderer.render(result))
        if !result.failed.isEmpty {
            for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
            throw ExitCode.failure
        }
    }
}

extension HubListOptions {
    package func run() throws {
        try output.check(inputs: inputs)
        let rows = try HubJob.list(URL(fileURLWithPath: hub))
        let problems = rows.filter { $0.status != "-" }.count
        try output.deliver(
            try HubRenderer.render(rows, as: output.format),
            summary: "\(rows.count - problems) model(s) in \(hub)" + (problems > 0 ? ", \(problems) with problems" : ""), inputs: inputs)
    }
}

extension HubInspectOptions {
    package func run() throws {
        try output.check(inputs: inputs)
        let rows = try HubJob.inspect(URL(fileURLWithPath: hub), model: model)
        let problems = rows.filter { $0.status != "ok" }
        try output.deliver(
            try HubRenderer.render(rows, as: output.format),
            summary: "inspected \(rows.count) model(s) in \(hub): \(rows.count - problems.count) ok"
                + (problems.isEmpty ? "" : ", problems: \(problems.map(\.name).joined(separator: ", "))"),
            inputs: inputs)
        if !problems.isEmpty { throw ExitCode.failure }
    }
}

extension HubAddOptions {
    /// Adds every model given; fails (exit 1) when any could not be added, after
    /// adding the others and printing every row.
    package func run() throws {
        try output.check(inputs: inputs)
        _ = try sharedCard() // bad card options fail once, before any model
        let files = try HubAddJob.modelFiles(models)
        let rows = try HubAddJob.run(hub: URL(fileURLWithPath: hub), files: files, name: name) { name, file in
            try card(name: name, modelFile: file)
        }
        try output.deliver(try HubAddRenderer.render(rows, as: output.format), summary: HubAddRenderer.summary(rows, hub: hub), inputs: inputs)
        let failed = rows.filter { !$0.added }
        if !failed.isEmpty {
            for row in failed { FileHandle.standardError.write(Data("hubminer: \(row.source): \(row.status)\n".utf8)) }
            throw ExitCode.failure
        }
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
        emit(ZooSummaryRenderer.render(built))
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
        try output.check(inputs: inputs)
        let progress = output.progress
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
        let rendered =
            output.format == .table
            ? DemoSummaryRenderer.render(summary) : try RankingRenderer.render(summary.ranking, as: output.format)
        try output.deliver(
            rendered, summary: RankOptions.summary(of: summary.ranking) + "\nreport: \(summary.report.path)", inputs: inputs)
    }
}
