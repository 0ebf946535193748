import Foundation
import Linalg

/// GBC, the Gaussian Bhattacharyya Coefficient (Pándy et al., "Transferability
/// Estimation using Bhattacharyya Class Separability", CVPR 2022).
///
/// The centred features are projected on their top `components` principal
/// directions (64, or D when D < 64; the shared PCA of `FeatureAnalysis`). Each
/// class c is modelled as a Gaussian N(μ_c, Σ_c) with Σ_c diagonal (per-dimension
/// variance, 1/n_c, floored at `varianceFloor`) or spherical (σ_c² I, σ_c² the mean
/// of those floored variances). With Σ = (Σ_i + Σ_j)/2, the Bhattacharyya distance
///
///     D_B(i, j) = ⅛ (μ_i − μ_j)ᵀ Σ⁻¹ (μ_i − μ_j) + ½ ln( det Σ / √(det Σ_i det Σ_j) )
///
/// and the score
///
///     GBC = − Σ_{i ≠ j} exp(−D_B(i, j))     (both orders, as the reference sums)
///
/// is ≤ 0; higher (closer to 0) means better separated classes.
///
/// Cost: the shared covariance eigendecomposition (D³) and projection (N·D·k), then
/// O(N·k) for the class statistics and O(C²·k) for the pairs.
///
/// Deviation from the authors' code: for spherical Gaussians their
/// `compute_bhattacharyya_distance` sums the log-determinant terms of the scalar
/// variances once instead of k times (det(σ²I_k) = σ^{2k}), so it under-weights
/// the covariance term by a factor k. Here the spherical case is the exact
/// Bhattacharyya distance of two k-dimensional spherical Gaussians. The diagonal
/// case (the default) matches their code, including the 1/n_c variance and the
/// 1e-4 floor. Covered by `GBCTests.matchesGolden` and `GBCTests.sphericalClosedForm`.
public struct GBC: TransferabilityMetric {
    public enum Covariance: String, Sendable, Codable, CaseIterable {
        case diagonal
        case spherical
    }

    public var name: String { "gbc" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Not null directions: the PCA keeps min(64, D) components, so a null component (zero variance in every class) enters the per-axis Gaussians at the variance floor. Not scale: that floor (1e-4) is absolute.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// Principal components kept (capped at D).
    public var components: Int
    public var covariance: Covariance
    /// Per-dimension variances are at least this (keeps constant dimensions and
    /// single-sample classes finite).
    public var varianceFloor: Double

    public init(components: Int = 64, covariance: Covariance = .diagonal, varianceFloor: Double = 1e-4) {
        self.components = components
        self.covariance = covariance
        self.varianceFloor = varianceFloor
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard components >= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "components", value: "\(components)", expected: "an integer >= 1")
        }
        guard varianceFloor > 0, varianceFloor.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "varianceFloor", value: "\(varianceFloor)", expected: "a finite number > 0")
        }
        let data = try input.requireClassifiedFeatures(for: name)
        let k = Swift.min(components, data.dimension)
        // Per-axis Gaussians and Bhattacharyya distances do not depend on each axis's sign.
        let projected = try metricLinalg(name, "PCA") { try data.analysis.principalComponentsUpToSign(k) }
        let c = data.classCount
        let stats = ClassStatistics(features: projected, labels: data.labels, classCount: c)

        // Per-class variances (1/n_c), floored.
        var variances = Matrix(rows: c, columns: k)
        projected.storage.withUnsafeBufferPointer { z in
            variances.storage.withUnsafeMutableBufferPointer { v in
                for (r, label) in data.labels.enumerated() {
                    for j in 0..<k {
                        let diff = z[r * k + j] - stats.means.storage[label * k + j]
                        v[label * k + j] += diff * diff
                    }
                }
            }
        }
        for cls in 0..<c {
            let inv = 1.0 / Double(stats.counts[cls])
            for j in 0..<k { variances[cls, j] = Swift.max(variances[cls, j] * inv, varianceFloor) }
        }

        return try score(means: stats.means, flooredVariances: variances, components: k)
    }

    /// The score from the per-class means and floored variances on the k principal
    /// axes (C x k each): the in-memory and the sufficient-statistics paths.
    func score(means: Matrix, flooredVariances variances: Matrix, components k: Int) throws -> MetricResult {
        let c = means.rows
        var total = 0.0
        var minDistance = Double.infinity
        switch covariance {
        case .diagonal:
            let logs = variances.storage.map { log($0) }
            for i in 0..<c {
                for j in (i + 1)..<Swift.max(i + 1, c) {
                    var quad = 0.0, logDet = 0.0
                    for t in 0..<k {
                        let s1 = variances.storage[i * k + t], s2 = variances.storage[j * k + t]
                        let avg = 0.5 * (s1 + s2)
                        let diff = means.storage[i * k + t] - means.storage[j * k + t]
                        quad += diff * diff / avg
                        logDet += log(avg) - 0.5 * (logs[i * k + t] + logs[j * k + t])
                    }
                    let db = quad / 8 + 0.5 * logDet
                    minDistance = Swift.min(minDistance, db)
                    total += 2 * exp(-db)
                }
            }
        case .spherical:
            let sigma = (0..<c).map { cls in (0..<k).reduce(0.0) { $0 + variances[cls, $1] } / Double(k) }
            for i in 0..<c {
                for j in (i + 1)..<Swift.max(i + 1, c) {
                    let avg = 0.5 * (sigma[i] + sigma[j])
                    var dist2 = 0.0
                    for t in 0..<k {
                        let diff = means.storage[i * k + t] - means.storage[j * k + t]
                        dist2 += diff * diff
                    }
                    let db = dist2 / (8 * avg) + 0.5 * Double(k) * (log(avg) - 0.5 * (log(sigma[i]) + log(sigma[j])))
                    minDistance = Swift.min(minDistance, db)
                    total += 2 * exp(-db)
                }
            }
        }
        return MetricResult(
            score: try requireFinite(-total, metric: name, what: "GBC"),
            details: ["components": Double(k), "min_bhattacharyya_distance": minDistance])
    }
}
