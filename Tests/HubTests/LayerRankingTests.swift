import Cache
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Ranking
import Testing
@testable import Hub

/// `rank --layers`: every layer extracted in one pass and cached, each mode checked
/// against `RankJob` on the layers Python computed (expected.safetensors `layers`),
/// and the best-layer choice on a hand-made table.
@Suite("Layer ranking")
struct LayerRankingTests {
    static let models = ["bert-wp", "minilm-st"]

    func configs(_ root: URL, _ layers: LayerSelection) -> (ExtractConfiguration, RankConfiguration) {
        var extract = ExtractConfiguration(
            hub: TextExtractionTests.hub, data: TextExtractionTests.fixtures.appendingPathComponent("texts.csv"),
            batchSize: 4, cacheDirectory: root.appendingPathComponent("cache"), models: Self.models, threads: 2)
        extract.layers = layers
        let unused = root.appendingPathComponent("unused")
        return (extract, RankConfiguration(featuresDirectory: unused, labelsFile: unused, threads: 2))
    }

    /// LogME of the Python layers of `model` (all three, or their mean), through RankJob.
    func referenceScores(_ root: URL, model: String, mean: Bool) throws -> [Double] {
        let layers = try TextExtractionTests.expected(model, "layers") // [N, K, H]
        let (n, k, h) = (layers.shape[0], layers.shape[1], layers.shape[2])
        let dir = root.appendingPathComponent("ref-\(model)-\(mean)")
        let features = dir.appendingPathComponent("features")
        try FileManager.default.createDirectory(at: features, withIntermediateDirectories: true)
        func layer(_ j: Int) -> [Double] {
            var out = [Double]()
            for i in 0..<n {
                let start: Int = (i * k + j) * h
                out += layers.values[start..<(start + h)]
            }
            return out
        }
        let names = mean ? ["mean"] : (0..<k).map { "layer\($0)" }
        for (j, name) in names.enumerated() {
            var values = layer(j)
            if mean {
                values = [Double](repeating: 0, count: n * h)
                for l in 0..<k { for (e, v) in layer(l).enumerated() { values[e] += v / Double(k) } }
            }
            try FeatureFile.writeNpy(
                NumericArray(shape: [n, h], dtype: .float32, values: values), to: features.appendingPathComponent("\(name).npy"))
        }
        let extraction = try ExtractJob.runLayers(configs(root, .all).0)
        let labels = dir.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(NumericArray(vector: extraction.labels.map(Double.init), dtype: .int64), to: labels)
        let result = try RankJob.run(RankConfiguration(featuresDirectory: features, labelsFile: labels, threads: 2))
        return names.map { name in result.models.first { $0.name == name }!.score }
    }

    @Test("all: one row per layer, scores as on Python's layers; the second run hits the cache")
    func allLayers() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let (extract, rank) = configs(root, .all)
        let (result, extraction) = try HubRankJob.run(extract: extract, rank: rank)
        #expect(extraction.models.count == 6)
        #expect(!extraction.models.contains { $0.fromCache })
        #expect(Set(result.models.map(\.name)) == Set(Self.models.flatMap { m in (0..<3).map { "\(m)@layer\($0)" } }))
        for model in Self.models {
            let reference = try referenceScores(root, model: model, mean: false)
            for k in 0..<3 {
                let score = try #require(result.models.first { $0.name == "\(model)@layer\(k)" }).score
                #expect(abs(score - reference[k]) <= 1e-4 * max(1, abs(reference[k])), "\(model)@layer\(k): \(score) vs \(reference[k])")
            }
        }
        #expect(try ExtractJob.runLayers(extract).models.allSatisfy { $0.fromCache })
    }

    @Test("mean: one row per model, the layers' mean; best: each model's best layer")
    func meanAndBest() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let (mean, _) = try HubRankJob.run(extract: configs(root, .mean).0, rank: configs(root, .mean).1)
        #expect(Set(mean.models.map(\.name)) == ["bert-wp@mean", "minilm-st@mean"])
        for model in Self.models {
            let reference = try referenceScores(root, model: model, mean: true)[0]
            let score = try #require(mean.models.first { $0.name == "\(model)@mean" }).score
            #expect(abs(score - reference) <= 1e-4 * max(1, abs(reference)))
        }
        let (all, _) = try HubRankJob.run(extract: configs(root, .all).0, rank: configs(root, .all).1)
        let (best, _) = try HubRankJob.run(extract: configs(root, .best).0, rank: configs(root, .best).1)
        #expect(best.models.count == 2)
        for model in Self.models {
            let rows = all.models.filter { LayerSelection.parse($0.name)?.model == model }
            let winner = try #require(rows.max { $0.score < $1.score })
            #expect(best.models.contains { $0.name == winner.name && $0.score == winner.score })
        }
        #expect(best.models.map(\.rank) == [1, 2])
    }

    @Test("best layer on a hand-made table: highest score per model, earlier layer on a tie, re-ranked")
    func bestByHand() {
        func row(_ name: String, _ score: Double, _ other: Double) -> ModelScore {
            ModelScore(
                name: name, score: score, rank: 0, seconds: 0, diagnostics: ModelDiagnostics(samples: 1, dimension: 1),
                metrics: ["logme": MetricScore(score: score, seconds: 0), "hscore": MetricScore(score: other, seconds: 0)])
        }
        let table = RankingResult(
            task: .classification, metric: "logme", metricNames: ["logme", "hscore"],
            models: [
                row("a@layer0", 1, 5), row("a@layer1", 3, 1), row("a@layer2", 3, 9),
                row("b@layer0", 2, 7), row("b@layer1", -1, 0),
            ])
        let best = LayerSelection.bestLayers(table)
        #expect(best.models.map(\.name) == ["a@layer1", "b@layer0"])
        #expect(best.models.map(\.rank) == [1, 2])
        #expect(best.models.map { $0.metrics["hscore"]!.rank } == [2, 1]) // 1 < 7
        #expect(LayerSelection.parse("x@y@layer12")! == ("x@y", 12))
        #expect(LayerSelection.parse("plain") == nil)
    }
}
