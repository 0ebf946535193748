import Torch

/// Hinton et al.'s softened distillation divergence, per sample:
/// T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) for each row, [B].
///
/// The T² factor keeps the gradient's scale independent of T (the soft targets'
/// gradients shrink as 1/T²). Per-sample values are needed because the EBKD and
/// CA-MKD weights differ per sample; the batch mean of this equals
/// `Loss.klDivergence(..., .batchMean) * T²`.
/// (The single-teacher `kd` method has its own copy; the two can share one helper.)
public enum SoftenedKL {
    public static func perSample(student: Tensor, teacher: Tensor, temperature: Double) throws -> Tensor {
        guard student.shape == teacher.shape, student.shape.count == 2 else {
            throw TorchError.shapeMismatch(operation: "softened KL (student and teacher logits [B, C])", expected: student.shape, actual: teacher.shape)
        }
        let studentLog = try (student / temperature).logSoftmax(dim: 1)
        // Teacher as log-probabilities (logTarget): no 0 · log 0 for saturated teachers.
        let teacherLog = try (teacher.to(student.dtype) / temperature).logSoftmax(dim: 1)
        let elementwise = try Loss.klDivergence(studentLog, teacherLog, reduction: .none, logTarget: true)
        return try elementwise.sum(dim: 1) * (temperature * temperature)
    }
}
