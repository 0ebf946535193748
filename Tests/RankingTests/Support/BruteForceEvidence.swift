import Foundation
import Linalg

/// An independent LogME reference for tests: explicit A = alpha I + beta FᵀF,
/// Cholesky log-determinant, dense solve, and a one-dimensional search over
/// lambda = alpha/beta (for fixed lambda the best beta is N / (|y - Fm|² + lambda |m|²),
/// which follows from d/dbeta of the log evidence). No eigendecomposition, no LAPACK.
enum BruteForceEvidence {
    /// Cholesky factor L (lower, row-major) of a symmetric positive definite matrix.
    static func cholesky(_ a: [[Double]]) -> [[Double]] {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                if i == j { precondition(sum > 0, "not positive definite"); l[i][i] = sum.squareRoot() } else { l[i][j] = sum / l[j][j] }
            }
        }
        return l
    }

    static func choleskySolve(_ l: [[Double]], _ b: [Double]) -> [Double] {
        let n = l.count
        var y = b
        for i in 0..<n { for k in 0..<i { y[i] -= l[i][k] * y[k] }; y[i] /= l[i][i] }
        var x = y
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { x[i] -= l[k][i] * x[k] }
            x[i] /= l[i][i]
        }
        return x
    }

    /// Log evidence of column y at (alpha, beta), and the posterior mean.
    static func logEvidence(features f: Matrix, y: [Double], alpha: Double, beta: Double) -> (value: Double, mean: [Double]) {
        let n = f.rows, d = f.columns
        var a = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for i in 0..<d {
            for j in 0..<d {
                var g = 0.0
                for r in 0..<n { g += f[r, i] * f[r, j] }
                a[i][j] = beta * g + (i == j ? alpha : 0)
            }
        }
        var fty = [Double](repeating: 0, count: d)
        for i in 0..<d { for r in 0..<n { fty[i] += f[r, i] * y[r] } }
        let l = cholesky(a)
        let m = choleskySolve(l, fty.map { $0 * beta })
        var logDetA = 0.0
        for i in 0..<d { logDetA += 2 * log(l[i][i]) }
        var rss = 0.0
        for r in 0..<n {
            var pred = 0.0
            for i in 0..<d { pred += f[r, i] * m[i] }
            rss += (y[r] - pred) * (y[r] - pred)
        }
        let mm = m.reduce(0) { $0 + $1 * $1 }
        let value =
            Double(d) / 2 * log(alpha) + Double(n) / 2 * log(beta) - beta / 2 * rss - alpha / 2 * mm
            - 0.5 * logDetA - Double(n) / 2 * log(2 * .pi)
        return (value, m)
    }

    /// The best beta for a given lambda, and the evidence there.
    static func profile(features f: Matrix, y: [Double], logLambda: Double) -> (value: Double, alpha: Double, beta: Double) {
        let lambda = exp(logLambda)
        // beta does not change m for fixed lambda; evaluate with beta = 1 to get m.
        let (_, m) = logEvidence(features: f, y: y, alpha: lambda, beta: 1)
        var rss = 0.0
        for r in 0..<f.rows {
            var pred = 0.0
            for i in 0..<f.columns { pred += f[r, i] * m[i] }
            rss += (y[r] - pred) * (y[r] - pred)
        }
        let beta = Double(f.rows) / (rss + lambda * m.reduce(0) { $0 + $1 * $1 })
        return (logEvidence(features: f, y: y, alpha: lambda * beta, beta: beta).value, lambda * beta, beta)
    }

    /// Maximises the evidence of one column by a grid scan over log lambda followed
    /// by golden-section refinement. Returns the evidence divided by N, or nil when the
    /// maximum is on the boundary of the scan (no interior optimum to compare with).
    static func maximize(features f: Matrix, y: [Double]) -> (evidencePerSample: Double, alpha: Double, beta: Double)? {
        // Scan lambda within [1e-9, 1e8] x trace(FᵀF): below that, A is too ill-conditioned
        // for a plain Cholesky to resolve the evidence to the 1e-7 the tests ask for.
        var trace = 0.0
        for v in f.storage { trace += v * v }
        let center = log(trace)
        let grid = stride(from: center - 9 * log(10.0), through: center + 8 * log(10.0), by: 0.25).map { $0 }
        let values = grid.map { profile(features: f, y: y, logLambda: $0).value }
        let best = values.indices.max { values[$0] < values[$1] }!
        guard best > 0 && best < grid.count - 1 else { return nil }
        var lo = grid[best - 1], hi = grid[best + 1]
        let ratio = (5.0.squareRoot() - 1) / 2
        var x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
        var f1 = profile(features: f, y: y, logLambda: x1).value, f2 = profile(features: f, y: y, logLambda: x2).value
        while hi - lo > 1e-11 {
            if f1 < f2 {
                lo = x1; x1 = x2; f1 = f2; x2 = lo + ratio * (hi - lo); f2 = profile(features: f, y: y, logLambda: x2).value
            } else {
                hi = x2; x2 = x1; f2 = f1; x1 = hi - ratio * (hi - lo); f1 = profile(features: f, y: y, logLambda: x1).value
            }
        }
        let p = profile(features: f, y: y, logLambda: (lo + hi) / 2)
        return (p.value / Double(f.rows), p.alpha, p.beta)
    }

    /// The LogME score: the mean over target columns.
    static func score(features: Matrix, targets: Matrix) -> Double? {
        var total = 0.0
        for k in 0..<targets.columns {
            guard let best = maximize(features: features, y: targets.column(k)) else { return nil }
            total += best.evidencePerSample
        }
        return total / Double(targets.columns)
    }
}
