import Torch

/// How multi-teacher distillation weighs its teachers. Every weighting gives, for
/// every sample, weights over the K teachers that sum to one, so the distillation
/// term's scale does not depend on the weighting or on K.
package enum TeacherWeighting: String, Sendable, CaseIterable {
    /// 1/K each (the averaged loss of multi-teacher KD).
    case uniform
    /// softmax(LogME score / t) over the teachers, from their features on the
    /// training split (B-Tuning's weights); one weight per teacher.
    case logme
    /// EBKD (Kwon et al., ICASSP 2020): per sample, teachers with lower prediction
    /// entropy weigh more: w_k = (1 − H_k / Σ_j H_j) / (K − 1).
    case entropy
    /// CA-MKD (Zhang et al., ICASSP 2022): per sample, teachers with lower
    /// cross-entropy against the true label weigh more:
    /// w_k = (1 − softmax_k(CE)) / (K − 1), the softmax taken over the teachers.
    case confidence

    /// Whether the weights differ per sample (and so depend on each batch).
    package var isPerSample: Bool { self == .entropy || self == .confidence }
}

/// The weights of `TeacherWeighting`, as [K, B] tensors without gradient.
package enum MultiTeacherWeights {
    /// Fixed weights (uniform or LogME), repeated for each of `batch` samples.
    package static func fixed(_ weights: [Double], batch: Int) throws -> Tensor {
        try Tensor(weights.map(Float.init), shape: [weights.count, 1]).expand([weights.count, batch])
    }

    /// EBKD. Entropies of the teachers' predictions at temperature 1 (as the CA-MKD
    /// authors' EBKD implementation), H_k = −Σ_c p_kc log p_kc. A sample on which
    /// every teacher is certain (Σ_j H_j = 0) gets uniform weights instead of 0/0.
    package static func entropy(_ teacherLogits: [Tensor]) throws -> Tensor {
        let k = teacherLogits.count
        precondition(k >= 2)
        return try withNoGrad {
            let entropies = try Tensor.stack(
                teacherLogits.map { logits in
                    let logp = try logits.to(.float32).logSoftmax(dim: 1)
                    return try ((logp.exp() * logp).sum(dim: 1) * -1.0).clamp(min: 0)
                }, dim: 0) // [K, B]
            let total = try entropies.sum(dim: 0, keepDim: true) // [1, B]
            let certain = try total.le(1e-12).expand(entropies.shape)
            let safeTotal = try total.clamp(min: 1e-12)
            let weights = try (1.0 - entropies / safeTotal) / Double(k - 1)
            return try Tensor.where(certain, Tensor.full(entropies.shape, value: 1.0 / Double(k)).to(entropies.device), weights)
        }
    }

    /// CA-MKD. Cross-entropies of each teacher with the true labels at temperature 1
    /// (as the authors' code), softmax over teachers, then (1 − ·) / (K − 1).
    package static func confidence(_ teacherLogits: [Tensor], labels: Tensor) throws -> Tensor {
        let k = teacherLogits.count
        precondition(k >= 2)
        return try withNoGrad {
            let losses = try Tensor.stack(
                teacherLogits.map {
                    try Loss.crossEntropy($0.to(.float32), labels, reduction: .none)
                }, dim: 0) // [K, B]
            return try (1.0 - losses.softmax(dim: 0)) / Double(k - 1)
        }
    }
}
