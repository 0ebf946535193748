import Data
import Foundation
import Hub
import Linalg
import Ranking
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
    /// Measure each image model's fastest memory format and batch size on the first
    /// chunk (`FeatureExtractor.chooseLayout`) when the probe costs at most
    /// `layoutProbeShare` of the model's pass.
    package var layoutProbe = false
    /// Freeze and optimise each model (`FeatureExtractor.optimizeForInference`) just
    /// before its first batch, and log what was done.
    package var optimize = false
    package var layoutProbeShare = SharedPass.defaultLayoutProbeShare
    /// Batches each model will run in all (nil: this pass's): progressive stages run a
    /// model over several passes. With `optimize`, a model that will run at least
    /// `freezingTrialMinimumBatches` batches times both freezings on its first
    /// batches and keeps the faster (`FreezingTrial`).
    package var plannedBatches: Int?
    /// The trial runs the slower freezing on one batch and a second first call at the
    /// batch shape: a few percent of a pass this long, repaid when the freezings differ
    /// (efficientnet_b0: 21 % slower optimised than frozen alone, benchmarks/rank-hub).
    package static let freezingTrialMinimumBatches = 24
    package static let defaultLayoutProbeShare = 0.1
    /// Samples of the first chunk on which a model run in a reduced precision is
    /// checked against float32 (`PrecisionCheck`).
    package static let precisionCheckRows = 256

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
        var first = true
        var checks = [PrecisionCheck]()
        while active.contains(true) {
            var chunk = [Batch]()
            while chunk.count < perChunk, let batch = try iterator.nextBatch() { chunk.append(batch) }
            if chunk.isEmpty { break }
            done += chunk.count
            let last = done >= batchCount
            // The chunk as one batch, for models that run their own batch size.
            var whole: (values: [Float], shape: [Int])?
            func wholeChunk() -> (values: [Float], shape: [Int]) {
                if let whole { return whole }
                let joined = (values: Array(chunk.map(\.values).joined()), shape: [chunk.reduce(0) { $0 + $1.shape[0] }] + chunk[0].shape.dropFirst())
                whole = joined
                return joined
            }
            for i in members.indices where active[i] {
                let (name, extractor) = members[i]
                do {
                    // A model kept loaded from an earlier pass (progressive stages) is
                    // optimised once and logged once.
                    if first && optimize && !extractor.optimizationDone {
                        extractor.freezingTrialEnabled = !isText && (plannedBatches ?? batchCount) >= Self.freezingTrialMinimumBatches
                        extractor.optimizeForInference()
                        progress.log("\(name): \(extractor.optimization)")
                    }
                    if first && layoutProbe && !isText && extractor.hasLayoutChoice {
                        probeLayout(extractor, name: name, chunk: wholeChunk(), progress: progress)
                    }
                    let t0 = Date()
                    if !isText, let size = extractor.preferredBatchSize, size != chunk[0].shape[0] {
                        let all = wholeChunk()
                        try accumulated[i].append(extractor.extract(values: all.values, shape: all.shape), model: name, expectedRows: dataset.count)
                    } else {
                        for batch in chunk {
                            let out =
                                isText
                                ? try extractor.extract(texts: batch.texts, batchSize: self.batchSize)
                                : try extractor.extract(values: batch.values, shape: batch.shape)
                            try accumulated[i].append(out, model: name, expectedRows: dataset.count)
                        }
                    }
                    accumulated[i].seconds += Date().timeIntervalSince(t0)
                    if let line = extractor.takeTrialReport() { progress.log("\(name): \(line)") }
                    if first && extractor.precision != .float32 && !isText {
                        if let check = checkPrecision(
                            extractor, name: name, rows: accumulated[i], chunk: wholeChunk(), labels: chunk.flatMap(\.labels), progress: progress)
                        {
                            checks.append(check)
                        }
                    }
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
            if first, let warning = PrecisionCheck.rankingWarning(checks) { progress.log(warning) }
            first = false
            for _ in chunk {
                let elapsed = Date().timeIntervalSince(started)
                progress.advance(String(format: "%@ %.0f images/s", label, Double(min(done * batchSize, dataset.count)) / max(elapsed, 1e-9)))
            }
        }
    }
}

