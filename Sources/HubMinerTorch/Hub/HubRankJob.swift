import FeatureIO
import Foundation
import HubMiner
import Ranking
import Support

/// `hubminer rank --hub HUB --data DATA`: extraction (through the cache), then the
/// ordinary `RankJob` on the result.
///
/// The cached files are handed to `RankJob` as its data (`RankData`: each model's
/// features and source probabilities where the cache keeps them, the dataset's labels
/// from memory), so ranking from a hub and from feature files is one code path.
package enum HubRankJob {
    /// `rank` supplies the metrics and ranking options; its feature, label and
    /// source-probability locations are not used.
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
        let models = extraction.models.sorted { $0.name < $1.name }.map { model in
            ModelSource(
                name: model.name, features: .file(model.featuresURL, key: nil),
                sourceProbabilities: model.probabilitiesURL.map { .file($0, key: nil) }
                    ?? .missing(reason: "no source probabilities for \(model.name) (its card names no source head)"),
                label: model.name)
        }
        var result = try RankJob.run(
            try inputs(models, extraction: extraction, extract: extract, rank: rank), config: rank, progress: progress)
        result.failed = extraction.failed + result.failed
        return (result, extraction)
    }

    /// The extraction's models with the dataset's labels (encoded for `rank.task`).
    static func inputs(
        _ models: [ModelSource], extraction: ExtractionResult, extract: ExtractConfiguration, rank: RankConfiguration
    ) throws -> RankData {
        let targets = try RankJob.encodeTargets(
            values: extraction.labels.map(Double.init), shape: [extraction.labels.count], task: rank.task,
            source: "the labels of \(extract.data.path)")
        return RankData(models: models, targets: targets, labelsName: "the dataset")
    }
}
