import Torch

/// Feature distillation losses (RepDistiller's `distiller_zoo`): hint maps and
/// batch relations of student and teacher features. Teacher inputs are detached.
/// The relation losses (similarity-preserving, RKD, PKT) compare B x B (or
/// B x B x B) structures, so student and teacher feature widths may differ.
package enum FeatureDistillation {
    /// FitNets (Romero et al. 2015) hint loss: mean squared error between the
    /// regressed student hint and the teacher hint (RepDistiller's `HintLoss`,
    /// `nn.MSELoss()`). The regressor is the caller's (`FitNetTerm`).
    package static func hint(regressed: Tensor, teacher: Tensor) throws -> Tensor {
        try LossChecks.sameShape(regressed, teacher, "regressed student hint and teacher hint", "FeatureDistillation.hint")
        return try Loss.mse(regressed, teacher.detach())
    }

    /// Attention map of a [B, C, H, W] feature map (Zagoruyko & Komodakis 2017):
    /// the channel mean of |f|^p, flattened to [B, H·W] and L2-normalised per sample.
    /// RepDistiller: `F.normalize(f.pow(p).mean(1).view(B, -1))`.
    package static func attentionMap(_ f: Tensor, p: Double = 2) throws -> Tensor {
        try LossChecks.rank(f, 4, "feature map", "FeatureDistillation.attentionMap")
        let powered = p == 2 ? try f.square() : try f.abs().pow(p)
        return try powered.mean(dim: 1).view([f.shape[0], -1]).l2Normalized(dim: 1)
    }

    /// Attention transfer for one pair of maps: mean((a_s - a_t)²) over the batch and
    /// the positions (RepDistiller's `Attention.at_loss`, p = 2). When the spatial sizes
    /// differ, the larger map is average-pooled (adaptive) to the smaller size per
    /// axis (RepDistiller pools to the smaller square); channel counts may differ.
    package static func attention(student: Tensor, teacher: Tensor, p: Double = 2) throws -> Tensor {
        let op = "FeatureDistillation.attention"
        try LossChecks.rank(student, 4, "student map", op)
        try LossChecks.rank(teacher, 4, "teacher map", op)
        try LossChecks.sameBatch(student, teacher, op)
        let size = Size2(Swift.min(student.shape[2], teacher.shape[2]), Swift.min(student.shape[3], teacher.shape[3]))
        func pooled(_ f: Tensor) throws -> Tensor {
            f.shape[2] == size.height && f.shape[3] == size.width ? f : try Functional.adaptiveAvgPool2d(f, outputSize: size)
        }
        let a = try attentionMap(pooled(student), p: p)
        let b = try attentionMap(pooled(teacher.detach()), p: p)
        return try (a - b).square().mean()
    }

    /// Similarity-preserving KD (Tung & Mori 2019): with G = f fᵀ over the batch
    /// (features flattened) and each row L2-normalised,
    /// ‖G_t - G_s‖²_F / B² (RepDistiller's `Similarity`).
    package static func similarityPreserving(student: Tensor, teacher: Tensor) throws -> Tensor {
        let op = "FeatureDistillation.similarityPreserving"
        try LossChecks.sameBatch(student, teacher, op)
        let batch = student.shape[0]
        func gram(_ f: Tensor) throws -> Tensor {
            let flat = try f.reshape([batch, -1])
            return try flat.matmul(flat.t()).l2Normalized(dim: 1)
        }
        let diff = try gram(teacher.detach()) - gram(student)
        return try diff.square().sum() / Double(batch * batch)
    }

    /// Euclidean distances between the rows of [B, D] `e`, with RepDistiller's
    /// `pdist` numerics: squared distances clamped at 1e-12 before the square root
    /// (so the gradient stays finite for coincident rows) and a zero diagonal.
    static func pairwiseDistances(_ e: Tensor) throws -> Tensor {
        let squares = try e.square().sum(dim: 1)
        let squared = try squares.unsqueeze(dim: 1) + squares.unsqueeze(dim: 0) - e.matmul(e.t()) * 2
        let offDiagonal = try 1.0 - Tensor.eye(e.shape[0], dtype: e.dtype).to(e.device)
        return try squared.clamp(min: 1e-12).sqrt() * offDiagonal
    }

    /// Distances divided by their mean over the positive entries (the off-diagonal ones).
    static func normalisedDistances(_ e: Tensor) throws -> Tensor {
        let d = try pairwiseDistances(e)
        let positive = try d.gt(0).to(d.dtype)
        return try d / ((d * positive).sum() / positive.sum())
    }

    /// Relational KD, distance term (Park et al. 2019): smooth-L1 (beta 1, mean)
    /// between the student's and teacher's pairwise distances, each divided by its
    /// mean (RepDistiller's `RKDLoss`, distance part; weighted 25 there).
    package static func rkdDistance(student: Tensor, teacher: Tensor) throws -> Tensor {
        let op = "FeatureDistillation.rkdDistance"
        try LossChecks.sameBatch(student, teacher, op)
        let batch = student.shape[0]
        guard batch >= 2 else { throw TorchError.invalidArgument(operation: op, message: "needs a batch of at least 2, got \(batch)") }
        let t = try withNoGrad { try normalisedDistances(teacher.detach().reshape([batch, -1])) }
        let s = try normalisedDistances(student.reshape([batch, -1]))
        return try Loss.smoothL1(s, t)
    }

    /// Cosines of the angles ∠(e_j - e_i, e_k - e_i) for every anchor i: [B, B, B],
    /// zero where an edge has zero length (RepDistiller's angle computation).
    static func angles(_ e: Tensor) throws -> Tensor {
        let edges = try (e.unsqueeze(dim: 0) - e.unsqueeze(dim: 1)).l2Normalized(dim: 2)
        return try edges.matmul(edges.transpose(1, 2))
    }

    /// Relational KD, angle term: smooth-L1 (beta 1, mean over the B³ triplets)
    /// between the student's and teacher's angle cosines (RepDistiller's
    /// `RKDLoss`, angle part; weighted 50 there). Memory is B²·D for the edges.
    package static func rkdAngle(student: Tensor, teacher: Tensor) throws -> Tensor {
        let op = "FeatureDistillation.rkdAngle"
        try LossChecks.sameBatch(student, teacher, op)
        let batch = student.shape[0]
        guard batch >= 3 else { throw TorchError.invalidArgument(operation: op, message: "needs a batch of at least 3, got \(batch)") }
        let t = try withNoGrad { try angles(teacher.detach().reshape([batch, -1])) }
        let s = try angles(student.reshape([batch, -1]))
        return try Loss.smoothL1(s.reshape([-1]), t.reshape([-1]))
    }

    /// Probabilistic knowledge transfer (Passalis & Tefas 2018): cosine similarities
    /// mapped to [0, 1], rows normalised into conditional probabilities, then
    /// mean(t · log((t + eps) / (s + eps))) over the B² entries (the authors' code,
    /// as RepDistiller's `PKT.cosine_similarity_loss`, eps 1e-7).
    package static func pkt(student: Tensor, teacher: Tensor, eps: Double = 1e-7) throws -> Tensor {
        let op = "FeatureDistillation.pkt"
        try LossChecks.sameBatch(student, teacher, op)
        let batch = student.shape[0]
        func conditional(_ f: Tensor) throws -> Tensor {
            let flat = try f.reshape([batch, -1])
            // norm, not sqrt(sum of squares): its gradient at a zero row is 0, not NaN.
            let unit = try flat / (flat.norm(dims: [1], keepDim: true) + eps)
            let similarity = try (unit.matmul(unit.t()) + 1.0) / 2.0
            return try similarity / similarity.sum(dim: 1, keepDim: true)
        }
        let t = try conditional(teacher.detach())
        let s = try conditional(student)
        return try (t * ((t + eps) / (s + eps)).log()).mean()
    }
}
