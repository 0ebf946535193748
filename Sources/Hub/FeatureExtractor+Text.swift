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

    /// How many batches of texts one bucketing window holds (`extract(texts:batchSize:)`):
    /// extraction hands the extractor this many batches' texts at once.
    package static let textBucketWindow = 16

    /// Features of many texts with length bucketing: the texts are tokenised
    /// unpadded, sorted by token count, run in batches of at most `batchSize`, each
    /// padded only to its own longest, and the rows put back in the order of `texts`.
    /// Padding tokens are masked out of attention and pooling, so the rows equal
    /// `extract(texts:)`'s up to rounding; a batch of similar lengths just costs less
    /// than one padded to the longest text of the whole group (sentence-transformers
    /// sorts by length the same way).
    package func extract(texts: [[String]], batchSize: Int) throws -> ExtractedBatch {
        let (values, shape) = try bucketed(texts, batchSize: batchSize) { ids, mask, types in
            try stages.representation(ids: ids, mask: mask, types: types)
        }
        guard shape.count == 2 else {
            throw HubError.modelFailed(model: entry.name, message: "text features must be N x D, found shape \(shape)")
        }
        return ExtractedBatch(rows: shape[0], dimension: shape[1], features: values)
    }

    /// Every hidden layer's pooled features of many texts with length bucketing, as
    /// `extract(texts:batchSize:)`: [N, K, H] row-major in the order of `texts`.
    package func extractLayers(texts: [[String]], batchSize: Int) throws -> (values: [Float], shape: [Int]) {
        try bucketed(texts, batchSize: batchSize) { ids, mask, types in
            try stages.layerFeatures(ids: ids, mask: mask, types: types)
        }
    }

    /// Runs `forward` over `texts` in length-sorted batches and gathers its [b, ...]
    /// float outputs into one [N, ...] array in the order of `texts`.
    private func bucketed(
        _ texts: [[String]], batchSize: Int, _ forward: (Tensor, Tensor, Tensor) throws -> Tensor
    ) throws -> (values: [Float], shape: [Int]) {
        guard let textInput else {
            throw HubError.modelFailed(
                model: entry.name, message: "an image or tabular model cannot take texts (input.kind is \(entry.card.input.kind.rawValue))")
        }
        guard batchSize >= 1 else { throw HubError.modelFailed(model: entry.name, message: "batch size must be >= 1, found \(batchSize)") }
        let encodings = try textInput.encodeUnpadded(texts, model: entry.name)
        // stable: equal lengths keep their order, so the batches do not depend on the sort
        let order = encodings.indices.sorted { (encodings[$0].ids.count, $0) < (encodings[$1].ids.count, $1) }
        var out = [Float]()
        var rowShape = [Int]()
        return try withNoGrad {
            do {
                for start in stride(from: 0, to: order.count, by: batchSize) {
                    let group = Array(order[start..<min(start + batchSize, order.count)])
                    let (ids, mask, types) = try textInput.tensors(of: group.map { encodings[$0] })
                    let result = try forward(ids, mask, types).to(.float32).contiguous()
                    let values = try result.toArray(of: Float.self)
                    let shape = Array(result.shape.dropFirst())
                    if start == 0 {
                        rowShape = shape
                        out = [Float](repeating: 0, count: texts.count * shape.reduce(1, *))
                    }
                    guard result.shape.first == group.count, shape == rowShape else {
                        throw HubError.modelFailed(
                            model: entry.name, message: "output shape changed between batches (\(rowShape) then \(result.shape))")
                    }
                    let width = shape.reduce(1, *)
                    for (r, sample) in group.enumerated() {
                        out.replaceSubrange((sample * width)..<((sample + 1) * width), with: values[(r * width)..<((r + 1) * width)])
                    }
                }
                return (out, [texts.count] + rowShape)
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
