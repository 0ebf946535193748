import Linalg
import Ranking
import Torch

/// A model's LogME posterior-predictive output on the target: `f mᵀ`.
///
/// LogME fits every target column as y = F w + e on the raw features: no centring,
/// no scaling and no intercept (`LogME`'s documentation; `LogMEStatistics` sums
/// FᵀF and Fᵀy of the features as given). Its posterior over w has mean m_c per
/// column, stacked as `LogMEFit.posteriorMean` (C x D, one row per target column),
/// and the posterior-predictive mean for a feature row f is therefore f mᵀ (1 x C),
/// exactly `LogMEFit.predict(f).mean`. Features must enter this projection in the
/// same raw form LogME saw, so nothing is subtracted or rescaled here.
///
/// B-Tuning uses this one function for the teachers (to build the target) and for
/// the student (the term it trains), so both sides share one definition.
package struct PosteriorProjection {
    /// C x D posterior mean, float64 (as LogME computed it).
    package let mean: Matrix
    /// The same values as a float32 tensor [C, D] without gradient.
    package let meanTensor: Tensor

    package init(mean: Matrix) throws {
        self.mean = mean
        meanTensor = try Tensor(mean, dtype: .float32)
    }

    package var classCount: Int { mean.rows }
    package var featureDimension: Int { mean.columns }

    /// `features` [B, D] · `posteriorMean`ᵀ → [B, C], in `features`' dtype. The
    /// posterior mean may be a trainable tensor (the learnable projection); gradients
    /// flow to whichever operand requires them.
    package static func apply(_ features: Tensor, posteriorMean: Tensor) throws -> Tensor {
        let f = features.shape, m = posteriorMean.shape
        guard f.count == 2, m.count == 2, f[1] == m[1] else {
            throw TorchError.shapeMismatch(
                operation: "posterior projection (features [B, D] with posterior mean [C, D])",
                expected: [f.first ?? -1, m.count == 2 ? m[1] : -1], actual: f)
        }
        var weights = posteriorMean.dtype == features.dtype ? posteriorMean : try posteriorMean.to(features.dtype)
        // The fixed posterior mean is made on the CPU: it follows features on a GPU.
        if weights.device != features.device { weights = try weights.to(features.device) }
        return try features.matmul(weights.t())
    }

    /// This model's projection of `features` [B, D] → [B, C].
    package func callAsFunction(_ features: Tensor) throws -> Tensor {
        try Self.apply(features, posteriorMean: features.dtype == .float32 ? meanTensor : try Tensor(mean, dtype: features.dtype))
    }
}

/// One model scored by LogME on the training split: what ranking and B-Tuning keep.
package struct LogMEScoredModel {
    package let name: String
    /// LogME score (mean log evidence per sample; higher is better).
    package let score: Double
    package let projection: PosteriorProjection
    /// The fit itself (diagnostics, `predict`).
    package let fit: LogMEFit

    /// Fits LogME on a model's training features [N, D] (any float dtype, converted
    /// to float64 once) against the encoded training labels.
    package static func fit(
        name: String, features: Tensor, targets: EncodedTargets,
        estimator: LogME = LogME()
    ) throws -> LogMEScoredModel {
        let matrix = try features.detach().toMatrix()
        let fit = try estimator.fit(features: matrix, targets: targets)
        return LogMEScoredModel(name: name, score: fit.score, projection: try PosteriorProjection(mean: fit.posteriorMean), fit: fit)
    }
}
