import ArgumentParser
import Cache
import Foundation
import HubMiner
import Report
import Support
import Tuning

extension AutoOptions {
    /// The search the command line describes.
    package func configuration() throws -> AutoConfiguration {
        let cache = cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory()
        var config = AutoConfiguration(
            hub: URL(fileURLWithPath: hub), data: URL(fileURLWithPath: data),
            out: URL(fileURLWithPath: out).standardizedFileURL, cacheDirectory: cache)
        config.methods = methodList
        config.top = top
        config.configs = configs
        config.teachers = teachers
        config.maxEpochs = epochs
        config.minEpochs = minEpochs
        config.eta = eta
        config.batchSize = batchSize
        config.learningRate = lr
        config.validationFraction = validationFraction
        config.seed = seed
        config.budget = try budgetSeconds
        if let threads { config.threads = threads }
        return config
    }

    /// Runs `auto`: the search, then its summary table (or auto.json / CSV) on stdout.
    package func run() throws {
        let device = try deviceOptions.resolved()
        try output.check(inputs: inputs)
        try OutputTarget.checkFolder(URL(fileURLWithPath: out), option: "--out", inputs: inputs, allowInsideInputs: output.allowOutputInInputs)
        var config = try configuration()
        config.device = device
        let interrupt = InterruptRequest()
        interrupt.install()
        do {
            let result = try AutoJob.run(config, progress: output.progress, shouldStop: { interrupt.isRequested })
            let record = result.record
            try output.deliver(
                AutoRenderer.render(record, outputDirectory: result.outputDirectory.path, report: result.report.path, as: output.format),
                summary: "auto: chose \(record.choice?.model ?? "-") with \(record.choice?.method ?? "-")"
                    + (record.choice?.test.map { "; test top-1 \(String(format: "%.4f", $0.top1)) (\($0.evaluation))" } ?? "")
                    + "; report \(result.report.path)",
                inputs: inputs)
        } catch let stop as TrainingInterrupted {
            FileHandle.standardError.write(Data("hubminer: \(stop); run the same command again to continue\n".utf8))
            throw ExitCode(130)
        }
    }
}
