internal import CTorch

/// How a loss combines its per-element values.
public enum Reduction: Sendable {
    case none, mean, sum

    var code: Int32 {
        switch self {
        case .none: return Int32(HT_REDUCTION_NONE)
        case .mean: return Int32(HT_REDUCTION_MEAN)
        case .sum: return Int32(HT_REDUCTION_SUM)
        }
    }
}

/// Reductions of the KL divergence. `batchMean` (sum over everything divided by
/// the batch size) is the one that matches the mathematical definition; PyTorch's
/// `mean` divides by the element count and is kept only for completeness.
public enum KLReduction: Sendable {
    case none, batchMean, sum, mean
}

/// Loss functions, as `torch.nn.functional`.
public enum Loss {
    /// Cross-entropy of unnormalised `logits` (N, C[, ...]) against `targets`: int64
    /// class indices (N[, ...]) or class probabilities shaped like `logits`.
    /// `labelSmoothing` mixes the targets with the uniform distribution.
    public static func crossEntropy(
        _ logits: Tensor, _ targets: Tensor, weight: Tensor? = nil,
        reduction: Reduction = .mean, ignoreIndex: Int = -100,
        labelSmoothing: Double = 0
    ) throws -> Tensor {
        try logits.withHandle { lh in
            try targets.withHandle { th in
                try withOptionalHandle(weight) { wh in
                    try Tensor.make("crossEntropy") {
                        ht_loss_cross_entropy(lh, th, wh, reduction.code, Int64(ignoreIndex), labelSmoothing, $0)
                    }
                }
            }
        }
    }

    /// Negative log-likelihood of log-probabilities against int64 class indices.
    public static func nll(
        _ logProbs: Tensor, _ targets: Tensor, weight: Tensor? = nil,
        reduction: Reduction = .mean, ignoreIndex: Int = -100
    ) throws -> Tensor {
        try logProbs.withHandle { lh in
            try targets.withHandle { th in
                try withOptionalHandle(weight) { wh in
                    try Tensor.make("nll") { ht_loss_nll(lh, th, wh, reduction.code, Int64(ignoreIndex), $0) }
                }
            }
        }
    }

    /// Mean squared error.
    public static func mse(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try pair(input, target, "mse") { ht_loss_mse($0, $1, reduction.code, $2) }
    }

    /// Mean absolute error.
    public static func l1(_ input: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try pair(input, target, "l1") { ht_loss_l1($0, $1, reduction.code, $2) }
    }

    /// Huber-style loss: quadratic below `beta`, linear above.
    public static func smoothL1(
        _ input: Tensor, _ target: Tensor, reduction: Reduction = .mean,
        beta: Double = 1
    ) throws -> Tensor {
        try pair(input, target, "smoothL1") { ht_loss_smooth_l1($0, $1, reduction.code, beta, $2) }
    }

    /// KL(target ‖ input) with `input` as log-probabilities (the student's
    /// `logSoftmax`) and `target` as probabilities, or log-probabilities when
    /// `logTarget` (as `torch.nn.functional.kl_div`).
    public static func klDivergence(
        _ input: Tensor, _ target: Tensor, reduction: KLReduction = .batchMean,
        logTarget: Bool = false
    ) throws -> Tensor {
        let code: Int32
        switch reduction {
        case .none: code = Int32(HT_REDUCTION_NONE)
        case .mean: code = Int32(HT_REDUCTION_MEAN)
        case .sum, .batchMean: code = Int32(HT_REDUCTION_SUM)
        }
        let total = try pair(input, target, "klDivergence") { ht_loss_kl_div($0, $1, code, logTarget ? 1 : 0, $2) }
        guard reduction == .batchMean else { return total }
        // PyTorch divides by input.size(0) (and leaves a 0-d input alone).
        let shape = input.shape
        return shape.isEmpty ? total : try total / Double(shape[0])
    }

    /// Binary cross-entropy of logits against targets in [0, 1].
    public static func binaryCrossEntropyWithLogits(
        _ logits: Tensor, _ targets: Tensor,
        reduction: Reduction = .mean
    ) throws -> Tensor {
        try pair(logits, targets, "binaryCrossEntropyWithLogits") { ht_loss_bce_with_logits($0, $1, reduction.code, $2) }
    }

    private static func pair(
        _ a: Tensor, _ b: Tensor, _ name: String,
        _ body: (OpaquePointer, OpaquePointer, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    ) throws -> Tensor {
        try a.withHandle { ah in try b.withHandle { bh in try Tensor.make(name) { body(ah, bh, $0) } } }
    }
}
