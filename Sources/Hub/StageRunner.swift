import Foundation
import Models
import Torch

/// Runs a model card's stages on a loaded TorchScript module: the representation
/// (with its `after` stage and pooling), the source head and the hints. Shared by
/// `FeatureExtractor` (inference, no gradient) and the tuning layer's model runner
/// (training, with gradient when autograd is on), so both read a card the same way.
///
/// It neither switches gradient mode nor the module's train/eval mode: callers do.
/// Not `Sendable` (it holds a `ScriptModule`).
package final class StageRunner {
    package let entry: HubEntry
    package let module: ScriptModule
    /// Runs every forward pass under libtorch's `InferenceMode` (extraction); off for
    /// training, whose passes autograd must record.
    package var inferenceMode = false
    /// The floating-point type of the module's parameters: a submodule source head
    /// gets the pooled (float32) features cast to it.
    package var computeType = DType.float32
    /// Frozen, inference-optimised copies of what the representation (with its
    /// `after`) and source-head stages run on: "" the top module (its methods kept),
    /// a dotted path that submodule's `forward`. Empty until `optimizeForInference()`.
    private var optimized = [String: ScriptModule]()

    /// Checks that every stage the card names exists in `module`.
    package init(entry: HubEntry, module: ScriptModule) throws {
        self.entry = entry
        self.module = module
        let card = entry.card
        if let after = card.representation.after { try check(after, field: "representation.after") }
        try check(card.representation.stage, field: "representation")
        if let head = card.sourceHead { try check(head, field: "source_head") }
        if let hints = card.hints { try check(hints, field: "hints") }
    }

    /// Loads the card's TorchScript file (left in whatever mode it was saved in), or
    /// builds the model of a checkpoint folder with its weights (in eval mode).
    package static func loadModule(_ entry: HubEntry) throws -> ScriptModule {
        if entry.isCheckpointFolder {
            do {
                return try Checkpoint.load(entry.modelFile).module
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
        guard entry.card.format == .torchScript else {
            throw HubError.modelFailed(
                model: entry.name,
                message:
                    "\(entry.modelFile.lastPathComponent) is an AOTInductor package (.pt2), which is inference-only (extraction and ranking); this needs a TorchScript model (torch.jit.script or torch.jit.trace, then torch.jit.save)"
            )
        }
        do {
            return try ScriptModule(contentsOf: entry.modelFile.path)
        } catch {
            // The file is named once; the reason says what to do (docs/HUB.md).
            let reason: String
            if case TorchError.incompatibleModel(_, let message) = error { reason = message } else { reason = "\(error)" }
            throw HubError.modelFailed(model: entry.name, message: "\(entry.modelFile.lastPathComponent) does not load as TorchScript: \(reason)")
        }
    }

    private func check(_ stage: Stage, field: String) throws {
        let file = entry.modelFile.lastPathComponent
        if let path = stage.submodule {
            let paths = module.submodulePaths
            guard paths.contains(path) else {
                let shown = paths.filter { !$0.contains(".") }
                throw HubError.invalidCard(
                    card: entry.cardName, field: field + ".submodule",
                    message: "'\(path)' is not a submodule of \(file) (submodules: \(shown.isEmpty ? "none" : shown.joined(separator: ", ")))")
            }
        } else {
            let name = stage.method ?? "forward"
            guard module.hasMethod(name) else {
                throw HubError.invalidCard(
                    card: entry.cardName, field: field + ".method",
                    message: "\(file) has no method '\(name)' (methods: \(module.methodNames.sorted().joined(separator: ", ")))")
            }
        }
    }

    /// The shape check every entry point shares: `[B] + the card's sample shape`.
    package func checkInputShape(_ shape: [Int]) throws {
        guard entry.card.input.kind != .tokens else {
            throw HubError.modelFailed(
                model: entry.name,
                message: "a text model takes texts (a text dataset: CSV, TSV or JSON Lines), not a batch of values of shape \(shape)")
        }
        let expected = entry.card.input.sampleShape
        guard shape.count == expected.count + 1, Array(shape.dropFirst()) == expected else {
            throw HubError.modelFailed(
                model: entry.name,
                message: "input batch has shape \(shape) but the card expects [B, \(expected.map(String.init).joined(separator: ", "))]")
        }
    }

    /// Whether the representation and source-head stages run on frozen copies.
    package var isOptimized: Bool { !optimized.isEmpty }

    /// The stages the extraction runs (representation, its `after`, the source head).
    private var extractionStages: [Stage] {
        let card = entry.card
        return [card.representation.after, card.representation.stage, card.sourceHead].compactMap { $0 }
    }

    /// Freezes what the representation and source-head stages run on (the top module
    /// keeping the methods they name, each named submodule on its own) and, with
    /// `optimize`, applies `torch.jit.optimize_for_inference`; the stages then run on
    /// these copies (hints keep the module itself). For extraction only: the copies
    /// have no parameters to train. Needs eval mode. Throws, leaving the runner as it
    /// was, when libtorch cannot freeze them.
    package func optimizeForInference(optimize: Bool = true) throws {
        var methods = [String]()
        var paths = [String]()
        for stage in extractionStages {
            if let path = stage.submodule {
                if !paths.contains(path) { paths.append(path) }
            } else {
                let name = stage.method ?? "forward"
                if !methods.contains(name) { methods.append(name) }
            }
        }
        var copies = [String: ScriptModule]()
        if !methods.isEmpty { copies[""] = try module.frozenForInference(methods: methods, optimize: optimize) }
        for path in paths { copies[path] = try module.submodule(path).frozenForInference(optimize: optimize) }
        optimized = copies
    }

    /// Back to the module itself (after a failed check of the frozen copies).
    package func dropOptimized() { optimized = [:] }

    /// The frozen copies the stages run on, to set aside and swap back in
    /// (`FeatureExtractor`'s trial between two freezings); empty: the module itself.
    package var frozenCopies: [String: ScriptModule] {
        get { optimized }
        set { optimized = newValue }
    }

    /// Runs one stage on `value` (on the frozen copies unless `original`).
    package func run(_ stage: Stage, on value: ScriptValue, field: String, original: Bool = false) throws -> ScriptValue {
        var result: ScriptValue
        if let path = stage.submodule {
            let target = original ? nil : optimized[path]
            result = try (target ?? module.submodule(path)).run(method: "forward", [value], inferenceMode: inferenceMode)
        } else {
            let target = original ? nil : optimized[""]
            result = try (target ?? module).run(method: stage.method ?? "forward", [value], inferenceMode: inferenceMode)
        }
        if let selector = stage.output {
            result = try select(selector, from: result, field: field + ".output")
        }
        return result
    }

    private func select(_ selector: OutputSelector, from value: ScriptValue, field: String) throws -> ScriptValue {
        switch (selector, value) {
        case let (.index(i), .tuple(items)), let (.index(i), .list(items)):
            guard items.indices.contains(i) else {
                throw HubError.invalidCard(card: entry.cardName, field: field, message: "index \(i) but the result has \(items.count) elements")
            }
            return items[i]
        case let (.key(k), .dict(pairs)):
            guard let hit = pairs.first(where: { $0.key == k }) else {
                throw HubError.invalidCard(
                    card: entry.cardName, field: field,
                    message: "no key '\(k)' in the result (keys: \(pairs.map(\.key).joined(separator: ", ")))")
            }
            return hit.value
        default:
            throw HubError.invalidCard(
                card: entry.cardName, field: field, message: "cannot select \(selector) from the result (\(value.kindDescription))")
        }
    }

    private func tensor(_ value: ScriptValue, what: String) throws -> Tensor {
        guard case .tensor(let t) = value else {
            throw HubError.modelFailed(
                model: entry.name, message: "\(what) returned \(value.kindDescription), not a tensor (name an element with 'output')")
        }
        return t
    }

    /// The pooled representation [B, D] (float32, contiguous) of `input` ([B, ...]).
    package func representation(_ input: Tensor, original: Bool = false) throws -> Tensor {
        let rep = entry.card.representation
        var value = ScriptValue.tensor(input)
        if let after = rep.after { value = try run(after, on: value, field: "representation.after", original: original) }
        value = try run(rep.stage, on: value, field: "representation", original: original)
        return try pool(try tensor(value, what: rep.stage.summary), rep.pooling, batch: input.shape[0])
    }

    /// The source head's logits [B, S] (dtype as the model gives them), or nil when
    /// the card has no source head. A `method` head runs on `input`, a `submodule`
    /// head on the pooled `features`.
    package func sourceLogits(input: Tensor, features: Tensor, original: Bool = false) throws -> Tensor? {
        guard let head = entry.card.sourceHead else { return nil }
        let source: ScriptValue = head.submodule != nil ? .tensor(try features.to(computeType)) : .tensor(input)
        let logits = try tensor(try run(head, on: source, field: "source_head", original: original), what: "source head \(head.summary)")
        let batch = input.shape[0]
        guard logits.rank == 2, logits.shape[0] == batch else {
            throw HubError.wrongRank(model: entry.name, shape: logits.shape, message: "source-head logits must be [\(batch), S]")
        }
        return logits
    }

    /// The hint maps, shallow to deep, or nil when the card has no `hints` stage. The
    /// stage runs on `input` and must give a tuple or list of tensors (a single
    /// tensor is one hint), each with the batch as its first axis.
    package func hints(_ input: Tensor) throws -> [Tensor]? {
        guard let stage = entry.card.hints else { return nil }
        let value = try run(stage, on: .tensor(input), field: "hints", original: true)
        let items: [ScriptValue]
        switch value {
        case .tensor: items = [value]
        case .tuple(let list), .list(let list): items = list
        default:
            throw HubError.modelFailed(
                model: entry.name, message: "hints (\(stage.summary)) returned \(value.kindDescription), not a list or tuple of tensors")
        }
        guard !items.isEmpty else {
            throw HubError.modelFailed(model: entry.name, message: "hints (\(stage.summary)) returned no tensors")
        }
        return try items.enumerated().map { i, item in
            let t = try tensor(item, what: "hints (\(stage.summary)) element \(i)")
            guard t.rank >= 2, t.shape[0] == input.shape[0] else {
                throw HubError.modelFailed(
                    model: entry.name,
                    message: "hint \(i) has shape \(t.shape): the first axis must be the batch (\(input.shape[0]))")
            }
            return t
        }
    }

    private func pool(_ t: Tensor, _ pooling: RepresentationSpec.Pooling, batch: Int) throws -> Tensor {
        try Self.pool(t, pooling, batch: batch, model: entry.name)
    }

    /// Pools to N x D, or fails naming the model and the shape.
    static func pool(_ t: Tensor, _ pooling: RepresentationSpec.Pooling, batch: Int, model: String) throws -> Tensor {
        let shape = t.shape
        guard shape.first == batch else {
            throw HubError.wrongRank(model: model, shape: shape, message: "the first axis must be the batch (\(batch))")
        }
        var out = t
        switch pooling {
        case .none:
            break
        case .avg, .max:
            guard shape.count >= 3 else {
                throw HubError.wrongRank(model: model, shape: shape, message: "\(pooling.rawValue) pooling needs spatial axes (rank 3 or more)")
            }
            let dims = Array(2..<shape.count)
            out = pooling == .avg ? try t.to(.float32).mean(dims: dims) : try t.to(.float32).max(dims: dims)
        case .flatten:
            out = try t.flatten(startDim: 1)
        }
        guard out.rank == 2 else {
            throw HubError.wrongRank(
                model: model, shape: shape,
                message: "features must be rank 2 (N x D) after pooling '\(pooling.rawValue)'; set representation.pooling to avg, max or flatten")
        }
        return try out.to(.float32).contiguous()
    }
}

extension ScriptValue {
    var kindDescription: String {
        switch self {
        case .none: return "None"
        case .tensor(let t): return "a tensor of shape \(t.shape)"
        case .double: return "a float"
        case .int: return "an int"
        case .bool: return "a bool"
        case .string: return "a string"
        case .tuple(let items): return "a tuple of \(items.count)"
        case .list(let items): return "a list of \(items.count)"
        case .dict(let pairs): return "a dict with keys \(pairs.map(\.key).joined(separator: ", "))"
        }
    }
}
