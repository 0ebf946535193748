import FeatureIO
import Foundation
import HubMiner
import Linalg
import Ranking
import Support

/// `rank --hub --layers all|mean|best`: every layer of every model extracted in one
/// pass (`ExtractJob.runLayers`), then ranked by the ordinary `RankJob` on the cached
/// files (`RankData`, no temporary folder): each layer as a row `model@layerK` (`all`, and `best`,
/// which then keeps each model's best layer: `LayerSelection.bestLayers`), or the
/// mean of a model's layers as the row `model@mean` (`mean`; the layers must share
/// a width). `last` is `HubRankJob`'s ordinary path.
package enum LayerRankJob {
    package static func run(
        extract: ExtractConfiguration, rank: RankConfiguration, selection: LayerSelection,
        progress: ProgressReporter = ProgressReporter()
    ) throws -> (RankingResult, ExtractionResult) {
        let extraction = try ExtractJob.runLayers(extract, progress: progress)
        guard !extraction.models.isEmpty else {
            for f in extraction.failed { progress.log("\(f.name): \(f.error)") }
            throw HubMinerError.allModelsFailed(
                count: extraction.failed.count, first: extraction.failed.first.map { "\($0.name): \($0.error)" })
        }
        var models = [ModelSource]()
        var failed = extraction.failed
        switch selection {
        case .last, .all, .best:
            for layer in extraction.models where selection != .last || isLast(layer.name, in: extraction.models) {
                models.append(ModelSource(name: layer.name, features: .file(layer.featuresURL, key: nil), label: layer.name))
            }
        case .mean:
            var byModel = [String: [ExtractedModel]]()
            var order = [String]()
            for layer in extraction.models {
                let model = LayerSelection.parse(layer.name)?.model ?? layer.name
                if byModel[model] == nil { order.append(model) }
                byModel[model, default: []].append(layer)
            }
            for model in order {
                let layers = byModel[model] ?? []
                guard Set(layers.map(\.columns)).count == 1 else {
                    failed.append(
                        ModelFailure(name: model, error: "\(model): the layer mean needs layers of one width (found \(layers.map(\.columns)))"))
                    continue
                }
                var sum = [Double]()
                for layer in layers {
                    let values = try FeatureFile.readArray(at: layer.featuresURL).values
                    sum = sum.isEmpty ? values : zip(sum, values).map(+)
                }
                // float32, as the cached layers are (and as every feature file is ranked).
                let mean = Matrix(
                    rows: layers[0].rows, columns: layers[0].columns,
                    storage: sum.map { Double(Float($0 / Double(layers.count))) })
                models.append(ModelSource(name: model + "@mean", features: .matrix(mean)))
            }
        }
        models.sort { $0.name < $1.name }
        var result = try RankJob.run(
            try HubRankJob.inputs(models, extraction: extraction, extract: extract, rank: rank), config: rank, progress: progress)
        if selection == .best { result = LayerSelection.bestLayers(result) }
        result.failed = failed + result.failed
        return (result, extraction)
    }

    private static func isLast(_ name: String, in all: [ExtractedModel]) -> Bool {
        guard let (model, k) = LayerSelection.parse(name) else { return true }
        return !all.contains { LayerSelection.parse($0.name).map { $0.model == model && $0.layer > k } ?? false }
    }
}
