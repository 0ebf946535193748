import ArgumentParser
import HubMinerCommandLine
import HubMinerHub
import Cache
import Data
import Foundation
import Hub
import HubMiner

extension ExtractionOptions {
    func configuration(threads: Int, output: URL? = nil) throws -> ExtractConfiguration {
        guard let hub, let data else { throw ValidationError("--hub and --data go together") }
        var config = ExtractConfiguration(hub: URL(fileURLWithPath: hub), data: URL(fileURLWithPath: data), split: split,
                                    batchSize: batchSize,
                                    cacheDirectory: cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory(),
                                    models: models.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } },
                                    threads: threads,
                                    threadPlan: torchThreads.map { ExtractionThreads(torch: $0, loaderWorkers: loaderWorkers ?? 1) },
                                    outputDirectory: output)
        config.layers = layers
        return config
    }

}

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract every hub model's features (and source probabilities) on a dataset, through the cache.",
        discussion: """
        Writes OUT/features/<model>.npy, OUT/source_probs/<model>.npy (models with a source head) and \
        OUT/labels.npy: rank them with `hubminer rank --features OUT/features --labels OUT/labels.npy \
        --source-probs OUT/source_probs`.
        """
    )

    @OptionGroup var extraction: ExtractionOptions

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Cores to use (default: all).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard extraction.hub != nil, extraction.data != nil else { throw ValidationError("extract needs --hub and --data") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try HubMinerCommand.reportingErrors {
            let config = try extraction.configuration(threads: threads, output: URL(fileURLWithPath: out))
            let progress = ProgressReporter(style: quiet ? .silent : nil)
            let result = config.layers == .last ? try ExtractJob.run(config, progress: progress)
                : try ExtractJob.runLayers(config, progress: progress)
            var lines = ["model\tsource\trows\tcolumns\tseconds\tsamples/s"]
            for m in result.models {
                lines.append("\(m.name)\t\(m.fromCache ? "cache" : "extracted")\t\(m.rows)\t\(m.columns)\t"
                    + String(format: "%.2f\t%@", m.seconds, m.samplesPerSecond.map { String(format: "%.0f", $0) } ?? "-"))
            }
            try emit(lines.joined(separator: "\n") + "\n", to: nil)
            if !result.failed.isEmpty {
                for f in result.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
                throw ExitCode.failure
            }
        }
    }
}
