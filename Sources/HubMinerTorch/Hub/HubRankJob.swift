import FeatureIO
import Foundation
import HubMiner
import Ranking
import Support

/// `hubminer rank --hub HUB --data DATA`: extraction (through the cache), then the
/// ordinary `RankJob` on the result.
///
/// The features are handed to `RankJob` as a run directory of symbolic links to the
/// cached files (`features/<model>.npy`, `source_probs/<model>.npy`) plus the
/// dataset's labels (`labels.npy`), so ranking from a hub and from feature files is
/// one code path. The run directory is temporary and removed afterwards.
package enum HubRankJob {
    /// `rank` supplies the metrics and ranking options; its feature, label and
    /// source-probability locations are replaced by the run directory's.
    package static func run(
        extract: ExtractConfiguration, rank: RankConfiguration,
        progress: ProgressReporter = ProgressReporter(),
        hooks: ExtractHooks = ExtractHooks()
    ) throws -> (RankingResult, ExtractionResult) {
        if extract.layers != .last { return try LayerRankJob.run(extract: extract, rank: rank, selection: extract.layers, progress: progress) }
        let extraction = try ExtractJob.run(extract, progress: progress, hooks: hooks)
        guard !extraction.models.isEmpty else {
            for f in extraction.failed { progress.log("\(f.name): \(f.error)") }
            throw HubMinerError.allModelsFailed(
                count: extraction.failed.count, first: extraction.failed.first.map { "\($0.name): \($0.error)" })
        }
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-rank-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let features = run.appendingPathComponent("features")
        let probs = run.appendingPathComponent("source_probs")
        try FileManager.default.createDirectory(at: features, withIntermediateDirectories: true)
        let withProbabilities = extraction.models.contains { $0.probabilitiesURL != nil }
        if withProbabilities { try FileManager.default.createDirectory(at: probs, withIntermediateDirectories: true) }
        for model in extraction.models {
            try FileManager.default.createSymbolicLink(
                at: features.appendingPathComponent(model.name + ".npy"),
                withDestinationURL: model.featuresURL)
            if let p = model.probabilitiesURL {
                try FileManager.default.createSymbolicLink(at: probs.appendingPathComponent(model.name + ".npy"), withDestinationURL: p)
            }
        }
        let labels = run.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(NumericArray(vector: extraction.labels.map(Double.init), dtype: .int64), to: labels)

        var config = rank
        config.featuresDirectory = features
        config.labelsFile = labels
        config.featureKey = nil
        config.labelKey = nil
        config.sourceProbabilitiesDirectory = withProbabilities ? probs : nil
        var result = try RankJob.run(config, progress: progress)
        result.failed = extraction.failed + result.failed
        return (result, extraction)
    }
}
