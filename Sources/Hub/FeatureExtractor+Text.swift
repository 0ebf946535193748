import Foundation
import Torch

extension FeatureExtractor {
    /// Features of a batch of texts (one string or a pair per sample): tokenised by
    /// the model's own tokeniser (`TextInput`), then the representation method on
    /// ids, mask and token types. Source heads are not run for text models.
    package func extract(texts: [[String]]) throws -> ExtractedBatch {
        let (ids, mask, types) = try encodedTexts(texts)
        return try withNoGrad {
            do {
                let features = try stages.representation(ids: ids, mask: mask, types: types)
                return ExtractedBatch(
                    rows: features.shape[0], dimension: features.shape[1],
                    features: try features.toArray(of: Float.self))
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }

    /// Every hidden layer's pooled features of a batch of texts in one pass:
    /// [B, K, H] row-major (K = the embedding output plus each layer), with its shape.
    package func extractLayers(texts: [[String]]) throws -> (values: [Float], shape: [Int]) {
        let (ids, mask, types) = try encodedTexts(texts)
        return try withNoGrad {
            do {
                let layers = try stages.layerFeatures(ids: ids, mask: mask, types: types)
                return (try layers.toArray(of: Float.self), layers.shape)
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }

    /// The shapes of a text model's hint maps (its hidden states, [B, L, H]) on
    /// `count` copies of a short text.
    func probeTextHints(batch count: Int) throws -> [[Int]] {
        let (ids, mask, types) = try encodedTexts(Array(repeating: ["hello world"], count: count))
        return try withNoGrad {
            do {
                return try stages.textHints(ids: ids, mask: mask, types: types).map(\.shape)
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }

    private func encodedTexts(_ texts: [[String]]) throws -> (Tensor, Tensor, Tensor) {
        guard let textInput else {
            throw HubError.modelFailed(
                model: entry.name, message: "an image or tabular model cannot take texts (input.kind is \(entry.card.input.kind.rawValue))")
        }
        return try textInput.encode(texts, model: entry.name)
    }
}

extension FeatureExtractor {
    /// Every hint map's pooled features of an image (or tabular) batch in one pass,
    /// shallow to deep: the card's `hints` stage (checkpoints: `hidden_states`), each
    /// map averaged over every axis after the batch's first feature axis where it is a
    /// feature map [B, C, H, W] (over H, W), or over the tokens where it is [B, T, D]
    /// (over T). One [B, D_k] matrix per map, with its width.
    package func extractLayers(values: [Float], shape: [Int]) throws -> [(values: [Float], dimension: Int)] {
        try stages.checkInputShape(shape)
        guard entry.card.hints != nil else {
            throw HubError.modelFailed(
                model: entry.name, message: "every-layer extraction needs a 'hints' stage in the card (checkpoints have hidden_states)")
        }
        return try withNoGrad {
            do {
                let input = try Tensor(taking: values, shape: shape)
                let maps = try stages.hints(input) ?? []
                return try maps.map { map -> (values: [Float], dimension: Int) in
                    let x = try map.to(.float32)
                    let pooled: Tensor
                    switch x.rank {
                    case 2: pooled = x
                    case 3: pooled = try x.mean(dims: [1])
                    default: pooled = try x.mean(dims: Array(2..<x.rank))
                    }
                    let c = try pooled.contiguous()
                    return (try c.toArray(of: Float.self), c.shape[1])
                }
            } catch let error as HubError {
                throw error
            } catch {
                throw HubError.modelFailed(model: entry.name, message: "\(error)")
            }
        }
    }
}
