internal import CTorch

extension Tensor {
    /// Singular values of the last two dimensions, in descending order
    /// (`torch.linalg.svdvals`). Differentiable: the gradient of σᵢ is uᵢvᵢᵀ, which
    /// is well defined while the singular values are distinct.
    public func singularValues() throws -> Tensor {
        try derive("singularValues") { ht_linalg_svdvals($0, $1) }
    }
}
