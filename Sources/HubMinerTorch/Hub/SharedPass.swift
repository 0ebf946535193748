import Data
import Foundation
import Hub
import Support

/// One model's rows from a pass, in the order of the pass's samples.
package struct ModelRows: Sendable {
    package var rows = 0
    package var dimension = 0
    package var features = [Float]()
    package var sourceClasses: Int?
    package var probabilities: [Float]?
    /// Seconds spent in this model's forward passes (decoding excluded).
    package var seconds = 0.0

    package init() {}

    mutating func append(_ out: ExtractedBatch, model: String, expectedRows: Int) throws {
        if rows == 0 {
            dimension = out.dimension
            features.reserveCapacity(expectedRows * dimension)
            if let s = out.sourceClasses {
                sourceClasses = s
                probabilities = []
                probabilities?.reserveCapacity(expectedRows * s)
            }
        }
        guard out.dimension == dimension, out.sourceClasses == sourceClasses else {
            throw HubError.modelFailed(
                model: model, message: "output width changed between batches (\(dimension) then \(out.dimension))")
        }
        features += out.features
        if let p = out.probabilities { probabilities? += p }
        rows += out.rows
    }
}

/// Runs several models that share an input pipeline over a dataset with one
/// decoding of each sample: the loader's workers decode and transform a chunk of
/// batches ahead while the models run, in turn, over the chunk before it.
///
/// Chunks, not single batches, go from model to model: a model runs over every
/// batch of a chunk before the next model starts (its weights stay in the caches),
/// and when the dataset fits in one chunk each model finishes, and is committed by
/// `finished`, before the next one starts, as a model-by-model run would. Memory is
/// bounded by two chunks of decoded samples (the one the models run on and the one
/// the loader builds), plus each model's rows.
///
/// A model that fails (its forward pass throws, or its width changes) is handed to
/// `failed` and leaves the pass; the others go on. A dataset error ends the pass and
/// is thrown (every model of the pass would meet it).
package struct SharedPass {
    package var members: [(name: String, extractor: FeatureExtractor)]
    package var dataset: any Dataset
    package var transform: (any Transform)?
    package var batchSize: Int
    package var threads: ExtractionThreads
    /// Decoded bytes of one chunk (the loader may hold one more chunk ahead).
    package var chunkBytes: Int

    /// 64 MiB: about 110 images of 3 x 224 x 224 floats per chunk.
    package static let defaultChunkBytes = 64 << 20

    package init(
        members: [(name: String, extractor: FeatureExtractor)], dataset: any Dataset, transform: (any Transform)?,
        batchSize: Int, threads: ExtractionThreads, chunkBytes: Int = SharedPass.defaultChunkBytes
    ) {
        self.members = members
        self.dataset = dataset
        self.transform = transform
        self.batchSize = batchSize
        self.threads = threads
        self.chunkBytes = chunkBytes
    }

    /// Batches per chunk for samples of `sampleShape`: at least one, at most all.
    package static func chunkBatches(batchSize: Int, sampleShape: [Int], batchCount: Int, chunkBytes: Int) -> Int {
        let batchBytes = max(1, batchSize * max(1, sampleShape.reduce(1, *)) * MemoryLayout<Float>.size)
        return max(1, min(max(batchCount, 1), chunkBytes / batchBytes))
    }

    /// The pass. `finished(i, rows)` is called once per member that got through every
    /// batch, right after its last chunk (members in order within a chunk); `failed(i,
    /// error)` once per member that failed. An error thrown by `finished` other than a
    /// model's own failure (`HubError`) stops the pass and is rethrown.
    package func run(
        progress: ProgressReporter, label: String,
        finished: (Int, ModelRows) throws -> Void, failed: (Int, any Error) -> Void
    ) throws {
        let sampleShape = members.first?.extractor.entry.card.input.sampleShape ?? [1]
        // texts come a window of batches at a time: the extractor runs them in
        // length-sorted batches of `batchSize` and returns the rows in dataset order
        let isText = members.first?.extractor.textInput != nil
        let batchSize = isText ? self.batchSize * FeatureExtractor.textBucketWindow : self.batchSize
        let batchCount = (dataset.count + batchSize - 1) / batchSize
        let perChunk = Self.chunkBatches(batchSize: batchSize, sampleShape: sampleShape, batchCount: batchCount, chunkBytes: chunkBytes)
        // The loader builds at most one chunk ahead of the one the models run on.
        let iterator = DataLoader(
            dataset: dataset, batchSize: batchSize, transform: transform, shuffle: false, seed: 0,
            prefetch: max(perChunk, 2 * threads.loaderWorkers), workers: threads.loaderWorkers
        ).iterator(epoch: 0)
        defer { iterator.close() }
        var accumulated = Array(repeating: ModelRows(), count: members.count)
        var active = Array(repeating: true, count: members.count)
        var done = 0
        progress.begin(label, total: batchCount, unit: "batches")
        defer { progress.finish() }
        let started = Date()
        while active.contains(true) {
            var chunk = [Batch]()
            while chunk.count < perChunk, let batch = try iterator.nextBatch() { chunk.append(batch) }
            if chunk.isEmpty { break }
            done += chunk.count
            let last = done >= batchCount
            for i in members.indices where active[i] {
                let (name, extractor) = members[i]
                do {
                    let t0 = Date()
                    for batch in chunk {
                        let out =
                            isText
                            ? try extractor.extract(texts: batch.texts, batchSize: self.batchSize)
                            : try extractor.extract(values: batch.values, shape: batch.shape)
                        try accumulated[i].append(out, model: name, expectedRows: dataset.count)
                    }
                    accumulated[i].seconds += Date().timeIntervalSince(t0)
                } catch let error as HubError {
                    active[i] = false
                    accumulated[i] = ModelRows()
                    failed(i, error)
                    continue
                }
                if last {
                    active[i] = false
                    let rows = accumulated[i]
                    accumulated[i] = ModelRows()
                    do {
                        try finished(i, rows)
                    } catch let error as HubError {
                        failed(i, error)
                    }
                }
            }
            for _ in chunk {
                let elapsed = Date().timeIntervalSince(started)
                progress.advance(String(format: "%@ %.0f images/s", label, Double(min(done * batchSize, dataset.count)) / max(elapsed, 1e-9)))
            }
        }
    }
}
