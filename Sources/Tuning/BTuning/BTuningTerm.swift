import Torch

/// B-Tuning's loss term "btuning_mse": MSE(f_s m_sᵀ, Σ_k pi_k f_k m_kᵀ); with
/// pi_k = 1/K it is the feature-alignment ablation's "feature_alignment_mse".
///
/// The target is either precomputed for the whole training split (inputs not
/// augmented: rows are looked up by dataset index) or computed on each batch from
/// the frozen teachers (augmented inputs), never with gradient. The student's
/// projection m_s is a constant (`frozen`, the paper's form) or a trainable tensor
/// initialised at m_s (`learnable`), optimised and checkpointed by the trainer.
package final class BTuningTerm: LossTermNotes {
    package enum Projection: String, Sendable, CaseIterable {
        case frozen, learnable
    }

    /// A teacher used on augmented batches: the runner behind `Teacher` plus its projection.
    struct LiveTeacher {
        let teacher: Teacher
        let projection: PosteriorProjection
        let weight: Double
    }

    /// "btuning_mse", or "feature_alignment_mse" for the uniform-weight ablation.
    package let name: String
    /// The method the term belongs to, for error messages.
    let method: String
    package let weight: Double
    package let projectionKind: Projection
    /// [C, D] m_s when frozen; when learnable, the trainable m' = c · m (see `featureScale`).
    let studentProjection: Tensor
    /// c: the root-mean-square norm of the student's pre-trained training features.
    /// The learnable projection is stored as m' = c · m and applied as f (m' / c)ᵀ:
    /// the same function, but the loss's curvature in m' is at most 2·lambda / C
    /// whatever the features' scale (in m it is 2·lambda/(B C) · σ_max(FᵀF), which for
    /// features of norm ~25 and lambda = 100 makes any usual learning rate diverge).
    let featureScale: Double
    /// [N, C] float32 target of every training sample (nil when computed live).
    let cachedTarget: Tensor?
    let liveTeachers: [LiveTeacher]
    /// pi_k, in the order of `teacherNames`.
    package let teacherWeights: [Double]
    package let teacherNames: [String]
    package let notes: [String]
    package let warnings: [String]
    /// The degenerate-projection measure on the training split (nil when not measured).
    package let reach: ProjectionReach?

    init(
        name: String = ProjectionMatchingVariant.btuning.termName, method: String = ProjectionMatchingVariant.btuning.method,
        weight: Double, projection: Projection, studentMean: PosteriorProjection, featureScale: Double, cachedTarget: Tensor?,
        liveTeachers: [LiveTeacher], teacherNames: [String], teacherWeights: [Double],
        reach: ProjectionReach?, notes: [String], warnings: [String]
    ) throws {
        self.name = name
        self.method = method
        self.weight = weight
        self.projectionKind = projection
        self.featureScale = featureScale > 0 && featureScale.isFinite ? featureScale : 1
        switch projection {
        case .frozen: studentProjection = studentMean.meanTensor
        case .learnable: studentProjection = try (studentMean.meanTensor * self.featureScale).detach().requiresGrad(true)
        }
        self.cachedTarget = cachedTarget
        self.liveTeachers = liveTeachers
        self.teacherNames = teacherNames
        self.teacherWeights = teacherWeights
        self.reach = reach
        self.notes = notes
        self.warnings = warnings
    }

    package var trainableParameters: [Tensor] { projectionKind == .learnable ? [studentProjection] : [] }

    /// The projection m [C, D] the loss applies: m_s when frozen, m' / c when learnable
    /// (with gradient to m').
    package func studentPosteriorMean() throws -> Tensor {
        projectionKind == .frozen ? studentProjection : try studentProjection / featureScale
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        let prediction = try PosteriorProjection.apply(step.student.features, posteriorMean: try studentPosteriorMean())
        let target = try self.target(for: step)
        guard target.shape == prediction.shape else {
            throw TuningError.incompatible(
                method: method,
                message: "student projection has shape \(prediction.shape) but the teachers' target has \(target.shape)")
        }
        return try Loss.mse(prediction, target.to(prediction.dtype))
    }

    /// The teachers' target for the rows of `step` [B, C], without gradient.
    package func target(for step: TrainingStep) throws -> Tensor {
        if !step.augmented, let cachedTarget {
            let n = cachedTarget.shape[0]
            if let bad = step.indices.first(where: { $0 < 0 || $0 >= n }) {
                throw TuningError.incompatible(
                    method: method, message: "dataset index \(bad) outside the \(n) training samples the target was computed for")
            }
            return try cachedTarget.indexSelect(dim: 0, step.indices)
        }
        guard !liveTeachers.isEmpty else {
            throw TuningError.incompatible(
                method: method,
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
