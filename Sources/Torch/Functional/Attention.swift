internal import CTorch

extension Functional {
    /// Scaled-dot-product attention, `torch.nn.functional.scaled_dot_product_attention`
    /// without dropout: softmax(Q Kᵀ · scale + mask) V over the last two dimensions
    /// of (..., L, E) queries, (..., S, E) keys and (..., S, Ev) values.
    ///
    /// - mask: nil; a bool tensor broadcastable to (..., L, S), true where a query
    ///   may attend; or a float tensor added to the scores.
    /// - isCausal: query i attends to keys 0...i only (with no mask).
    /// - scale: nil means 1/√E.
    public static func scaledDotProductAttention(
        query: Tensor, key: Tensor, value: Tensor, mask: Tensor? = nil,
        isCausal: Bool = false, scale: Double? = nil
    ) throws -> Tensor {
        try query.withHandle { q in
            try key.withHandle { k in
                try value.withHandle { v in
                    try withOptionalHandle(mask) { m in
                        try Tensor.make("scaledDotProductAttention") {
                            ht_scaled_dot_product_attention(q, k, v, m, isCausal ? 1 : 0, scale ?? .nan, $0)
                        }
                    }
                }
            }
        }
    }
}
