import Torch

/// The teacher's logits over the target classes: the source head of a teacher
/// fine-tuned on the target task (checked against the class count by the method).
func teacherLogits(_ teacher: Teacher, _ step: TrainingStep) throws -> Tensor {
    guard let logits = try teacher.outputs(for: step, needs: .sourceLogits).sourceLogits else {
        throw TuningError.model(name: teacher.name, message: "gave no source-head logits, which logit distillation needs")
    }
    return logits
}

/// Hinton KD against one teacher (`Distillation.kd`).
package final class KDTerm: LossTerm {
    package let name = "kd"
    package let weight: Double
    package let teacher: Teacher
    package let temperature: Double

    package init(teacher: Teacher, temperature: Double, weight: Double) {
        self.teacher = teacher
        self.temperature = temperature
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try Distillation.kd(student: step.logits, teacher: teacherLogits(teacher, step), temperature: temperature)
    }
}

/// Decoupled KD (`Distillation.dkd`), scaled by mdistiller's linear warm-up
/// (`Distillation.dkdWarmupFactor`), so the logged value is the warmed-up loss.
package final class DKDTerm: LossTerm {
    package let name = "dkd"
    package let weight: Double
    package let teacher: Teacher
    package let alpha: Double
    package let beta: Double
    package let temperature: Double
    package let warmupEpochs: Int

    package init(teacher: Teacher, alpha: Double, beta: Double, temperature: Double, warmupEpochs: Int, weight: Double = 1) {
        self.teacher = teacher
        self.alpha = alpha
        self.beta = beta
        self.temperature = temperature
        self.warmupEpochs = warmupEpochs
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let dkd = try Distillation.dkd(
            student: step.logits, teacher: teacherLogits(teacher, step), labels: step.labels,
            alpha: alpha, beta: beta, temperature: temperature)
        return try dkd * Distillation.dkdWarmupFactor(epoch: step.epoch, warmupEpochs: warmupEpochs)
    }
}

/// A batch-relation loss between the student's and the teacher's pooled features
/// (similarity-preserving, RKD distance or angle, PKT): widths may differ.
package final class FeatureRelationTerm: LossTerm {
    package let name: String
    package let weight: Double
    package let teacher: Teacher
    let relation: (Tensor, Tensor) throws -> Tensor

    package init(name: String, teacher: Teacher, weight: Double, relation: @escaping (_ student: Tensor, _ teacher: Tensor) throws -> Tensor) {
        self.name = name
        self.teacher = teacher
        self.weight = weight
        self.relation = relation
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try relation(step.student.features, teacher.outputs(for: step).features)
    }
}

/// The hints of a step's student outputs, or an error naming the term.
func studentHints(_ step: TrainingStep, term: String) throws -> [Tensor] {
    guard !step.student.hints.isEmpty else {
        throw TuningError.incompatible(method: term, message: "the student's outputs have no hint maps (the term asks for .hints)")
    }
    return step.student.hints
}

/// The sum over the pairs of hint maps (the i-th student hint with the i-th hint of
/// `teacher`, both [B, C, H, W]) of `pair`'s loss: the shape every map-to-map term
/// (attention transfer, local correlation consistency) shares. `what` names the
/// comparison in the errors ("attention transfer", ...).
func pairedHintMapLoss(
    _ step: TrainingStep, term: String, teacher: Teacher, what: String, pair: (Tensor, Tensor) throws -> Tensor
) throws -> Tensor {
    let student = try studentHints(step, term: term)
    let teacherHints = try teacher.outputs(for: step, needs: .hints).hints
    guard student.count == teacherHints.count else {
        throw TuningError.incompatible(
            method: term,
            message:
                "the student gives \(student.count) hint maps and teacher '\(teacher.name)' \(teacherHints.count); \(what) pairs them one to one"
        )
    }
    var total: Tensor? = nil
    for (i, (s, t)) in zip(student, teacherHints).enumerated() {
        guard s.rank == 4, t.rank == 4 else {
            throw TuningError.incompatible(
                method: term,
                message:
                    "hint \(i) must be [B, C, H, W] feature maps for \(what); student \(s.shape), teacher '\(teacher.name)' \(t.shape) (a model giving vectors has no maps)"
            )
        }
        let value = try pair(s, t)
        total = try total.map { try $0 + value } ?? value
    }
    guard let total else { throw TuningError.incompatible(method: term, message: "no hint maps to compare") }
    return total
}

/// Attention transfer over every pair of hint maps (the i-th student hint with the
/// i-th teacher hint), summed as RepDistiller sums its groups.
package final class AttentionTransferTerm: LossTerm {
    package let name = "at"
    package let weight: Double
    package let teacher: Teacher
    package let p: Double
    package var studentNeeds: OutputNeeds { .hints }

    package init(teacher: Teacher, p: Double, weight: Double) {
        self.teacher = teacher
        self.p = p
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try pairedHintMapLoss(step, term: name, teacher: teacher, what: "attention transfer") { s, t in
            try FeatureDistillation.attention(student: s, teacher: t, p: p)
        }
    }
}

/// FitNets: the regressed student hint against the teacher hint (`FeatureDistillation.hint`).
package final class FitNetTerm: LossTerm {
    package let name = "fitnet"
    package let weight: Double
    package let teacher: Teacher
    package let hintIndex: Int
    package let regressor: HintRegressor
    package var studentNeeds: OutputNeeds { .hints }
    package var trainableParameters: [Tensor] { regressor.parameters }

    package init(teacher: Teacher, hintIndex: Int, regressor: HintRegressor, weight: Double) {
        self.teacher = teacher
        self.hintIndex = hintIndex
        self.regressor = regressor
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let student = try studentHints(step, term: name)
        let teacherHints = try teacher.outputs(for: step, needs: .hints).hints
        guard hintIndex < student.count, hintIndex < teacherHints.count else {
            throw TuningError.incompatible(
                method: name,
                message:
                    "hint_layer \(hintIndex) is out of range: the student gives \(student.count) hint maps, teacher '\(teacher.name)' \(teacherHints.count)"
            )
        }
        return try FeatureDistillation.hint(regressed: regressor(student[hintIndex]), teacher: teacherHints[hintIndex])
    }
}
