import Foundation
import Linalg

/// Checks and statistics of a model's source-class probabilities θ (N x S), shared
/// by LEEP, NCE and N-LEEP.
enum SourceProbabilities {
    /// Checks that θ has one row per sample and that every row is a probability
    /// vector: finite, non-negative, summing to 1 within `tolerance`.
    ///
    /// The tolerance is absolute on the row sum: softmax outputs stored as float32
    /// sum to 1 only up to about S·6e-8, so exact equality would reject real data.
    static func validate(_ theta: Matrix, sampleCount: Int, tolerance: Double, metric: String) throws {
        guard theta.rows == sampleCount else {
            throw MetricError.shapeMismatch(
                metric: metric, what: "source probabilities",
                expected: "\(sampleCount) x S (one row per labelled sample)",
                found: "\(theta.rows) x \(theta.columns)")
        }
        guard theta.columns >= 1 else {
            throw MetricError.shapeMismatch(
                metric: metric, what: "source probabilities",
                expected: "\(sampleCount) x S with S >= 1", found: "\(theta.rows) x 0")
        }
        let s = theta.columns
        try theta.storage.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            for r in 0..<theta.rows {
                // Fast path: one vectorisable pass; the slow loop below only runs to
                // name the problem in a bad row.
                let (fastSum, fastMin) = unrolledSumAndMin(base + r * s, count: s)
                if fastSum.isFinite, fastMin >= 0, abs(fastSum - 1) <= tolerance { continue }
                var sum = 0.0
                for j in 0..<s {
                    let v = p[r * s + j]
                    guard v.isFinite else {
                        throw MetricError.invalidSourceProbabilities(row: r, reason: "has a non-finite entry (\(v)) in column \(j)")
                    }
                    guard v >= 0 else { throw MetricError.invalidSourceProbabilities(row: r, reason: "has a negative entry (\(v)) in column \(j)") }
                    sum += v
                }
                guard abs(sum - 1) <= tolerance else {
                    throw MetricError.invalidSourceProbabilities(row: r, reason: "sums to \(sum)")
                }
            }
        }
    }

    /// The empirical joint P(y, z) = 1/N Σᵢ θᵢ(z) 1[yᵢ = y] (C x S), by accumulating
    /// each sample's row into its class row: O(N·S), no dense one-hot product.
    static func joint(_ theta: Matrix, labels: [Int], classCount: Int) -> Matrix {
        let s = theta.columns
        var joint = Matrix(rows: classCount, columns: s)
        let scale = 1 / Double(max(theta.rows, 1))
        theta.storage.withUnsafeBufferPointer { p in
            joint.storage.withUnsafeMutableBufferPointer { j in
                for (r, y) in labels.enumerated() {
                    let dst = y * s, src = r * s
                    for z in 0..<s { j[dst + z] += p[src + z] }
                }
                for k in 0..<j.count { j[k] *= scale }
            }
        }
        return joint
    }

    /// The smallest value LEEP takes the logarithm of; see `leep`.
    static let logFloor = 1e-300

    /// LEEP (Nguyen et al., 2020) of probabilities θ (N x S) for `labels`:
    /// 1/N Σᵢ log Σ_z P(yᵢ | z) θᵢ(z), with P(y | z) = P(y, z) / P(z) from the
    /// empirical joint. Source classes that no sample gives any mass (P(z) = 0) have
    /// θᵢ(z) = 0 for every i, so they contribute nothing and are skipped.
    ///
    /// For valid rows the inner sum is at least Σ_z θᵢ(z)² / N ≥ 1/(N·S) (since
    /// P(yᵢ, z) ≥ θᵢ(z)/N, P(z) ≤ 1, and Cauchy-Schwarz), so it cannot underflow;
    /// the floor is a guard for unvalidated callers: values below `logFloor` are
    /// clamped to it and counted so the caller can warn.
    static func leep(_ theta: Matrix, labels: [Int], classCount: Int) -> (score: Double, clamped: Int) {
        let s = theta.columns
        let n = theta.rows
        let conditional = conditionalTable(theta, labels: labels, classCount: classCount)
        var total = 0.0
        var clamped = 0
        theta.storage.withUnsafeBufferPointer { p in
            conditional.storage.withUnsafeBufferPointer { c in
                guard let pb = p.baseAddress, let cb = c.baseAddress else { return }
                for (r, y) in labels.enumerated() {
                    var eep = unrolledDot(cb + y * s, pb + r * s, count: s)
                    if !(eep >= logFloor) { eep = logFloor; clamped += 1 }
                    total += log(eep)
                }
            }
        }
        return (total / Double(max(n, 1)), clamped)
    }

    /// The reference code's N-LEEP slip, kept as a diagnostic: the mean of the
    /// expected probabilities 1/N Σᵢ Σ_z P(yᵢ | z) θᵢ(z), without the logarithm.
    static func meanExpectedProbability(_ theta: Matrix, labels: [Int], classCount: Int) -> Double {
        let s = theta.columns
        let conditional = conditionalTable(theta, labels: labels, classCount: classCount)
        var total = 0.0
        for (r, y) in labels.enumerated() {
            var eep = 0.0
            for z in 0..<s { eep += conditional[y, z] * theta[r, z] }
            total += eep
        }
        return total / Double(max(theta.rows, 1))
    }

    /// P(y | z) = P(y, z) / P(z) (C x S), 0 where P(z) = 0.
    static func conditionalTable(_ theta: Matrix, labels: [Int], classCount: Int) -> Matrix {
        let s = theta.columns
        var conditional = joint(theta, labels: labels, classCount: classCount)
        var marginal = [Double](repeating: 0, count: s)
        for y in 0..<classCount { for z in 0..<s { marginal[z] += conditional[y, z] } }
        conditional.storage.withUnsafeMutableBufferPointer { c in
            for y in 0..<classCount {
                for z in 0..<s { c[y * s + z] = marginal[z] > 0 ? c[y * s + z] / marginal[z] : 0 }
            }
        }
        return conditional
    }
}
