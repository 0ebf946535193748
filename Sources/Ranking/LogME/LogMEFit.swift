import Foundation
import Linalg

/// A fitted LogME model: the score, per-column hyper-parameters and diagnostics,
/// and the posterior over weights, usable for prediction (B-Tuning reuses the
/// posterior mean).
public struct LogMEFit: Sendable {
    /// How FᵀF's spectrum was obtained.
    public enum Route: String, Codable, Sendable {
        /// Eigendecomposition of FᵀF (N > D, or sufficient statistics).
        case gram
        /// Thin SVD of F (N <= D).
        case svd
    }

    /// One target column's result.
    public struct Column: Sendable, Codable, Equatable {
        public let name: String
        /// Maximised log evidence divided by N.
        public let evidence: Double
        /// Prior precision alpha (infinite when the column carries no signal).
        public let alpha: Double
        /// Noise precision beta.
        public let beta: Double
        public let iterations: Int
        public let status: EvidenceStatus
        /// True when the fixed point was repelled from the interior maximum and a
        /// bracketed golden-section search located it instead.
        public let refinedBySearch: Bool
    }

    /// Mean over columns of the maximised log evidence per sample. Higher is better.
    public let score: Double
    public let columns: [Column]
    /// K x D: row k is the posterior mean of the weights for column k.
    public let posteriorMean: Matrix
    public let sampleCount: Int
    public let dimension: Int
    /// Numerical rank of F.
    public let rank: Int
    /// Eigenvalues of FᵀF for the directions in `basis` (the rest are zero).
    let eigenvalues: [Double]
    /// The orthonormal directions with eigenvalues `eigenvalues`.
    let basis: SpectralBasis
    public let route: Route
    public let compatibility: LogME.Compatibility
    /// Documented handling applied (constant columns, gaps, routes, ...).
    public let notes: [String]

    /// Columns whose maximisation ended other than by converging.
    public var unconvergedColumns: [Column] { columns.filter { $0.status == .notConverged } }

    /// Warnings worth a user's attention, one line each.
    public var warnings: [String] {
        var out = notes.filter { !$0.hasPrefix("N = ") }
        let counts = Dictionary(grouping: columns, by: \.status).mapValues(\.count)
        if let c = counts[.notConverged] {
            out.append("\(c) column\(c == 1 ? "" : "s") did not converge within the iteration cap")
        }
        if let c = counts[.interpolates] {
            out.append(
                "\(c) column\(c == 1 ? "" : "s") fit exactly by the features: the evidence has no finite maximum; scored at alpha/beta = 1e-12 x the largest eigenvalue of FᵀF"
            )
        }
        if let c = counts[.zeroRatioLimit] {
            out.append(
                "\(c) column\(c == 1 ? "" : "s") with the supremum of the evidence at alpha/beta -> 0 (features of rank N fit any target); scored at that limit"
            )
        }
        if let c = counts[.noSignal] {
            out.append("\(c) column\(c == 1 ? "" : "s") with no linear signal in the features: scored at the alpha -> infinity limit")
        }
        return out
    }

    /// The posterior predictive distribution for new features (n x D): mean n x K and
    /// variance n x K, where variance = 1/beta + xᵀ A⁻¹ x with A = alpha I + beta FᵀF.
    public func predict(_ features: Matrix) throws -> (mean: Matrix, variance: Matrix) {
        guard features.columns == dimension else { throw RankingError.dimensionMismatch(expected: dimension, found: features.columns) }
        let mean = try features.multiplied(by: posteriorMean, transposingOther: true)
        // Coordinates of each row in the basis; the remainder lies in FᵀF's null space.
        let coords = try basis.project(features)
        var variance = Matrix(rows: features.rows, columns: columns.count)
        for r in 0..<features.rows {
            let norm2 = features.row(r).reduce(0) { $0 + $1 * $1 }
            var inBasis = 0.0
            for i in 0..<eigenvalues.count { inBasis += coords[r, i] * coords[r, i] }
            let nullPart = Swift.max(0, norm2 - inBasis)
            for (k, c) in columns.enumerated() {
                var quad = 0.0
                if c.alpha.isFinite {
                    for i in 0..<eigenvalues.count {
                        quad += coords[r, i] * coords[r, i] / (c.alpha + c.beta * eigenvalues[i])
                    }
                    quad += nullPart / c.alpha
                }
                variance[r, k] = 1 / c.beta + quad
            }
        }
        return (mean, variance)
    }
}

/// The directions of FᵀF's spectrum used by a fit: explicit rows (the SVD route) or
/// the factored eigendecomposition (the Gram route).
enum SpectralBasis: Sendable {
    /// r x D orthonormal rows.
    case rows(Matrix)
    case factorization(SymmetricEigenFactorization)

    /// Coordinates of each row of `x` (n x D) on the directions (n x r).
    func project(_ x: Matrix) throws -> Matrix {
        switch self {
        case let .rows(basis): return try x.multiplied(by: basis, transposingOther: true)
        case let .factorization(f): return try f.project(x)
        }
    }

    /// Σ_i t_ki (direction i) for each row t_k of `t` (K x r), as K x D.
    func combine(_ t: Matrix) throws -> Matrix {
        switch self {
        case let .rows(basis): return try t.multiplied(by: basis)
        case let .factorization(f): return try f.combine(t)
        }
    }
}
