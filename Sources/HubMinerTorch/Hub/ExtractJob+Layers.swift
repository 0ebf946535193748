import Support
import Cache
import Data
import FeatureIO
import Foundation
import HubMiner
import Hub
import Ranking

/// Every hidden layer's pooled features of each hub model, in one pass over the data
/// (text models: each hidden state's masked mean; others: each `hints` map averaged
/// over its spatial axes or tokens), cached like the last layer's features: one cache
/// entry per layer (key + `;layer=K`) plus an index entry (key + `;layers`, a 1 x K
/// file of the layers' widths) that says how many there are. The models of the result
/// are the layers, named `model@layerK` (K = 0 for the embedding output / stem).
extension ExtractJob {
    package static func runLayers(_ config: ExtractConfiguration, progress: ProgressReporter = ProgressReporter()) throws -> ExtractionResult {
        try runEach(config, progress: progress, hooks: ExtractHooks()) { entry, dataset, fingerprint, cache, threads in
            try layersOfOne(
                entry, dataset: dataset, fingerprint: fingerprint, config: config, cache: cache,
                threads: threads, progress: progress)
        }
    }

    static func layersOfOne(
        _ entry: HubEntry, dataset: any Dataset, fingerprint: String, config: ExtractConfiguration,
        cache: FeatureCache, threads: ExtractionThreads, progress: ProgressReporter
    ) throws -> [ExtractedModel] {
        let started = Date()
        let isText = try checkInputKind(of: entry, for: dataset)
        let tokenizer = isText ? ";tokenizer=" + (try TextInput(entry: entry).digest()) : ""
        let base = FeatureCache.key(
            modelDigest: try entry.contentDigest(), datasetFingerprint: fingerprint,
            representation: "layers;hints=" + (entry.card.hints?.summary ?? "-") + tokenizer,
            transform: entry.card.transformDescription)
        func layerKey(_ k: Int) -> String { SHA256.hex(base + ";layer=\(k)") }
        let indexKey = SHA256.hex(base + ";layers")

        // a hit needs the index and every layer it lists
        if case .hit(let index) = try cache.lookup(key: indexKey), index.rows == 1 {
            let widths = try FeatureFile.readArray(at: index.featuresURL).values.map { Int($0) }
            var hits = [ExtractedModel]()
            for k in widths.indices {
                guard case .hit(let layer) = try cache.lookup(key: layerKey(k)), layer.rows == dataset.count else { break }
                hits.append(
                    ExtractedModel(
                        name: LayerSelection.rowName(model: entry.name, layer: k), featuresURL: layer.featuresURL,
                        probabilitiesURL: nil, rows: layer.rows, columns: layer.columns, fromCache: true,
                        seconds: 0, samplesPerSecond: nil, invalidation: nil))
            }
            if hits.count == widths.count, !hits.isEmpty {
                progress.log("\(entry.name): \(hits.count) layers from the cache")
                return hits
            }
        }

        let extractor = try FeatureExtractor(entry: entry)
        // texts: a window of batches at a time, run length-sorted (`ExtractJob.extractOne`)
        let loader = DataLoader(
            dataset: dataset, batchSize: config.batchSize * (isText ? FeatureExtractor.textBucketWindow : 1),
            transform: entry.card.transform(), shuffle: false, seed: 0, prefetch: max(2, 2 * threads.loaderWorkers),
            workers: threads.loaderWorkers)
        var layers = [[Float]]()
        var widths = [Int]()
        var rows = 0
        let extractStart = Date()
        progress.begin(entry.name, total: loader.batchCount, unit: "batches")
        try loader.forEachBatch(epoch: 0) { batch in
            var parts: [(values: [Float], dimension: Int)]
            if isText {
                let (values, shape) = try extractor.extractLayers(texts: batch.texts, batchSize: config.batchSize)
                let (b, k, h) = (shape[0], shape[1], shape[2])
                parts = (0..<k).map { layer in
                    var out = [Float](repeating: 0, count: b * h)
                    for i in 0..<b { for j in 0..<h { out[i * h + j] = values[(i * k + layer) * h + j] } }
                    return (out, h)
                }
            } else {
                parts = try extractor.extractLayers(values: batch.values, shape: batch.shape)
            }
            if rows == 0 {
                widths = parts.map(\.dimension)
                layers = Array(repeating: [], count: parts.count)
            }
            guard parts.map(\.dimension) == widths else {
                throw HubError.modelFailed(
                    model: entry.name, message: "layer widths changed between batches (\(widths) then \(parts.map(\.dimension)))")
            }
            for (k, part) in parts.enumerated() { layers[k] += part.values }
            rows += batch.count
            progress.advance(String(format: "%@ %.0f samples/s", entry.name, Double(rows) / max(Date().timeIntervalSince(extractStart), 1e-9)))
        }
        progress.finish()
        guard rows == dataset.count else {
            throw HubError.modelFailed(model: entry.name, message: "extracted \(rows) rows for \(dataset.count) samples")
        }
        var out = [ExtractedModel]()
        for (k, values) in layers.enumerated() {
            let array = NumericArray(shape: [rows, widths[k]], dtype: .float32, values: values.map(Double.init))
            let stored = try cache.store(
                key: layerKey(k), model: LayerSelection.rowName(model: entry.name, layer: k), features: array, probabilities: nil)
            out.append(
                ExtractedModel(
                    name: LayerSelection.rowName(model: entry.name, layer: k), featuresURL: stored.featuresURL,
                    probabilitiesURL: nil, rows: rows, columns: widths[k], fromCache: false,
                    seconds: Date().timeIntervalSince(started),
                    samplesPerSecond: Double(rows) / max(Date().timeIntervalSince(extractStart), 1e-9), invalidation: nil))
        }
        // the index last: a run killed before it re-extracts rather than trusting a partial set
        _ = try cache.store(
            key: indexKey, model: entry.name + "@layers",
            features: NumericArray(shape: [1, widths.count], dtype: .float32, values: widths.map(Double.init)),
            probabilities: nil)
        return out
    }
}
