import Torch

/// L2-SP: ½ Σ ‖w - w⁰‖² over the backbone parameters (`Regularisers.l2sp`).
package final class L2SPTerm: LossTerm {
    package let name = "l2sp"
    package let weight: Double
    let parameters: [Tensor]
    let initial: [Tensor]

    /// `parameters[i]` is pulled towards `initial[i]` (the pre-trained value).
    package init(parameters: [Tensor], initial: [Tensor], weight: Double) {
        self.parameters = parameters
        self.initial = initial
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try Regularisers.l2sp(parameters: parameters, initial: initial)
    }
}

/// DELTA: the student's hint maps against a frozen copy of the pre-trained model's
/// on the same batch (`Regularisers.delta`). With `attention`, maps whose channel
/// count is the attention's length get those weights and the others uniform ones
/// (1/C), so every map is in the same per-position form.
package final class DeltaTerm: LossTerm {
    package let name = "delta"
    package let weight: Double
    package let pretrained: Teacher
    package let attention: Tensor?
    package var studentNeeds: OutputNeeds { .hints }

    package init(pretrained: Teacher, attention: Tensor?, weight: Double) {
        self.pretrained = pretrained
        self.attention = attention
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let student = try studentHints(step, term: name)
        let reference = try pretrained.outputs(for: step, needs: .hints).hints
        guard student.count == reference.count else {
            throw TuningError.incompatible(
                method: name,
                message: "the student gives \(student.count) hint maps but its pre-trained copy '\(pretrained.name)' \(reference.count)")
        }
        guard let attention else { return try Regularisers.delta(student: student, pretrained: reference) }
        let width = attention.shape[0]
        guard student.contains(where: { $0.rank >= 2 && $0.shape[1] == width }) else {
            throw TuningError.incompatible(
                method: name,
                message:
                    "attention weights cover \(width) channels (the representation) but no hint map has \(width) channels: \(student.map(\.shape)); use attention=uniform"
            )
        }
        let weights = try student.map { map -> Tensor in
            let channels = map.rank >= 2 ? map.shape[1] : 1
            return try (channels == width ? attention : try Tensor.full([channels], value: 1 / Double(channels))).to(map.device)
        }
        return try Regularisers.delta(student: student, pretrained: reference, channelWeights: weights)
    }
}

/// Batch spectral shrinkage of the student's pooled features (`Regularisers.bss`).
package final class BSSTerm: LossTerm {
    package let name = "bss"
    package let weight: Double
    package let k: Int

    package init(k: Int, weight: Double) {
        self.k = k
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let features = step.student.features
        // A last batch smaller than k cannot have k singular values: shrink what there is.
        let available = Swift.min(k, features.shape.count == 2 ? Swift.min(features.shape[0], features.shape[1]) : k)
        return try Regularisers.bss(features: features, k: Swift.max(1, available))
    }
}

/// The student's source-head logits (LwF, Co-Tuning), or an error naming the term.
func studentSourceLogits(_ step: TrainingStep, term: String) throws -> Tensor {
    guard let logits = step.student.sourceLogits else {
        throw TuningError.incompatible(method: term, message: "the student's outputs have no source-head logits (the term asks for .sourceLogits)")
    }
    return logits
}

/// Learning without Forgetting: the student's source head against the frozen
/// original's (`Regularisers.lwf`). The original's outputs are cached per sample
/// when inputs are not augmented, as the paper records them once.
package final class LwFTerm: LossTerm {
    package let name = "lwf"
    package let weight: Double
    package let original: Teacher
    package let temperature: Double
    package var studentNeeds: OutputNeeds { .sourceLogits }

    package init(original: Teacher, temperature: Double, weight: Double) {
        self.original = original
        self.temperature = temperature
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        guard let recorded = try original.outputs(for: step, needs: .sourceLogits).sourceLogits else {
            throw TuningError.model(name: original.name, message: "gave no source-head logits")
        }
        return try Regularisers.lwf(student: studentSourceLogits(step, term: name), original: recorded, temperature: temperature)
    }
}

/// Co-Tuning: the student's source head against the relationship row of each
/// sample's target label (`Regularisers.coTuning`).
package final class CoTuningTerm: LossTerm {
    package let name = "cotuning"
    package let weight: Double
    /// [C, S] p(y_s | y_t).
    package let relationship: Tensor
    package var studentNeeds: OutputNeeds { .sourceLogits }

    package init(relationship: Tensor, weight: Double) {
        self.relationship = relationship
        self.weight = weight
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try Regularisers.coTuning(sourceLogits: studentSourceLogits(step, term: name), labels: step.labels, relationship: relationship)
    }
}
