import Foundation
import Linalg

/// Shrinkage-based H-score (Ibrahim, Ponomareva and Mazumder, "Newer is not always
/// better: Rethinking transferability metrics, their peculiarities, stability and
/// performance", ICLR 2023).
///
///     H_α = tr( Σ_α⁻¹ · (1 − α) cov(E[f | y]) ),   Σ_α = (1 − α) cov(f) + α μ I
///
/// with Σ_α the Ledoit-Wolf estimate of the centred features' covariance: μ =
/// tr(cov f)/D and the shrinkage α from the data in closed form (scikit-learn's
/// `ledoit_wolf_shrinkage`, with S = cov f, 1/N):
///
///     δ = ‖S − μI‖²_F / D,   β = ( Σ_i ‖f_i‖⁴ / N − ‖S‖²_F ) / (D N),   α = min(β, δ)/δ
///
/// (α = 0 when β = 0, and for D = 1 as scikit-learn does). α is reported in
/// `details["shrinkage"]`. Higher is better.
///
/// Σ_α shares its eigenvectors with cov f, so with the shared eigendecomposition
/// H_α = (1 − α) Σ_k b_k / ((1 − α) λ_k + α μ), b as in `HScore`. Cost: as `HScore`
/// (everything shared) plus O(N·D) for β.
///
/// Deviation from the authors' code: it divides cov(E[f|y]) by N − 1 (`np.cov`)
/// but Σ_α by N (`LedoitWolf`), which scales the score by N/(N − 1); here both use
/// 1/N, so scores are the reference's times (N − 1)/N (ranking unchanged on one
/// target set). Covered by `ShrinkageHScoreTests.matchesGolden`.
public struct ShrinkageHScore: TransferabilityMetric {
    public var name: String { "hscore_shrinkage" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Not null directions: the shrinkage target tr(cov f)/D and the Ledoit-Wolf intensity depend on D, so zero columns change the shrunk covariance.
    public var invariances: MetricInvariances { [.sampleOrder, .featureScale] }

    public init() {}

    public func score(_ input: MetricInput) throws -> MetricResult {
        let data = try input.requireClassifiedFeatures(for: name)
        let eigen = try metricLinalg(name, "covariance eigendecomposition") { try data.analysis.covarianceEigen() }
        let lw = ledoitWolfShrinkage(data.analysis)
        let between = try betweenClassSpectrum(data, eigen: eigen)
        return try score(eigen: eigen, shrinkage: lw, between: between, sampleCount: data.sampleCount, dimension: data.dimension)
    }

    /// The score from the covariance's eigendecomposition, the Ledoit-Wolf shrinkage
    /// and the between-class spectrum (in-memory and sufficient-statistics paths).
    func score(
        eigen: SymmetricEigen, shrinkage lw: (shrinkage: Double, mu: Double), between: [Double],
        sampleCount: Int, dimension: Int
    ) throws -> MetricResult {
        guard lw.mu > 0 else {
            throw MetricError.degenerate(metric: name, reason: "the features have zero variance (every sample is the same point)")
        }
        let alpha = lw.shrinkage
        var score = 0.0, dropped = 0
        // With α > 0 every shrunk eigenvalue is at least α μ > 0; with α = 0 fall back
        // to the pseudo-inverse rule of `HScore`.
        let lambdaMax = eigen.values.last ?? 0
        let cutoff = alpha > 0 ? 0 : Double(Swift.max(sampleCount, dimension)) * Double.ulpOfOne * lambdaMax
        for (k, lambda) in eigen.values.enumerated() {
            let shrunk = (1 - alpha) * Swift.max(lambda, 0) + alpha * lw.mu
            if shrunk > cutoff { score += between[k] / shrunk } else { dropped += 1 }
        }
        score *= (1 - alpha)
        var warnings = [String]()
        if dropped > 0 {
            warnings.append("Ledoit-Wolf shrinkage is 0 and the covariance is singular: \(dropped) eigenvalues dropped (pseudo-inverse)")
        }
        return MetricResult(
            score: try requireFinite(score, metric: name, what: "the shrinkage H-score"),
            details: ["shrinkage": alpha, "mu": lw.mu], warnings: warnings)
    }
}

/// scikit-learn's Ledoit-Wolf shrinkage of the centred features (see `ShrinkageHScore`).
func ledoitWolfShrinkage(_ analysis: FeatureAnalysis) -> (shrinkage: Double, mu: Double) {
    let centred = analysis.centered
    let n = analysis.sampleCount, d = analysis.dimension
    var fourth = 0.0
    centred.storage.withUnsafeBufferPointer { x in
        for r in 0..<n {
            var sq = 0.0
            for j in 0..<d { let v = x[r * d + j]; sq += v * v }
            fourth += sq * sq
        }
    }
    return ledoitWolfShrinkage(covariance: analysis.covariance, centredFourthMomentSum: fourth, sampleCount: n)
}

/// The same from the covariance S (1/N) and Σ_i ‖f_i − μ‖⁴, which sufficient
/// statistics also give (`FeatureStatistics.centredFourthMomentSum`).
func ledoitWolfShrinkage(
    covariance cov: Matrix, centredFourthMomentSum fourth: Double,
    sampleCount n: Int
) -> (shrinkage: Double, mu: Double) {
    let d = cov.rows
    var trace = 0.0, frob = 0.0
    for i in 0..<d { trace += cov[i, i] }
    for v in cov.storage { frob += v * v }
    let mu = trace / Double(d)
    guard d > 1 else { return (0, mu) }
    let delta = (frob - Double(d) * mu * mu) / Double(d)
    var beta = (fourth / Double(n) - frob) / (Double(d) * Double(n))
    beta = Swift.min(beta, delta)
    let shrinkage = (beta == 0 || delta <= 0) ? 0 : beta / delta
    return (Swift.min(Swift.max(shrinkage, 0), 1), mu)
}
