import Torch

/// B-Tuning's loss term "btuning_mse": MSE(f_s m_sᵀ, Σ_k pi_k f_k m_kᵀ).
///
/// The target is either precomputed for the whole training split (inputs not
/// augmented: rows are looked up by dataset index) or computed on each batch from
/// the frozen teachers (augmented inputs), never with gradient. The student's
/// projection m_s is a constant (`frozen`, the paper's form) or a trainable tensor
/// initialised at m_s (`learnable`), optimised and checkpointed by the trainer.
public final class BTuningTerm: LossTermNotes {
    public enum Projection: String, Sendable, CaseIterable {
        case frozen, learnable
    }

    /// A teacher used on augmented batches: the runner behind `Teacher` plus its projection.
    struct LiveTeacher {
        let teacher: Teacher
        let projection: PosteriorProjection
        let weight: Double
    }

    public let name = "btuning_mse"
    public let weight: Double
    public let projectionKind: Projection
    /// [C, D] m_s: a constant, or the trainable parameter.
    let studentProjection: Tensor
    /// [N, C] float32 target of every training sample (nil when computed live).
    let cachedTarget: Tensor?
    let liveTeachers: [LiveTeacher]
    /// pi_k, in the order of `teacherNames`.
    public let teacherWeights: [Double]
    public let teacherNames: [String]
    public let notes: [String]
    public let warnings: [String]
    /// The degenerate-projection measure on the training split (nil when not measured).
    public let reach: ProjectionReach?

    init(weight: Double, projection: Projection, studentMean: PosteriorProjection, cachedTarget: Tensor?,
         liveTeachers: [LiveTeacher], teacherNames: [String], teacherWeights: [Double],
         reach: ProjectionReach?, notes: [String], warnings: [String]) throws {
        self.weight = weight
        self.projectionKind = projection
        switch projection {
        case .frozen: studentProjection = studentMean.meanTensor
        case .learnable: studentProjection = try studentMean.meanTensor.clone().requiresGrad(true)
        }
        self.cachedTarget = cachedTarget
        self.liveTeachers = liveTeachers
        self.teacherNames = teacherNames
        self.teacherWeights = teacherWeights
        self.reach = reach
        self.notes = notes
        self.warnings = warnings
    }

    public var trainableParameters: [Tensor] { projectionKind == .learnable ? [studentProjection] : [] }

    /// The current m_s (the trainable tensor itself when learnable).
    public var studentPosteriorMean: Tensor { studentProjection }

    public func loss(_ step: TrainingStep) throws -> Tensor {
        let prediction = try PosteriorProjection.apply(step.student.features, posteriorMean: studentProjection)
        let target = try self.target(for: step)
        guard target.shape == prediction.shape else {
            throw TuningError.incompatible(method: "btuning",
                                           message: "student projection has shape \(prediction.shape) but the teachers' target has \(target.shape)")
        }
        return try Loss.mse(prediction, target.to(prediction.dtype))
    }

    /// The teachers' target for the rows of `step` [B, C], without gradient.
    public func target(for step: TrainingStep) throws -> Tensor {
        if !step.augmented, let cachedTarget {
            let n = cachedTarget.shape[0]
            if let bad = step.indices.first(where: { $0 < 0 || $0 >= n }) {
                throw TuningError.incompatible(method: "btuning", message: "dataset index \(bad) outside the \(n) training samples the target was computed for")
            }
            return try cachedTarget.indexSelect(dim: 0, step.indices)
        }
        guard !liveTeachers.isEmpty else {
            throw TuningError.incompatible(method: "btuning",
                                           message: "an augmented batch arrived, but the run was set up without augmentation, so the teachers were not kept")
        }
        return try withNoGrad {
            var sum: Tensor?
            for live in liveTeachers {
                let features = try live.teacher.outputs(for: step).features
                let part = try live.projection(features.to(.float32)) * live.weight
                sum = try sum.map { try $0 + part } ?? part
            }
            return sum!
        }
    }
}
