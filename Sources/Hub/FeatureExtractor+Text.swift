import Foundation
import Torch

extension FeatureExtractor {
    /// Features of a batch of texts (one string or a pair per sample): tokenised by
    /// the model's own tokeniser (`TextInput`), then the representation method on
    /// ids, mask and token types. Source heads are not run for text models.
    public func extract(texts: [[String]]) throws -> ExtractedBatch {
        let (ids, mask, types) = try encodedTexts(texts)
        return try withNoGrad {
            do {
                let features = try stages.representation(ids: ids, mask: mask, types: types)
                return ExtractedBatch(rows: features.shape[0], dimension: features.shape[1],
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
    public func extractLayers(texts: [[String]]) throws -> (values: [Float], shape: [Int]) {
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

    private func encodedTexts(_ texts: [[String]]) throws -> (Tensor, Tensor, Tensor) {
        guard let textInput else {
            throw HubError.modelFailed(model: entry.name, message: "an image or tabular model cannot take texts (input.kind is \(entry.card.input.kind.rawValue))")
        }
        return try textInput.encode(texts, model: entry.name)
    }
}
