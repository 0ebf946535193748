import Torch

/// Regularisers for fine-tuning a pre-trained model: they keep the student close
/// to its starting point (weights, feature maps, old-task outputs) or shrink the
/// batch spectrum. Reference (pre-trained) sides are detached.
package enum Regularisers {
    /// L2-SP (Li, Grandvalet & Davoine 2018, "Explicit Inductive Bias for Transfer
    /// Learning with Convolutional Networks"): ½ Σ ‖w - w⁰‖² over the backbone
    /// parameters, w⁰ the pre-trained values. The paper writes α/2 ‖w_S - w⁰_S‖²;
    /// α (0.01) is the term's weight. The β/2 ‖w_new‖² part is plain weight decay
    /// on the new head.
    package static func l2sp(parameters: [Tensor], initial: [Tensor]) throws -> Tensor {
        let op = "Regularisers.l2sp"
        guard parameters.count == initial.count, !parameters.isEmpty else {
            throw TorchError.invalidArgument(
                operation: op,
                message: "needs one starting value per parameter, got \(parameters.count) parameters and \(initial.count) starting values")
        }
        var total: Tensor? = nil
        for (i, (w, w0)) in zip(parameters, initial).enumerated() {
            guard w.shape == w0.shape else {
                throw TorchError.invalidArgument(operation: op, message: "parameter \(i) has shape \(w.shape) but its starting value \(w0.shape)")
            }
            let term = try (w - w0.detach()).square().sum()
            total = try total.map { try $0 + term } ?? term
        }
        return try total! * 0.5
    }

    /// DELTA (Li et al. 2019, "DELTA: DEep Learning Transfer using Feature Map with
    /// Attention"): the distance between the student's feature maps and the
    /// pre-trained model's on the same batch, summed over the batch as the
    /// reference (Transfer-Learning-Library's `BehavioralRegularization` /
    /// `AttentionBehavioralRegularization`):
    /// - no weights: ½ Σ_l ‖FM_l - FM⁰_l‖²;
    /// - channel weights a (summing to 1 per map):
    ///   ½ Σ_l Σ_c C_l · a_lc · ‖FM_lc - FM⁰_lc‖² / (H_l·W_l), so uniform weights
    ///   (1/C) give the per-position mean.
    /// Maps may be [B, C, H, W] or [B, C] (H·W = 1).
    package static func delta(student: [Tensor], pretrained: [Tensor], channelWeights: [Tensor]? = nil) throws -> Tensor {
        let op = "Regularisers.delta"
        guard student.count == pretrained.count, !student.isEmpty else {
            throw TorchError.invalidArgument(operation: op, message: "\(student.count) student maps for \(pretrained.count) pre-trained maps")
        }
        if let channelWeights, channelWeights.count != student.count {
            throw TorchError.invalidArgument(operation: op, message: "\(channelWeights.count) channel weight vectors for \(student.count) maps")
        }
        var total: Tensor? = nil
        for (l, (fm, fm0)) in zip(student, pretrained).enumerated() {
            try LossChecks.sameShape(fm, fm0, "feature maps \(l)", op)
            let diff = try fm - fm0.detach()
            let term: Tensor
            if let weights = channelWeights?[l] {
                let channels = fm.shape.count > 1 ? fm.shape[1] : 1
                guard weights.shape == [channels] else {
                    throw TorchError.invalidArgument(operation: op, message: "map \(l) has \(channels) channels but \(weights.shape) weights")
                }
                let positions = fm.shape.dropFirst(2).reduce(1, *)
                let perChannel = try diff.reshape([fm.shape[0], channels, -1]).square().sum(dims: [0, 2])
                term = try (perChannel * weights.to(diff.dtype)).sum() * (Double(channels) / Double(positions))
            } else {
                term = try diff.square().sum()
            }
            total = try total.map { try $0 + term } ?? term
        }
        return try total! * 0.5
    }

    /// BSS (Chen et al. 2019, "Catastrophic Forgetting Meets Negative Transfer:
    /// Batch Spectral Shrinkage for Safe Transfer Learning"): Σ_{i=1..k} σ²_{-i}, the
    /// k smallest squared singular values of the [B, D] batch feature matrix. The
    /// paper's η (0.001) is the term's weight; k = 1 there.
    package static func bss(features: Tensor, k: Int = 1) throws -> Tensor {
        let op = "Regularisers.bss"
        try LossChecks.rank(features, 2, "features", op)
        let count = Swift.min(features.shape[0], features.shape[1])
        guard k >= 1, k <= count else {
            throw TorchError.invalidArgument(operation: op, message: "k must be in 1...\(count) for features \(features.shape), got \(k)")
        }
        let sigma = try features.singularValues()
        return try sigma.narrow(dim: 0, start: count - k, length: k).square().sum()
    }

    /// Learning without Forgetting (Li & Hoiem 2017): the student's old-task (source
    /// head) outputs against those the original network recorded, both softened at
    /// temperature T (2 in the paper), as KL(softmax(o/T) ‖ softmax(s/T)) averaged
    /// over the batch. The paper writes the cross-entropy with the recorded soft
    /// targets, which differs from this KL by the targets' entropy, a constant; it
    /// has no T² factor (its λ_o = 1 is the term's weight).
    package static func lwf(student: Tensor, original: Tensor, temperature: Double) throws -> Tensor {
        let op = "Regularisers.lwf"
        try LossChecks.rank(student, 2, "student source logits", op)
        try LossChecks.sameShape(student, original, "source logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        return try Loss.klDivergence(
            (student / temperature).logSoftmax(dim: 1),
            (original.detach() / temperature).softmax(dim: 1), reduction: .batchMean)
    }

    /// Co-Tuning (You et al. 2020, "Co-Tuning for Transfer Learning"): the student's
    /// source-head logits against the source-class distribution the relationship
    /// assigns to each sample's target label, -Σ_s r[y, s] log softmax(z)_s,
    /// averaged over the batch.
    /// - Parameters:
    ///   - relationship: [C, S], row y = p(y_s | y_t = y).
    package static func coTuning(sourceLogits: Tensor, labels: Tensor, relationship: Tensor) throws -> Tensor {
        let op = "Regularisers.coTuning"
        try LossChecks.rank(sourceLogits, 2, "source logits", op)
        try LossChecks.rank(relationship, 2, "relationship", op)
        guard relationship.shape[1] == sourceLogits.shape[1] else {
            throw TorchError.invalidArgument(
                operation: op,
                message: "relationship has \(relationship.shape[1]) source classes but the logits \(sourceLogits.shape[1])")
        }
        _ = try LossChecks.labels(labels, batch: sourceLogits.shape[0], classes: relationship.shape[0], op)
        let targets = try relationship.detach().to(sourceLogits.dtype).indexSelect(dim: 0, labels)
        return try Loss.crossEntropy(sourceLogits, targets)
    }
}
