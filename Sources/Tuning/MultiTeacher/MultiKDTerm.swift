import Torch

/// Multi-teacher distillation term "multikd":
/// (1/B) Σ_i Σ_k w_k(i) · T² KL(softmax(z_k(x_i)/T) ‖ softmax(z_s(x_i)/T)),
/// with Σ_k w_k(i) = 1 for every sample (see `TeacherWeighting`). Teachers run
/// frozen (no gradient); their logits are cached per sample by `Teacher` when
/// inputs are not augmented.
package final class MultiKDTerm: LossTermNotes {
    package let name = "multikd"
    package let weight: Double
    package let temperature: Double
    package let weighting: TeacherWeighting
    let teachers: [Teacher]
    /// Per-teacher weights for `uniform` and `logme` (nil for per-sample weightings).
    package let fixedWeights: [Double]?
    package let notes: [String]
    package let warnings: [String]

    init(
        weight: Double, temperature: Double, weighting: TeacherWeighting, teachers: [Teacher],
        fixedWeights: [Double]?, notes: [String], warnings: [String]
    ) {
        self.weight = weight
        self.temperature = temperature
        self.weighting = weighting
        self.teachers = teachers
        self.fixedWeights = fixedWeights
        self.notes = notes
        self.warnings = warnings
    }

    package var teacherNames: [String] { teachers.map(\.name) }

    /// Each teacher's logits on the batch [B, C], without gradient.
    func teacherLogits(_ step: TrainingStep) throws -> [Tensor] {
        try teachers.map { teacher in
            guard let logits = try teacher.outputs(for: step, needs: .sourceLogits).sourceLogits else {
                throw TuningError.model(name: teacher.name, message: "gave no source logits; multikd distils the teachers' logits")
            }
            guard logits.shape == [step.input.count, step.classCount] else {
                throw TuningError.incompatible(
                    method: "multikd",
                    message:
                        "teacher '\(teacher.name)' gave logits of shape \(logits.shape), expected [\(step.input.count), \(step.classCount)] (the target's classes)"
                )
            }
            return logits
        }
    }

    /// The [K, B] weights of the batch.
    package func weights(_ step: TrainingStep, teacherLogits: [Tensor]) throws -> Tensor {
        let batch = step.logits.shape[0]
        switch weighting {
        case .uniform, .logme: return try MultiTeacherWeights.fixed(fixedWeights!, batch: batch)
        case .entropy: return try MultiTeacherWeights.entropy(teacherLogits)
        case .confidence: return try MultiTeacherWeights.confidence(teacherLogits, labels: step.labels)
        }
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let logits = try teacherLogits(step)
        let divergences = try Tensor.stack(
            logits.map {
                try Distillation.kdPerSample(student: step.logits, teacher: $0, temperature: temperature)
            }, dim: 0) // [K, B]
        // Fixed weights are made on the CPU: they follow the logits' device.
        let w = try weights(step, teacherLogits: logits).to(divergences.dtype).to(divergences.device)
        return try (w * divergences).sum() / Double(step.logits.shape[0])
    }
}
