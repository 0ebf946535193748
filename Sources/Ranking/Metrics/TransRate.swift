import Foundation
import Linalg

/// TransRate (Huang et al., "Frustratingly Easy Transferability Estimation",
/// ICML 2022): the coding rate of the features minus their coding rate given the
/// class, i.e. an estimate of the mutual information between features and labels.
///
///     R(Z, ε)     = ½ logdet( I + s(n) ZᵀZ )              Z: n x d
///     TransRate   = R(Z, ε) − Σ_c w_c R(Z_c, ε)
///
/// Z are the features centred once with the global mean (Z_c are class c's rows of
/// that Z, not re-centred per class), no other normalisation. Two conventions:
///
/// - `.paper` (default): s(n) = d / (n ε²) and w_c = n_c / N, as the paper writes it.
/// - `.referenceCode`: s(n) = 1 / (n ε) and w_c = 1/C, as the code printed in the
///   paper's appendix (and copied by most benchmarks) computes it; its "eps" plays
///   the role of ε²/d.
///
/// ε defaults to 1e-4, the reference code's value. Higher is better.
///
/// Each log-determinant is taken on the smaller Gram matrix (logdet(I_d + s ZᵀZ) =
/// logdet(I_n + s ZZᵀ)) with a Cholesky factorisation (the matrix is I plus a PSD
/// one, so positive definite). For the whole set with N ≥ D, ZᵀZ = N · cov(f) is the
/// shared covariance of `FeatureAnalysis`. Cost: N·D² (shared) + min(N,D)³/3, plus
/// Σ_c n_c·min(n_c, D)·max(...) for the classes.
public struct TransRate: TransferabilityMetric {
    public enum Convention: String, Sendable, Codable, CaseIterable {
        case paper
        case referenceCode = "reference_code"
    }

    public var name: String { "transrate" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Neither null directions nor scale: the coding rate log det(I + D/(N eps²) ZᵀZ) has D and a fixed eps in it.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// The distortion ε (> 0).
    public var epsilon: Double
    public var convention: Convention

    public init(epsilon: Double = 1e-4, convention: Convention = .paper) {
        self.epsilon = epsilon
        self.convention = convention
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard epsilon > 0, epsilon.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "epsilon", value: "\(epsilon)", expected: "a finite number > 0")
        }
        let data = try input.requireClassifiedFeatures(for: name)
        let n = data.sampleCount, d = data.dimension
        let z = data.analysis.centered

        let total: Double
        if n >= d {
            // ZᵀZ = N · cov: reuse the shared covariance.
            let cov = data.analysis.covariance
            total = try codingRate(gram: cov, gramScale: Double(n), rows: n, dimension: d)
        } else {
            total = try codingRate(gram: try z.multiplied(by: z, transposingOther: true), gramScale: 1, rows: n, dimension: d)
        }
        var within = 0.0
        for rows in classIndices(data.labels, classCount: data.classCount) where !rows.isEmpty {
            let zc = z.rows(at: rows)
            let gram = zc.rows >= d ? zc.gram() : try zc.multiplied(by: zc, transposingOther: true)
            let rate = try codingRate(gram: gram, gramScale: 1, rows: zc.rows, dimension: d)
            let weight = convention == .paper ? Double(rows.count) / Double(n) : 1.0 / Double(data.classCount)
            within += weight * rate
        }
        let score = total - within
        return MetricResult(
            score: try requireFinite(score, metric: name, what: "TransRate"),
            details: ["rate": total, "rate_given_class": within, "epsilon": epsilon])
    }

    /// ½ logdet(I + s(rows) · gramScale · gram), `gram` being ZᵀZ or ZZᵀ of a block
    /// of `rows` samples of dimension `dimension`.
    func codingRate(gram: Matrix, gramScale: Double, rows: Int, dimension: Int) throws -> Double {
        let perSample =
            convention == .paper
            ? Double(dimension) / (Double(rows) * epsilon * epsilon)
            : 1.0 / (Double(rows) * epsilon)
        let scale = perSample * gramScale
        var m = gram
        let k = m.rows
        for i in m.storage.indices { m.storage[i] *= scale }
        for i in 0..<k { m.storage[i * k + i] += 1 }
        return 0.5 * (try metricLinalg(name, "coding-rate log-determinant") { try m.logDeterminantPositiveDefinite() })
    }
}
