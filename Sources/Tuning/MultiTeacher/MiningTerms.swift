import Torch

/// Each teacher's logits on the step, checked to be [B, classCount].
func targetLogits(_ teachers: [Teacher], _ step: TrainingStep, term: String) throws -> [Tensor] {
    try teachers.map { teacher in
        guard let logits = try teacher.outputs(for: step, needs: .sourceLogits).sourceLogits else {
            throw TuningError.model(name: teacher.name, message: "gave no source logits; \(term) distils the teachers' logits")
        }
        guard logits.shape == [step.input.count, step.classCount] else {
            throw TuningError.incompatible(
                method: term,
                message:
                    "teacher '\(teacher.name)' gave logits of shape \(logits.shape), expected [\(step.input.count), \(step.classCount)] (the target's classes)"
            )
        }
        return logits
    }
}

/// AE-KD (Du et al., NeurIPS 2020): Σ_k w_k · T² KL(softmax(t_k/T) ‖ softmax(s/T)),
/// the weights found for each batch by `MiningDistillation.aekdWeights` (the min-norm
/// point of the capped simplex over the teachers' logit gradients) and held fixed in
/// the backward pass, as the authors' code does.
package final class AEKDTerm: LossTermNotes {
    package let name = "aekd"
    package let weight: Double
    package let temperature: Double
    /// The paper's C: no teacher weighs more than this.
    package let cap: Double
    package let normalize: Bool
    let teachers: [Teacher]
    package let notes: [String]
    package let warnings: [String] = []
    /// The weights of the last batch (for the log and tests).
    package private(set) var lastWeights: [Double] = []

    init(teachers: [Teacher], temperature: Double, cap: Double, normalize: Bool, weight: Double, notes: [String]) {
        self.teachers = teachers
        self.temperature = temperature
        self.cap = cap
        self.normalize = normalize
        self.weight = weight
        self.notes = notes
    }

    package var teacherNames: [String] { teachers.map(\.name) }

    /// The batch's teacher weights (sum 1, each in [0, cap]).
    package func weights(_ step: TrainingStep) throws -> [Double] {
        let logits = try targetLogits(teachers, step, term: name)
        let gradients = try MiningDistillation.kdLogitGradients(student: step.logits, teachers: logits, temperature: temperature)
        return try MiningDistillation.aekdWeights(gradients: gradients, cap: cap, normalize: normalize)
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let logits = try targetLogits(teachers, step, term: name)
        let gradients = try MiningDistillation.kdLogitGradients(student: step.logits, teachers: logits, temperature: temperature)
        let w = try MiningDistillation.aekdWeights(gradients: gradients, cap: cap, normalize: normalize)
        lastWeights = w
        var total: Tensor? = nil
        for (wk, t) in zip(w, logits) {
            let part = try Distillation.kd(student: step.logits, teacher: t, temperature: temperature) * wk
            total = try total.map { try $0 + part } ?? part
        }
        return total!
    }
}

/// You et al. (KDD 2017), output part: Hinton KD against the teachers' averaged
/// softened outputs (`MiningDistillation.averagedSoftKD`).
package final class AveragedSoftKDTerm: LossTermNotes {
    package let name = "relsim_kd"
    package let weight: Double
    package let temperature: Double
    let teachers: [Teacher]
    package let notes: [String]
    package let warnings: [String] = []

    init(teachers: [Teacher], temperature: Double, weight: Double, notes: [String]) {
        self.teachers = teachers
        self.temperature = temperature
        self.weight = weight
        self.notes = notes
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try MiningDistillation.averagedSoftKD(
            student: step.logits, teachers: targetLogits(teachers, step, term: name), temperature: temperature)
    }
}

/// You et al. (KDD 2017), intermediate part: the voted relative-dissimilarity triplet
/// loss on the pooled features of student and teachers
/// (`MiningDistillation.relativeSimilarity`).
package final class RelativeSimilarityTerm: LossTerm {
    package let name = "relsim_triplet"
    package let weight: Double
    package let margin: Double
    let teachers: [Teacher]

    init(teachers: [Teacher], margin: Double, weight: Double) {
        self.teachers = teachers
        self.margin = margin
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let features = try teachers.map { try $0.outputs(for: step).features }
        return try MiningDistillation.relativeSimilarity(student: step.student.features, teachers: features, margin: margin)
    }
}

/// Local correlation consistency (Li et al., ECCV 2020) over every pair of hint maps
/// (the i-th student hint with the i-th teacher hint, as attention transfer pairs
/// them): Σ_pairs [intra + interWeight · inter + crossWeight · cross]
/// (`MiningDistillation.localCorrelation`).
package final class LocalCorrelationTerm: LossTerm {
    package let name = "lcc"
    package let weight: Double
    package let grid: Int
    package let interWeight: Double
    package let crossWeight: Double
    let teacher: Teacher
    package var studentNeeds: OutputNeeds { .hints }

    init(teacher: Teacher, grid: Int, interWeight: Double, crossWeight: Double, weight: Double) {
        self.teacher = teacher
        self.grid = grid
        self.interWeight = interWeight
        self.crossWeight = crossWeight
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try pairedHintMapLoss(step, term: name, teacher: teacher, what: "local correlation consistency") { s, t in
            let parts = try MiningDistillation.localCorrelation(student: s, teacher: t, grid: grid)
            return try parts.intra + parts.inter * interWeight + parts.cross * crossWeight
        }
    }
}

/// Students from few data (Kong et al., AAAI 2020): the teacher's softened outputs
/// supervise worst-case samples near the labelled batch,
/// T² KL(p_t(x̂) ‖ softmax(s(x̂)/T)) averaged over the batch, x̂ from
/// `MiningDistillation.worstCaseSamples`. The samples are data for the backward pass
/// (detached), as in Sinha et al.'s training; the teacher labels them afresh.
package final class FewDataTerm: LossTerm {
    package let name = "fewdata"
    package let weight: Double
    package let temperature: Double
    package let gamma: Double
    package let steps: Int
    package let stepSize: Double
    let teacher: Teacher

    init(teacher: Teacher, temperature: Double, gamma: Double, steps: Int, stepSize: Double, weight: Double) {
        self.teacher = teacher
        self.temperature = temperature
        self.gamma = gamma
        self.steps = steps
        self.stepSize = stepSize
        self.weight = weight
    }

    /// The worst-case samples of the step.
    package func samples(_ step: TrainingStep) throws -> Tensor {
        guard case .tensor(let x0) = step.input else {
            throw TuningError.incompatible(method: name, message: "makes new samples by moving the inputs, which a text batch has no numbers for")
        }
        guard let replay = step.replay else {
            throw TuningError.incompatible(method: name, message: "needs the trainer's student replay to run the student on new samples")
        }
        let p0 = try withNoGrad {
            try (teacherLogits(teacher, step).detach().to(.float32) / temperature).softmax(dim: 1)
        }
        return try MiningDistillation.worstCaseSamples(
            origin: x0, teacherProbabilities: p0, replay: replay, temperature: temperature, gamma: gamma,
            steps: steps, stepSize: stepSize)
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let x = try samples(step)
        guard let replay = step.replay else {
            throw TuningError.incompatible(method: name, message: "needs the trainer's student replay to run the student on new samples")
        }
        // Fresh samples: never from the teacher's per-index cache.
        var moved = step
        moved.input = .tensor(x)
        moved.augmented = true
        let teacherOnMoved = try teacherLogits(teacher, moved)
        return try Distillation.kd(student: replay.logits(.tensor(x)), teacher: teacherOnMoved, temperature: temperature)
    }
}
