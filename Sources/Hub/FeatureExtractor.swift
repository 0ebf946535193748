import Data
import Foundation
import Torch

/// One batch's outputs: features (rows x dimension, row-major) and, when the card
/// has a source head, softmax probabilities over the source classes.
public struct ExtractedBatch: Sendable {
    public var rows: Int
    public var dimension: Int
    public var features: [Float]
    public var sourceClasses: Int?
    public var probabilities: [Float]?
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
/// Not `Sendable` (it holds a `ScriptModule`): use one extractor per thread.
public final class FeatureExtractor {
    public let entry: HubEntry
    let module: ScriptModule
    /// The card's stages on `module` (shared with the tuning layer's model runner).
    let stages: StageRunner
    /// The tokeniser of a text model (`input.kind: tokens`), nil for other models.
    public let textInput: TextInput?

    /// Loads the module and checks the card's methods and submodules exist.
    public init(entry: HubEntry) throws {
        self.entry = entry
        module = try StageRunner.loadModule(entry)
        do {
            try module.eval()
        } catch {
            throw HubError.modelFailed(model: entry.name, message: "\(entry.modelFile.lastPathComponent) does not load as TorchScript: \(error)")
        }
        stages = try StageRunner(entry: entry, module: module)
        textInput = entry.card.input.kind == .tokens ? try TextInput(entry: entry) : nil
    }

    /// Total number of parameters (elements).
    public var parameterCount: Int {
        ((try? module.parameters()) ?? []).reduce(0) { $0 + $1.count }
    }

    /// Features (and source probabilities) of one batch laid out as `shape`
    /// ([B, C, H, W] or [B, F]).
    public func extract(values: [Float], shape: [Int]) throws -> ExtractedBatch {
        try stages.checkInputShape(shape)
        return try withNoGrad {
            do {
                let input = try Tensor(taking: values, shape: shape)
                let features = try stages.representation(input)
                var result = ExtractedBatch(rows: features.shape[0], dimension: features.shape[1],
                                            features: try features.toArray(of: Float.self))
                if let logits = try stages.sourceLogits(input: input, features: features) {
                    let probabilities = try logits.to(.float32).softmax(dim: 1)
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

    /// A dummy batch of `count` at the card's input size (values 0.5), run end to end:
    /// the feature dimension and source-class count.
    public func probe(batch count: Int = 2) throws -> (dimension: Int, sourceClasses: Int?) {
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
    public func probeHints(batch count: Int = 2) throws -> [[Int]]? {
        guard entry.card.hints != nil else { return nil }
        if textInput != nil { return try probeTextHints(batch: count) }
        let shape = [count] + entry.card.input.sampleShape
        try stages.checkInputShape(shape)
        return try withNoGrad {
            do {
                let input = try Tensor.full(shape, value: 0.5)
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
    public func transform() -> (any Transform)? { transform(augmentation: []) }

    /// The card's transform with `augmentation` (random crops, flips) inserted after
    /// the resize and before the normalisation, as training recipes place them.
    public func transform(augmentation: [any Transform]) -> (any Transform)? {
        var steps = [any Transform]()
        if input.kind == .image {
            steps.append(MatchChannels(channels: input.channels))
            switch input.resize {
            case .resizeCrop:
                steps.append(Resize(shorter: Swift.max(input.height, input.width)))
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
    public var transformDescription: String { transform()?.description ?? "identity" }
}
