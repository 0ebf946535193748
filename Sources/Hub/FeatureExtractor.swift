import Data
import Foundation
import Torch

/// One batch's outputs: features (rows x dimension, row-major) and, when the card
/// has a source head, softmax probabilities over the source classes.
package struct ExtractedBatch: Sendable {
    package var rows: Int
    package var dimension: Int
    package var features: [Float]
    package var sourceClasses: Int?
    package var probabilities: [Float]?
}

/// A hub model loaded for inference: eval mode, no gradients, representation
/// points checked against the module when it is loaded.
///
/// What a card can ask for (docs/HUB.md has examples):
/// - `representation.method`: a method of the top module run on the input
///   (default `forward`); `output` picks an element of a tuple/list/dict result.
/// - `representation.submodule`: the `forward` of the submodule at a dotted path,
///   applied to the input, or to the output of `representation.after` (a method or
///   submodule stage applied to the input first). TorchScript graphs cannot be cut
///   at an arbitrary layer, so these are the only ways in.
/// - `pooling`: none | avg | max (over every axis after the second) | flatten; the
///   result must be N x D.
/// - `source_head`: a method run on the input, or a submodule applied to the pooled
///   representation, giving N x S logits; their softmax are the source probabilities.
///
/// - an AOTInductor package (`.pt2`) runs its exported program: `representation.output`
///   and `source_head.output` name which of its outputs are the features and the
///   source logits (inference only).
///
/// Not `Sendable` (it holds a `ScriptModule`): use one extractor per thread.
package final class FeatureExtractor {
    package let entry: HubEntry
    /// Where the model runs; inputs are moved there and results brought back.
    package let device: Device
    private let backend: Backend

    private enum Backend {
        /// A TorchScript module with the card's stages on it (shared with the tuning
        /// layer's model runner).
        case script(ScriptModule, StageRunner)
        case package(AOTIPackage)
    }

    /// The tokeniser of a text model (`input.kind: tokens`), nil for other models.
    package let textInput: TextInput?

    /// What was done to speed up the forward passes, one line for the run log:
    /// "frozen and optimised for inference", or why the module runs as it is.
    package private(set) var optimization = "as loaded"
    /// Whether `optimizeForInference` has run (whatever it decided).
    package private(set) var optimizationDone = false
    /// The frozen copies the stages run on (nil: the module as loaded).
    package private(set) var freezing: Freezing?
    /// Let `optimizeForInference` keep both freezings when both pass the check, and
    /// choose between them by timing the next batches (`FreezingTrial`). A pass sets
    /// it when it is long enough to repay the trial's few slower batches.
    package var freezingTrialEnabled = false
    private var trial: FreezingTrial?
    private var trialCopies = [Freezing: [String: ScriptModule]]()
    private var trialReport: String?
    /// The type the forward passes compute in (parameters and inputs); features and
    /// probabilities come back as float32.
    package let precision: InferencePrecision
    /// The layout of rank-4 inputs and of the parameters (`use(_:)`, `chooseLayout`).
    package private(set) var memoryFormat = MemoryFormat.contiguous
    /// Rows per forward pass: larger batches handed to `extract` are run in pieces of
    /// this size (nil: as they come). Set by `chooseLayout`.
    package var preferredBatchSize: Int?

    /// The card's stages on the TorchScript module (text models are TorchScript
    /// modules built from their checkpoints; packages have no stages).
    var stages: StageRunner {
        get throws {
            guard case .script(_, let stages) = backend else {
                throw HubError.modelFailed(
                    model: entry.name,
                    message: "\(entry.modelFile.lastPathComponent) is an AOTInductor package: it has no stages to run on token ids or hints")
            }
            return stages
        }
    }

    /// Loads the model on `device` and checks the card's methods and submodules exist.
    /// Every forward pass runs under libtorch's `InferenceMode`. With `optimize` (what
    /// extraction asks for), a TorchScript model's stages run on frozen, optimised
    /// copies (`StageRunner.optimizeForInference`) once a probe batch gives the same
    /// features and logits as the module itself (relative difference at most
    /// `optimizationTolerance`); otherwise the module runs as it is and
    /// `optimization` says why.
    /// With a reduced `precision`, the module's floating-point parameters are
    /// converted and inputs cast before each forward pass (TorchScript models only).
    package init(entry: HubEntry, device: Device = .cpu, optimize: Bool = false, precision: InferencePrecision = .float32) throws {
        self.entry = entry
        self.device = device
        self.precision = precision
        try precision.check(device: device)
        switch entry.card.format {
        case .aotInductor:
            guard precision == .float32 else {
                throw HubError.modelFailed(
                    model: entry.name,
                    message:
                        "\(entry.modelFile.lastPathComponent) is an AOTInductor package: its precision is fixed when it is compiled (--precision \(precision.rawValue) needs a TorchScript model)"
                )
            }
            do {
                backend = .package(try AOTIPackage(contentsOf: entry.modelFile.path, device: device))
                textInput = nil
            } catch let TorchError.incompatibleModel(_, message) {
                throw HubError.modelFailed(model: entry.name, message: "\(entry.modelFile.lastPathComponent): \(message)")
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        case .torchScript:
            let module = try StageRunner.loadModule(entry)
            do {
                try module.eval()
                if device != .cpu { try module.to(device) }
                if precision != .float32 { try module.to(precision.dtype) }
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(entry.modelFile.lastPathComponent) on \(device): \(error)")
            }
            let stages = try StageRunner(entry: entry, module: module)
            stages.inferenceMode = true
            stages.computeType = precision.dtype
            backend = .script(module, stages)
            textInput = entry.card.input.kind == .tokens ? try TextInput(entry: entry) : nil
            if optimize { optimizeForInference() }
        }
    }

    /// What `optimize: true` does at load, done later: a pass calls it just before the
    /// model's first batch, so that the probe passes of one model never delay the
    /// models extracted before it. Does nothing for a package or when already done.
    package func optimizeForInference() {
        guard !optimizationDone else { return }
        optimizationDone = true
        guard case .script(_, let stages) = backend else { return }
        optimizeStages(stages)
    }

    /// Runs the forward passes with parameters and rank-4 inputs in `format`
    /// (re-freezing the optimised copies); image models on TorchScript only.
    package func use(_ format: MemoryFormat) throws {
        guard format != memoryFormat else { return }
        guard case .script(let module, let stages) = backend, entry.card.input.kind == .image else {
            throw HubError.modelFailed(model: entry.name, message: "only TorchScript image models take another memory format")
        }
        do {
            try module.to(format)
            // a trial in progress ends on the copies in use; the layout probe times those
            endTrial()
            if stages.isOptimized {
                try stages.optimizeForInference(optimize: freezing != .frozen)
                let difference = try optimizedDifference(stages)
                if difference > (precision == .float32 ? Self.optimizationTolerance : 2e-2) {
                    stages.dropOptimized()
                    freezing = nil
                    optimization = String(
                        format: "as loaded (the frozen module in %@ differs by %.2g relative on a probe batch)", format.rawValue, difference)
                }
            }
        } catch {
            throw HubError.modelFailed(model: entry.name, message: "cannot run in \(format): \(Self.firstLine(error))")
        }
        memoryFormat = format
    }

    /// Whether `chooseLayout` has something to choose: a TorchScript image model.
    package var hasLayoutChoice: Bool {
        if case .script = backend, textInput == nil, entry.card.input.kind == .image { return true }
        return false
    }

    /// Sample-forwards `chooseLayout` costs on a chunk of `rows` samples.
    package static func layoutProbeCost(rows: Int, batch: Int, batchSizes: [Int] = layoutBatchSizes) -> Int {
        let base = min(rows, batch)
        return 3 * (2 * base) + 3 * batchSizes.filter { $0 <= rows && $0 != base }.reduce(0, +)
    }

    /// The batch sizes `chooseLayout` tries.
    package static let layoutBatchSizes = [8, 16, 32, 64]

    /// How much faster per sample (a fraction) another layout must be than the
    /// default (contiguous at the loader's batch size) to be chosen: one timed pass
    /// per configuration on a shared machine is noisy, and a wrong choice costs more
    /// than a missed few percent.
    package static let layoutMargin = 0.2

    /// Measures, on real samples (`values`, [R, C, H, W]), which memory format
    /// (contiguous NCHW or channels-last) and then which of `batchSizes` (at most R)
    /// give the fewest seconds per sample, and keeps them (`memoryFormat`,
    /// `preferredBatchSize`) when they beat the default (contiguous, `batch` rows) by
    /// `layoutMargin`. Each configuration runs three times at its shape and the faster
    /// of the last two counts: TorchScript's executor profiles and re-optimises at the
    /// first pass of a new shape. Formats are timed at min(R, `batch`) rows, batch sizes in the
    /// faster format. The features do not depend on the choice beyond float32
    /// rounding. Outputs of the probe are dropped.
    package func chooseLayout(values: [Float], shape: [Int], batch: Int, batchSizes: [Int] = layoutBatchSizes) throws -> LayoutChoice {
        try checkInputShape(shape)
        let started = Date()
        let rows = shape[0]
        let width = values.count / max(rows, 1)
        func time(_ n: Int) throws -> Double {
            let v = Array(values[0..<(n * width)])
            let s = [n] + shape.dropFirst()
            _ = try extractBatch(values: v, shape: s)
            var best = Double.infinity
            for _ in 0..<2 {
                let t0 = Date()
                _ = try extractBatch(values: v, shape: s)
                best = min(best, Date().timeIntervalSince(t0))
            }
            return best / Double(n)
        }
        let base = min(rows, batch)
        var timings = [LayoutChoice.Timing]()
        for format in [MemoryFormat.contiguous, .channelsLast] {
            try use(format)
            timings.append(.init(memoryFormat: format, batchSize: base, secondsPerSample: try time(base)))
        }
        let format = timings[1].secondsPerSample < timings[0].secondsPerSample ? MemoryFormat.channelsLast : .contiguous
        try use(format)
        for size in batchSizes where size <= rows && size != base {
            timings.append(.init(memoryFormat: format, batchSize: size, secondsPerSample: try time(size)))
        }
        let reference = timings[0].secondsPerSample
        let best = timings.min { $0.secondsPerSample < $1.secondsPerSample }!
        let chosen = best.secondsPerSample < reference * (1 - Self.layoutMargin) ? best : timings[0]
        try use(chosen.memoryFormat)
        preferredBatchSize = chosen.batchSize == batch ? nil : chosen.batchSize
        return LayoutChoice(
            memoryFormat: chosen.memoryFormat, batchSize: chosen.batchSize, timings: timings, probeSeconds: Date().timeIntervalSince(started))
    }

    /// Largest relative difference (max |optimised - module| / max |module|) the
    /// frozen copies may show on the probe batch: float32 rounding of a folded
    /// convolution and batch norm, far below what changes a ranking.
    package static let optimizationTolerance = 1e-4

    /// Freezes (and optimises) the stages, keeping copies only when the probe agrees:
    /// frozen and optimised first, else frozen alone, else the module as loaded. With
    /// `freezingTrialEnabled` both freezings are made and checked, and when both pass
    /// the next batches choose between them (`FreezingTrial`).
    private func optimizeStages(_ stages: StageRunner) {
        guard textInput == nil else {
            optimization = "as loaded (text models are not frozen)"
            return
        }
        var passed = [Freezing: [String: ScriptModule]]()
        var firstFailure: String?
        for level in [Freezing.optimized, .frozen] {
            if !passed.isEmpty && !freezingTrialEnabled { break }
            if let failure = checkedFreezing(level, stages) {
                firstFailure = firstFailure ?? failure
            } else {
                passed[level] = stages.frozenCopies
            }
            stages.dropOptimized()
        }
        if passed.count == 2 {
            trial = FreezingTrial()
            trialCopies = passed
            freezing = trial!.candidates[0]
            stages.frozenCopies = passed[freezing!]!
            optimization = "frozen copies on trial (" + trial!.candidates.map(\.summary).joined(separator: "; ") + "), timed on the next batches"
        } else if let (level, copies) = passed.first {
            freezing = level
            stages.frozenCopies = copies
            optimization = level.summary
            if level == .frozen, let firstFailure { optimization += " (not optimised: \(firstFailure))" }
        } else {
            optimization = "as loaded (\(firstFailure ?? "no frozen copy"))"
        }
    }

    /// Makes `level`'s copies the stages' and checks them on the probe batch; nil when
    /// they agree with the module, else why not (the copies stay for the caller to drop).
    private func checkedFreezing(_ level: Freezing, _ stages: StageRunner) -> String? {
        do {
            try stages.optimizeForInference(optimize: level == .optimized)
        } catch {
            return "freezing failed: \(Self.firstLine(error))"
        }
        do {
            let difference = try optimizedDifference(stages)
            // In a reduced precision the frozen copy folds in that precision; what
            // matters there is the check against float32 (`SharedPass`).
            let tolerance = precision == .float32 ? Self.optimizationTolerance : 2e-2
            guard difference <= tolerance else {
                return String(format: "the %@ module differs by %.2g relative on a probe batch, above %.0e", level.rawValue, difference, tolerance)
            }
            return nil
        } catch {
            return "the \(level.rawValue) module failed on a probe batch: \(Self.firstLine(error))"
        }
    }

    /// The trial's outcome, once, for the run log (nil while it runs or when none ran).
    package func takeTrialReport() -> String? {
        defer { trialReport = nil }
        return trialReport
    }

    /// Whether a freezing trial is still choosing.
    package var trialInProgress: Bool { trial != nil }

    /// Ends a trial on the copies in use.
    private func endTrial() {
        guard trial != nil else { return }
        trial = nil
        trialCopies = [:]
        optimization = (freezing ?? .optimized).summary + " (trial ended before its timings)"
    }

    /// One batch as part of the trial: on the candidate the trial names, timed.
    private func extractOnTrial(values: [Float], shape: [Int], stages: StageRunner) throws -> ExtractedBatch {
        guard var t = trial, let candidate = t.candidate(rows: shape[0]), let copies = trialCopies[candidate] else {
            return try extractBatchNow(values: values, shape: shape)
        }
        stages.frozenCopies = copies
        freezing = candidate
        let started = Date()
        let out = try extractBatchNow(values: values, shape: shape)
        t.record(seconds: Date().timeIntervalSince(started))
        if let winner = t.decision {
            stages.frozenCopies = trialCopies[winner]!
            freezing = winner
            optimization = t.summary ?? winner.summary
            trialReport = optimization
            trialCopies = [:]
            trial = nil
        } else {
            trial = t
        }
        return out
    }

    private static func firstLine(_ error: any Error) -> String {
        String("\(error)".split(separator: "\n", maxSplits: 1).first ?? "")
    }

    /// The largest relative difference between the frozen copies' features (and
    /// logits) and the module's on a fixed pseudo-random batch of two samples.
    private func optimizedDifference(_ stages: StageRunner) throws -> Double {
        let shape = [2] + entry.card.input.sampleShape
        let count = shape.reduce(1, *)
        // A fixed sequence in [-1, 1) (an LCG): the same probe every run.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let values = (0..<count).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
        return try withNoGrad {
            var input = try Tensor(taking: values, shape: shape)
            if precision != .float32 { input = try input.to(precision.dtype) }
            if device != .cpu { input = try input.to(device) }
            let reference = try stages.representation(input, original: true)
            let candidate = try stages.representation(input)
            var worst = try Self.relativeDifference(candidate, reference)
            if let refLogits = try stages.sourceLogits(input: input, features: reference, original: true),
                let logits = try stages.sourceLogits(input: input, features: candidate)
            {
                worst = max(worst, try Self.relativeDifference(logits, refLogits))
            }
            return worst
        }
    }

    /// max |a - b| / max |b| (0 when both are zero; infinity for a shape mismatch).
    package static func relativeDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
        guard a.shape == b.shape else { return .infinity }
        let x = try a.to(.float64).to(.cpu).toArray(of: Double.self)
        let y = try b.to(.float64).to(.cpu).toArray(of: Double.self)
        var diff = 0.0
        var scale = 0.0
        for (u, v) in zip(x, y) {
            guard u.isFinite == v.isFinite else { return .infinity }
            diff = max(diff, abs(u - v))
            scale = max(scale, abs(v))
        }
        if diff == 0 { return 0 }
        return scale > 0 ? diff / scale : .infinity
    }

    /// Total number of parameters (elements); 0 for a package (its weights are frozen
    /// constants, not parameters).
    package var parameterCount: Int {
        guard case .script(let module, _) = backend else { return 0 }
        return ((try? module.parameters()) ?? []).reduce(0) { $0 + $1.count }
    }

    /// Features (and source probabilities) of one batch laid out as `shape`
    /// ([B, C, H, W] or [B, F]), run in pieces of `preferredBatchSize` rows when it
    /// is set and smaller than the batch.
    package func extract(values: [Float], shape: [Int]) throws -> ExtractedBatch {
        try checkInputShape(shape)
        let rows = shape[0]
        guard let step = preferredBatchSize, step > 0, rows > step else { return try extractBatch(values: values, shape: shape) }
        let width = values.count / rows
        var merged: ExtractedBatch?
        var start = 0
        while start < rows {
            let end = min(rows, start + step)
            let part = try extractBatch(values: Array(values[start * width..<end * width]), shape: [end - start] + shape.dropFirst())
            if var m = merged {
                m.rows += part.rows
                m.features += part.features
                if let p = part.probabilities { m.probabilities? += p }
                merged = m
            } else {
                merged = part
            }
            start = end
        }
        return merged!
    }

    private func extractBatch(values: [Float], shape: [Int]) throws -> ExtractedBatch {
        if trial != nil, case .script(_, let stages) = backend {
            return try extractOnTrial(values: values, shape: shape, stages: stages)
        }
        return try extractBatchNow(values: values, shape: shape)
    }

    private func extractBatchNow(values: [Float], shape: [Int]) throws -> ExtractedBatch {
        try withNoGrad {
            do {
                var input = try Tensor(taking: values, shape: shape)
                if precision != .float32 { input = try input.to(precision.dtype) }
                if device != .cpu { input = try input.to(device) }
                if memoryFormat == .channelsLast { input = try input.contiguous(.channelsLast) }
                let (features, logits) = try run(input)
                let cpuFeatures = try features.to(.cpu)
                var result = ExtractedBatch(
                    rows: features.shape[0], dimension: features.shape[1],
                    features: try cpuFeatures.toArray(of: Float.self))
                if let logits {
                    let probabilities = try logits.to(.float32).softmax(dim: 1).to(.cpu)
                    result.sourceClasses = logits.shape[1]
                    result.probabilities = try probabilities.toArray(of: Float.self)
                }
                return result
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }

    private func checkInputShape(_ shape: [Int]) throws {
        switch backend {
        case .script(_, let stages): try stages.checkInputShape(shape)
        case .package:
            let expected = entry.card.input.sampleShape
            guard shape.count == expected.count + 1, Array(shape.dropFirst()) == expected else {
                throw HubError.modelFailed(
                    model: entry.name,
                    message: "input batch has shape \(shape) but the card expects [B, \(expected.map(String.init).joined(separator: ", "))]")
            }
        }
    }

    /// The pooled features [B, D] (float32) and the source logits [B, S] if the card has a head.
    private func run(_ input: Tensor) throws -> (Tensor, Tensor?) {
        switch backend {
        case .script(_, let stages):
            let features = try stages.representation(input)
            return (features, try stages.sourceLogits(input: input, features: features))
        case .package(let package):
            let outputs = try package.run([input])
            let card = entry.card
            func pick(_ selector: OutputSelector?, field: String) throws -> Tensor {
                guard let selector else {
                    guard outputs.count == 1 else {
                        throw HubError.invalidCard(
                            card: entry.cardName, field: field + ".output",
                            message: "the package gives \(outputs.count) outputs: say which one (an index)")
                    }
                    return outputs[0]
                }
                guard case .index(let i) = selector, outputs.indices.contains(i) else {
                    throw HubError.invalidCard(
                        card: entry.cardName, field: field + ".output",
                        message: "\(selector) is not one of the package's \(outputs.count) outputs (indices 0..<\(outputs.count))")
                }
                return outputs[i]
            }
            let features = try StageRunner.pool(
                try pick(card.representation.output, field: "representation"),
                card.representation.pooling, batch: input.shape[0], model: entry.name)
            var logits: Tensor? = nil
            if let head = card.sourceHead {
                let l = try pick(head.output, field: "source_head")
                guard l.rank == 2, l.shape[0] == input.shape[0] else {
                    throw HubError.wrongRank(model: entry.name, shape: l.shape, message: "source-head logits must be [\(input.shape[0]), S]")
                }
                logits = l
            }
            return (features, logits)
        }
    }

    /// A dummy batch of `count` at the card's input size (values 0.5), run end to end:
    /// the feature dimension and source-class count.
    package func probe(batch count: Int = 2) throws -> (dimension: Int, sourceClasses: Int?) {
        if textInput != nil {
            let out = try extract(texts: Array(repeating: ["hello world"], count: count))
            return (out.dimension, out.sourceClasses)
        }
        let shape = [count] + entry.card.input.sampleShape
        let out = try extract(values: Array(repeating: 0.5, count: shape.reduce(1, *)), shape: shape)
        return (out.dimension, out.sourceClasses)
    }

    /// The shapes of the card's hint maps on a dummy batch of `count` (values 0.5),
    /// nil when the card has no `hints` stage.
    package func probeHints(batch count: Int = 2) throws -> [[Int]]? {
        guard entry.card.hints != nil, case .script = backend else { return nil }
        if textInput != nil { return try probeTextHints(batch: count) }
        let shape = [count] + entry.card.input.sampleShape
        try stages.checkInputShape(shape)
        return try withNoGrad {
            do {
                var input = try Tensor.full(shape, value: 0.5)
                if precision != .float32 { input = try input.to(precision.dtype) }
                if device != .cpu { input = try input.to(device) }
                return try stages.hints(input)?.map(\.shape)
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }
}

extension ModelCard {
    /// The data transform the card's input asks for (channel count, resize policy,
    /// then normalisation), nil when samples go in as they are.
    package func transform() -> (any Transform)? { transform(augmentation: []) }

    /// The card's transform with `augmentation` (random crops, flips) inserted after
    /// the resize and before the normalisation, as training recipes place them.
    package func transform(augmentation: [any Transform]) -> (any Transform)? {
        var steps = [any Transform]()
        if input.kind == .image {
            steps.append(MatchChannels(channels: input.channels))
            // timm's eval transform: resize to ⌊size / crop_pct⌋, then the centre crop.
            let crop = input.cropPercentage ?? 1
            func scaled(_ side: Int) -> Int { crop < 1 ? Int((Double(side) / crop).rounded(.down)) : side }
            switch input.resize {
            case .resizeCrop:
                steps.append(Resize(shorter: scaled(Swift.max(input.height, input.width))))
                steps.append(CenterCrop(height: input.height, width: input.width))
            case .resize where crop < 1:
                steps.append(Resize(height: scaled(input.height), width: scaled(input.width)))
                steps.append(CenterCrop(height: input.height, width: input.width))
            case .resize:
                steps.append(Resize(height: input.height, width: input.width))
            case .none:
                break
            }
            steps += augmentation
            if let mean = input.mean, let std = input.std { steps.append(Normalize(mean: mean, std: std)) }
        }
        if steps.isEmpty { return nil }
        return steps.count == 1 ? steps[0] : Compose(steps)
    }

    /// Stable text of the transform, for cache keys.
    package var transformDescription: String { transform()?.description ?? "identity" }

    /// The input pipeline: models with equal pipelines see identical input tensors
    /// for every sample (the same kind, sample shape, channel handling, resize policy
    /// and normalisation), so one decoded batch can feed them all.
    package var inputPipeline: String {
        "\(input.kind.rawValue) \(input.sampleShape.map(String.init).joined(separator: "x")) \(transformDescription)"
    }
}

/// Models grouped by input pipeline (`ModelCard.inputPipeline`): groups in the order
/// of their first model, models in their given order.
package func groupedByInputPipeline(_ entries: [HubEntry]) -> [[HubEntry]] {
    var order = [String]()
    var groups = [String: [HubEntry]]()
    for entry in entries {
        let key = entry.card.inputPipeline
        if groups[key] == nil { order.append(key) }
        groups[key, default: []].append(entry)
    }
    return order.map { groups[$0]! }
}
