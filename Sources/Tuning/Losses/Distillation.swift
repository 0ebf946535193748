import Torch

/// Logit distillation losses: the student's logits against a teacher's logits over
/// the same classes. The teacher side is always detached, so no gradient can reach
/// a teacher through these functions.
package enum Distillation {
    /// Hinton et al. 2015, "Distilling the Knowledge in a Neural Network":
    /// T² · KL(softmax(t/T) ‖ softmax(s/T)), averaged over the batch.
    ///
    /// The T² factor keeps the gradient's size independent of T (the soft-target
    /// gradients scale as 1/T²). Written as RepDistiller's `DistillKL`
    /// (`kl_div(log_softmax(s/T), softmax(t/T), sum) · T² / B`). RepDistiller's
    /// default is T = 4.
    /// - Parameters:
    ///   - student: [B, C] logits, with gradient.
    ///   - teacher: [B, C] logits (detached here).
    package static func kd(student: Tensor, teacher: Tensor, temperature: Double) throws -> Tensor {
        try kdPerSample(student: student, teacher: teacher, temperature: temperature).mean(dims: [0])
    }

    /// `kd` per sample, [B]: T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) of each row
    /// (multi-teacher weightings such as EBKD and CA-MKD differ per sample). The
    /// teacher enters as log-probabilities, so a saturated teacher gives no 0 · log 0.
    package static func kdPerSample(student: Tensor, teacher: Tensor, temperature: Double) throws -> Tensor {
        let op = "Distillation.kd"
        try LossChecks.rank(student, 2, "student logits", op)
        try LossChecks.sameShape(student, teacher, "logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        let logP = try (student / temperature).logSoftmax(dim: 1)
        let logQ = try (teacher.detach().to(student.dtype) / temperature).logSoftmax(dim: 1)
        let elementwise = try Loss.klDivergence(logP, logQ, reduction: .none, logTarget: true)
        return try elementwise.sum(dim: 1) * (temperature * temperature)
    }

    /// The two parts of decoupled KD (Zhao et al. 2022, "Decoupled Knowledge
    /// Distillation"), each with the T² factor and averaged over the batch:
    /// - `targetClass` (TCKD): KL between the binary distributions
    ///   [p_target, 1 - p_target] of teacher and student at temperature T;
    /// - `nonTargetClass` (NCKD): KL between the distributions over the C - 1
    ///   non-target classes (softmax renormalised without the target).
    ///
    /// mdistiller masks the target logit with -1000 before the softmax; here the
    /// non-target logits are gathered into a [B, C - 1] tensor, which is the same
    /// quantity without the constant. With two classes the non-target distribution
    /// has a single class, so NCKD is exactly 0 (and its gradient too), never NaN.
    /// The student's binary log-probabilities come from a log-sum-exp, so a
    /// confident student does not produce log(0).
    package static func dkdParts(
        student: Tensor, teacher: Tensor, labels: Tensor,
        temperature: Double
    ) throws -> (targetClass: Tensor, nonTargetClass: Tensor) {
        let op = "Distillation.dkd"
        try LossChecks.rank(student, 2, "student logits", op)
        try LossChecks.sameShape(student, teacher, "logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        let batch = student.shape[0], classes = student.shape[1]
        guard classes >= 2 else {
            throw TorchError.invalidArgument(operation: op, message: "needs at least two classes, got \(classes)")
        }
        let ids = try LossChecks.labels(labels, batch: batch, classes: classes, op)
        // Row b lists every class but ids[b], in order.
        var others = [Int64]()
        others.reserveCapacity(batch * (classes - 1))
        for id in ids {
            for c in 0..<classes where c != id { others.append(Int64(c)) }
        }
        let otherIndex = try Tensor(others, shape: [batch, classes - 1])
        let targetIndex = try labels.view([batch, 1])

        let s = try student / temperature
        let t = try teacher.detach() / temperature
        let studentLog = try s.logSoftmax(dim: 1)
        let teacherProb = try t.softmax(dim: 1)
        let studentBinary = try Tensor.cat(
            [
                try studentLog.gather(dim: 1, targetIndex),
                try studentLog.gather(dim: 1, otherIndex).logsumexp(dims: [1], keepDim: true),
            ], dim: 1)
        let teacherBinary = try Tensor.cat(
            [
                try teacherProb.gather(dim: 1, targetIndex),
                try teacherProb.gather(dim: 1, otherIndex).sum(dim: 1, keepDim: true),
            ], dim: 1)
        let t2 = temperature * temperature
        let tckd = try Loss.klDivergence(studentBinary, teacherBinary, reduction: .batchMean) * t2
        let studentOther = try s.gather(dim: 1, otherIndex).logSoftmax(dim: 1)
        let teacherOther = try t.gather(dim: 1, otherIndex).softmax(dim: 1)
        let nckd = try Loss.klDivergence(studentOther, teacherOther, reduction: .batchMean) * t2
        return (tckd, nckd)
    }

    /// Decoupled KD: alpha · TCKD + beta · NCKD (mdistiller's `dkd_loss`; its
    /// defaults are alpha 1, beta 8, T 4). See `dkdParts`.
    package static func dkd(
        student: Tensor, teacher: Tensor, labels: Tensor, alpha: Double, beta: Double,
        temperature: Double
    ) throws -> Tensor {
        let parts = try dkdParts(student: student, teacher: teacher, labels: labels, temperature: temperature)
        return try parts.targetClass * alpha + parts.nonTargetClass * beta
    }

    /// mdistiller's linear warm-up of the DKD weight: min(epoch / warmup, 1) with
    /// epochs counted from 1 there; `epoch` here counts from 0, hence epoch + 1.
    /// A warm-up of 0 epochs disables it.
    package static func dkdWarmupFactor(epoch: Int, warmupEpochs: Int) -> Double {
        guard warmupEpochs > 0 else { return 1 }
        return Swift.min(Double(epoch + 1) / Double(warmupEpochs), 1)
    }
}