/// A model run in a reduced precision, against float32 on the first samples of the
/// pass: how far the features moved and what LogME gives on those samples in both.
package struct PrecisionCheck: Sendable, Equatable {
    package var model: String
    package var precision: InferencePrecision
    package var rows: Int
    /// max |reduced - float32| / max |float32| over the features.
    package var featureDifference: Double
    /// LogME of the float32 and the reduced features on the labelled rows (nil
    /// without at least two classes among them).
    package var logME: (float32: Double, reduced: Double)?

    package init(
        model: String, precision: InferencePrecision, rows: Int, featureDifference: Double, logME: (float32: Double, reduced: Double)? = nil
    ) {
        self.model = model
        self.precision = precision
        self.rows = rows
        self.featureDifference = featureDifference
        self.logME = logME
    }

    package static func == (a: PrecisionCheck, b: PrecisionCheck) -> Bool {
        a.model == b.model && a.rows == b.rows && a.featureDifference == b.featureDifference
            && a.logME?.float32 == b.logME?.float32 && a.logME?.reduced == b.logME?.reduced
    }

    /// A LogME difference above this (per sample: LogME is an average) is worth a
    /// warning on its own: gaps between models of one hub are often a few hundredths.
    package static let logMETolerance = 0.005

    package var summary: String {
        var line = String(
            format: "%@: %@ against float32 on the first %d samples: features differ by at most %.2g relative", model, precision.rawValue, rows,
            featureDifference)
        if let logME {
            line += String(format: "; LogME %.4f against %.4f (difference %.2g)", logME.reduced, logME.float32, abs(logME.reduced - logME.float32))
        }
        return line
    }

    /// A warning when reduced precision could change the ranking: the checked models'
    /// LogME order on the checked samples differs between the precisions, or a score
    /// moved by more than `logMETolerance` or more than half the gap to the model
    /// next to it in float32. Nil when nothing suggests it.
    package static func rankingWarning(_ checks: [PrecisionCheck]) -> String? {
        var reasons = checks.filter { !$0.featureDifference.isFinite }.map { "\($0.model)'s \($0.precision.rawValue) features are not finite" }
        let scored = checks.filter { $0.logME != nil }
        let byFloat = scored.sorted { $0.logME!.float32 > $1.logME!.float32 }.map(\.model)
        let byReduced = scored.sorted { $0.logME!.reduced > $1.logME!.reduced }.map(\.model)
        if byFloat != byReduced {
            reasons.append(
                "the order on these samples changes (float32: \(byFloat.joined(separator: " > ")); reduced: \(byReduced.joined(separator: " > ")))")
        }
        for c in scored {
            let (f, r) = c.logME!
            let moved = abs(r - f)
            let gap = scored.filter { $0.model != c.model }.map { abs($0.logME!.float32 - f) }.min()
            if moved > logMETolerance {
                reasons.append(String(format: "%@'s LogME moved by %.3g", c.model, moved))
            } else if let gap, moved > gap / 2 {
                reasons.append(String(format: "%@'s LogME moved by %.3g, more than half the gap (%.3g) to the nearest model", c.model, moved, gap))
            }
        }
        guard !reasons.isEmpty else { return nil }
        return "warning: reduced precision could change the ranking: " + reasons.joined(separator: "; ")
            + " (rerun with --precision float32 to be sure)"
    }
}

extension SharedPass {
    /// Runs `chooseLayout` on the chunk when it pays, and logs the choice or why not.
    package func probeLayout(_ extractor: FeatureExtractor, name: String, chunk: (values: [Float], shape: [Int]), progress: ProgressReporter) {
        let cost = FeatureExtractor.layoutProbeCost(rows: chunk.shape[0], batch: batchSize)
        guard layoutProbeShare > 0 else { return }
        guard Double(cost) <= layoutProbeShare * Double(dataset.count) else {
            progress.log(
                String(
                    format: "%@: layout probe skipped (its %d sample passes would cost more than %.0f%% of %d); contiguous, batches of %d", name,
                    cost,
                    layoutProbeShare * 100, dataset.count, batchSize))
            return
        }
        do {
            let choice = try extractor.chooseLayout(values: chunk.values, shape: chunk.shape, batch: batchSize)
            progress.log("\(name): layout \(choice.summary)")
        } catch {
            try? extractor.use(.contiguous)
            extractor.preferredBatchSize = nil
            progress.log("\(name): layout probe failed (\(error)); contiguous, batches of \(batchSize)")
        }
    }

    /// Extracts the first rows of the chunk in float32 with a fresh copy of the model
    /// and compares them with the reduced-precision rows already extracted.
    package func checkPrecision(
        _ extractor: FeatureExtractor, name: String, rows: ModelRows, chunk: (values: [Float], shape: [Int]), labels: [Int],
        progress: ProgressReporter
    ) -> PrecisionCheck? {
        let n = min(Self.precisionCheckRows, chunk.shape[0], rows.rows)
        guard n >= 2 else { return nil }
        do {
            let reference = try FeatureExtractor(entry: extractor.entry, device: extractor.device, optimize: true)
            let width = chunk.values.count / chunk.shape[0]
            let out = try reference.extract(values: Array(chunk.values[0..<(n * width)]), shape: [n] + chunk.shape.dropFirst())
            let d = rows.dimension
            let reduced = rows.features[0..<(n * d)].map(Double.init)
            let exact = out.features.map(Double.init)
            var diff = 0.0
            var scale = 0.0
            for (a, b) in zip(reduced, exact) {
                diff = max(diff, abs(a - b))
                scale = max(scale, abs(b))
            }
            let finite = reduced.allSatisfy(\.isFinite)
            let relative = !finite ? Double.infinity : scale > 0 ? diff / scale : (diff > 0 ? .infinity : 0)
            var check = PrecisionCheck(model: name, precision: extractor.precision, rows: n, featureDifference: relative)
            let used = Array(labels.prefix(n))
            if used.allSatisfy({ $0 >= 0 }), Set(used).count >= 2, reduced.allSatisfy(\.isFinite) {
                let targets = try TargetEncoder.encodeClasses(used)
                let f32 = try LogME().fit(features: Matrix(rows: n, columns: d, storage: exact), targets: targets).score
                let low = try LogME().fit(features: Matrix(rows: n, columns: d, storage: reduced), targets: targets).score
                check.logME = (f32, low)
            }
            progress.log(check.summary)
            return check
        } catch {
            progress.log("\(name): the check of \(extractor.precision.rawValue) against float32 failed (\(error))")
            return nil
        }
    }
}
