import Foundation
import Torch

/// The card's stages on text models: the methods take `input_ids`, `attention_mask`
/// and `token_type_ids` ([B, L] int64, `TextInput.encode`) instead of one tensor.
extension StageRunner {
    /// The pooled representation [B, D] (float32, contiguous): the representation
    /// method (default `forward`) run on the three token tensors. Text models pool
    /// inside the method (docs/HUB.md), so the card's pooling must be `none`.
    package func representation(ids: Tensor, mask: Tensor, types: Tensor) throws -> Tensor {
        let rep = entry.card.representation
        guard rep.after == nil, rep.stage.submodule == nil, rep.stage.output == nil, rep.pooling == .none else {
            throw HubError.invalidCard(
                card: entry.cardName, field: "representation",
                message: "a text model's representation is a method on the token ids (no submodule, after, output or pooling)")
        }
        let name = rep.stage.method ?? "forward"
        let value = try module.run(method: name, [.tensor(ids), .tensor(mask), .tensor(types)], inferenceMode: inferenceMode)
        guard case .tensor(let t) = value else {
            throw HubError.modelFailed(model: entry.name, message: "\(name) returned \(value.kindDescription), not a tensor")
        }
        guard t.rank == 2, t.shape[0] == ids.shape[0] else {
            throw HubError.wrongRank(model: entry.name, shape: t.shape, message: "a text model's \(name) must give [B, D]")
        }
        return try t.to(.float32).contiguous()
    }

    /// Every hidden state's masked mean over the tokens, [B, K, H] (K = embeddings +
    /// layers): the card's `hints` method (the checkpoints' `hidden_states`), pooled
    /// as the default text representation pools the last one.
    package func layerFeatures(ids: Tensor, mask: Tensor, types: Tensor) throws -> Tensor {
        let m = try mask.to(.float32).unsqueeze(dim: -1)
        let count = try m.sum(dims: [1]).clamp(min: 1e-9)
        let pooled = try textHints(ids: ids, mask: mask, types: types).map { h in
            try (h.to(.float32) * m).sum(dims: [1]) / count
        }
        return try Tensor.stack(pooled, dim: 1).contiguous()
    }

    /// The card's `hints` method on the token tensors: every hidden state [B, L, H].
    package func textHints(ids: Tensor, mask: Tensor, types: Tensor) throws -> [Tensor] {
        guard let stage = entry.card.hints, let name = stage.method, stage.submodule == nil else {
            throw HubError.modelFailed(model: entry.name, message: "every-layer extraction needs the card's hints to be a method (hidden_states)")
        }
        let value = try module.run(method: name, [.tensor(ids), .tensor(mask), .tensor(types)], inferenceMode: inferenceMode)
        let items: [ScriptValue]
        switch value {
        case .list(let list), .tuple(let list): items = list
        default:
            throw HubError.modelFailed(model: entry.name, message: "\(name) returned \(value.kindDescription), not a list of tensors")
        }
        return try items.enumerated().map { i, item -> Tensor in
            guard case .tensor(let h) = item, h.rank == 3, h.shape[0] == ids.shape[0], h.shape[1] == ids.shape[1] else {
                throw HubError.modelFailed(model: entry.name, message: "\(name) element \(i) is not a [B, L, H] tensor")
            }
            return h
        }
    }
}
