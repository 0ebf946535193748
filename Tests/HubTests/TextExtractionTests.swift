import Cache
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Ranking
import Testing
@testable import Hub

/// Text checkpoints with their tokenizers, extracted and ranked over a CSV of
/// labelled texts, against what `transformers` + `tokenizers` (and
/// sentence-transformers) compute on the same texts and weights:
/// scripts/fixtures/make_text_hub_fixtures.py writes each model's expected.safetensors.
@Suite("Text extraction")
struct TextExtractionTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let hub = fixtures.appendingPathComponent("texthub")
    static let models = ["bert-vocab", "bert-wp", "minilm-st", "roberta-bpe"]

    static func expected(_ model: String, _ key: String) throws -> NumericArray {
        try FeatureFile.readArray(at: hub.appendingPathComponent("\(model)/expected.safetensors"), key: key)
    }

    /// max |a - e| / max |e|.
    static func relativeError(_ actual: [Double], _ expected: NumericArray) -> Double {
        let scale = expected.values.map(abs).max() ?? 0
        let diff = zip(actual, expected.values).map { abs($0 - $1) }.max() ?? .infinity
        return diff / max(scale, 1e-12)
    }

    func config(data: String, cache: URL, batchSize: Int = 4) -> ExtractConfiguration {
        ExtractConfiguration(
            hub: Self.hub, data: Self.fixtures.appendingPathComponent(data), batchSize: batchSize,
            cacheDirectory: cache, threads: 2)
    }

    @Test("features of every text family equal Python's; the second run is a cache hit")
    func extractMatchesPython() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let cache = root.appendingPathComponent("cache")
        // batches of 3: other padding than the reference's batches of 4, the same features
        let first = try ExtractJob.run(config(data: "texts.csv", cache: cache, batchSize: 3))
        #expect(first.failed.isEmpty, "\(first.failed)")
        #expect(first.models.map(\.name) == Self.models)
        for model in first.models {
            #expect(!model.fromCache)
            let features = try FeatureFile.readArray(at: model.featuresURL)
            let expected = try Self.expected(model.name, "features")
            #expect(features.shape == expected.shape)
            let error = Self.relativeError(features.values, expected)
            #expect(error < 1e-4, "\(model.name): relative error \(error)")
        }
        let second = try ExtractJob.run(config(data: "texts.csv", cache: cache))
        #expect(second.models.count == Self.models.count)
        #expect(second.models.allSatisfy { $0.fromCache })
    }

    @Test("text pairs: both texts go through the tokenizer's pair template")
    func pairsMatchPython() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let result = try ExtractJob.run(config(data: "pairs.csv", cache: root.appendingPathComponent("cache")))
        #expect(result.failed.isEmpty, "\(result.failed)")
        #expect(result.models.count == Self.models.count)
        for model in result.models {
            let error = Self.relativeError(
                try FeatureFile.readArray(at: model.featuresURL).values,
                try Self.expected(model.name, "pair_features"))
            #expect(error < 1e-4, "\(model.name): relative error \(error)")
        }
    }

    @Test("every layer's pooled features in one pass equal Python's hidden states, masked-mean pooled")
    func layersMatchPython() throws {
        let manifest = try HubManifest.load(Self.hub)
        for name in Self.models {
            let entry = try #require(manifest.entries.first { $0.name == name })
            let extractor = try FeatureExtractor(entry: entry)
            let texts = [["The model ranks features well."], ["café naïve résumé — accents stay"], ["Short."]]
            let (values, shape) = try extractor.extractLayers(texts: texts)
            let expected = try Self.expected(name, "layers")
            #expect(shape == [3, expected.shape[1], expected.shape[2]])
            // rows 0, 2 and 6 of texts.csv
            let width = expected.shape[1] * expected.shape[2]
            var rows = [Double]()
            for r in [0, 2, 6] { rows += expected.values[(r * width)..<((r + 1) * width)] }
            let error = Self.relativeError(
                values.map(Double.init),
                NumericArray(shape: [3] + Array(expected.shape.dropFirst()), dtype: .float32, values: rows))
            #expect(error < 1e-4, "\(name): relative error \(error)")
        }
    }

    @Test("length bucketing: length-sorted batches give each text the features it has alone, rows in input order")
    func bucketingMatchesOneAtATime() throws {
        let manifest = try HubManifest.load(Self.hub)
        // very different lengths, not in length order, so sorting moves rows around
        let long = Array(repeating: "the hub ranks every model on the same labelled texts", count: 12).joined(separator: " ")
        let texts = [
            [long], ["Short."], ["café naïve résumé — accents stay, and a few more words here"], ["ok"],
            [long + " with a different ending"], ["Ranking models by transferability."], ["x"],
        ]
        for name in Self.models {
            let entry = try #require(manifest.entries.first { $0.name == name })
            let extractor = try FeatureExtractor(entry: entry)
            let input = try #require(extractor.textInput)
            let lengths = try input.encodeUnpadded(texts, model: name).map(\.ids.count)
            #expect(lengths.max()! >= 4 * lengths.min()!, "\(name): token lengths \(lengths) are too alike to test bucketing")

            let bucketed = try extractor.extract(texts: texts, batchSize: 3)
            #expect(bucketed.rows == texts.count)
            let (layers, layerShape) = try extractor.extractLayers(texts: texts, batchSize: 3)
            #expect(layerShape.first == texts.count)
            let layerWidth = layerShape.dropFirst().reduce(1, *)
            for (i, text) in texts.enumerated() {
                let alone = try extractor.extract(texts: [text])
                let row = bucketed.features[(i * bucketed.dimension)..<((i + 1) * bucketed.dimension)]
                let error = Self.relativeError(
                    row.map(Double.init), NumericArray(vector: alone.features.map(Double.init), dtype: .float32))
                #expect(error < 1e-5, "\(name), text \(i): relative error \(error)")

                let (aloneLayers, aloneShape) = try extractor.extractLayers(texts: [text])
                #expect(Array(aloneShape.dropFirst()) == Array(layerShape.dropFirst()))
                let layerRow = layers[(i * layerWidth)..<((i + 1) * layerWidth)]
                let layerError = Self.relativeError(
                    layerRow.map(Double.init), NumericArray(vector: aloneLayers.map(Double.init), dtype: .float32))
                #expect(layerError < 1e-5, "\(name), text \(i), every layer: relative error \(layerError)")
            }
        }
    }

    @Test("rank --hub over a folder of text models and a CSV ranks them all")
    func rankTextHub() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let placeholder = root.appendingPathComponent("unused")
        let (ranking, extraction) = try HubRankJob.run(
            extract: config(data: "texts.csv", cache: root.appendingPathComponent("cache")),
            rank: RankConfiguration(featuresDirectory: placeholder, labelsFile: placeholder, threads: 2))
        #expect(extraction.labels.count == 10)
        #expect(Set(ranking.models.map(\.name)) == Set(Self.models))
        #expect(ranking.failed.isEmpty)
    }

    @Test("a text model without its tokenizer fails with an error naming the model; the others run")
    func missingTokenizer() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for name in ["bert-wp", "roberta-bpe"] {
            try FileManager.default.copyItem(at: Self.hub.appendingPathComponent(name), to: hub.appendingPathComponent(name))
        }
        try FileManager.default.removeItem(at: hub.appendingPathComponent("bert-wp/tokenizer.json"))
        var c = config(data: "texts.csv", cache: root.appendingPathComponent("cache"))
        c.hub = hub
        let result = try ExtractJob.run(c)
        #expect(result.models.map(\.name) == ["roberta-bpe"])
        let failure = try #require(result.failed.first)
        #expect(failure.name == "bert-wp")
        #expect(failure.error.contains("bert-wp") && failure.error.contains("no tokenizer"), "\(failure.error)")
    }

    @Test("a text model on an image dataset, and the tokenizer in the cache key")
    func mismatchesAndKey() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.hub.appendingPathComponent("bert-wp"), to: hub.appendingPathComponent("bert-wp"))
        let images = root.appendingPathComponent("images")
        try makeNumpyDataset(images, count: 4)
        let onImages = try ExtractJob.run(ExtractConfiguration(hub: hub, data: images, cacheDirectory: root.appendingPathComponent("c1"), threads: 2))
        #expect(onImages.models.isEmpty)
        #expect(onImages.failed.first?.error.contains("needs a text dataset") == true)

        var c = config(data: "texts.csv", cache: root.appendingPathComponent("c2"))
        c.hub = hub
        #expect(try ExtractJob.run(c).models.first?.fromCache == false)
        // a changed tokenizer (same weights and config) must not hit the old entry
        let tokenizer = hub.appendingPathComponent("bert-wp/tokenizer.json")
        try (try String(contentsOf: tokenizer, encoding: .utf8) + "\n").write(to: tokenizer, atomically: true, encoding: .utf8)
        #expect(try ExtractJob.run(c).models.first?.fromCache == false)
        #expect(try ExtractJob.run(c).models.first?.fromCache == true)
    }
}
