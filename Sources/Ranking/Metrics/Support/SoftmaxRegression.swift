import Foundation
import Linalg

/// L2-regularised multinomial logistic regression with intercepts, the objective
/// scikit-learn's `LogisticRegression(solver="lbfgs")` minimises, scaled by 1/N:
///
///     f(W, b) = 1/N Σᵢ [ logsumexp(W xᵢ + b) - (W xᵢ + b)_{yᵢ} ] + ‖W‖² / (2 C N)
///
/// (W is K x D with one row per class, the intercepts b are not penalised), fitted
/// with L-BFGS. Starting from zero keeps Σ_k b_k = 0 (every gradient's intercept
/// part sums to 0), which fixes the intercepts' shift freedom as scikit-learn does.
struct SoftmaxRegression {
    let x: Matrix // N x D
    let labels: [Int] // 0..<K
    let classCount: Int
    let inverseRegularization: Double // C

    var parameterCount: Int { classCount * (x.columns + 1) }

    /// The objective and its gradient at θ = (W row-major, then b).
    func objective(_ theta: [Double]) -> (value: Double, gradient: [Double]) {
        let n = x.rows, d = x.columns, kCount = classCount
        let w = Matrix(rows: kCount, columns: d, storage: Array(theta[0..<(kCount * d)]))
        let b = Array(theta[(kCount * d)...])
        var logits = Matrix(rows: n, columns: kCount)
        accumulateProduct(x, w, into: &logits, transposingRight: true)
        var loss = 0.0
        var gradB = [Double](repeating: 0, count: kCount)
        logits.storage.withUnsafeMutableBufferPointer { z in
            for i in 0..<n {
                let row = i * kCount
                var m = -Double.infinity
                for k in 0..<kCount { z[row + k] += b[k]; m = max(m, z[row + k]) }
                var s = 0.0
                for k in 0..<kCount { s += exp(z[row + k] - m) }
                let lse = m + log(s)
                loss += lse - z[row + labels[i]]
                // z becomes the residual P - Y, the gradient of the loss in the logits.
                for k in 0..<kCount { z[row + k] = exp(z[row + k] - lse) }
                z[row + labels[i]] -= 1
                for k in 0..<kCount { gradB[k] += z[row + k] }
            }
        }
        let scale = 1 / Double(n)
        let penalty = 1 / (inverseRegularization * Double(n))
        var gradW = Matrix(rows: kCount, columns: d)
        accumulateProduct(logits, x, into: &gradW, transposingLeft: true, scale: scale)
        var norm2 = 0.0
        for t in 0..<(kCount * d) { norm2 += theta[t] * theta[t]; gradW.storage[t] += penalty * theta[t] }
        return (loss * scale + 0.5 * penalty * norm2, gradW.storage + gradB.map { $0 * scale })
    }

    struct Solution {
        var theta: [Double]
        var iterations: Int
        var converged: Bool
        var gradientNorm: Double
        var value: Double
    }

    /// L-BFGS (memory `history`) with a backtracking Armijo line search, until the
    /// largest gradient component is at most `tolerance` (scikit-learn's `gtol`).
    func minimize(tolerance: Double, maxIterations: Int, history: Int = 10) -> Solution {
        let p = parameterCount
        var theta = [Double](repeating: 0, count: p)
        var (f, g) = objective(theta)
        var sList = [[Double]](), yList = [[Double]](), rhoList = [Double]()
        var iterations = 0
        func infNorm(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
        while infNorm(g) > tolerance && iterations < maxIterations {
            iterations += 1
            // Two-loop recursion: direction = -H g.
            var q = g
            var alphas = [Double](repeating: 0, count: sList.count)
            for m in stride(from: sList.count - 1, through: 0, by: -1) {
                let a = rhoList[m] * dot(sList[m], q)
                alphas[m] = a
                for t in 0..<p { q[t] -= a * yList[m][t] }
            }
            if let s = sList.last, let y = yList.last {
                let gamma = dot(s, y) / dot(y, y)
                for t in 0..<p { q[t] *= gamma }
            } else {
                let scale = 1 / max(infNorm(g), 1e-12)
                for t in 0..<p { q[t] *= min(1, scale) }
            }
            for m in 0..<sList.count {
                let beta = rhoList[m] * dot(yList[m], q)
                for t in 0..<p { q[t] += sList[m][t] * (alphas[m] - beta) }
            }
            var direction = q.map { -$0 }
            var slope = dot(g, direction)
            if !(slope < 0) { // not a descent direction: restart from steepest descent
                sList.removeAll(); yList.removeAll(); rhoList.removeAll()
                direction = g.map { -$0 }
                slope = dot(g, direction)
            }
            var step = 1.0
            var accepted = false
            var candidate = theta, fNew = f, gNew = g
            for _ in 0..<60 {
                for t in 0..<p { candidate[t] = theta[t] + step * direction[t] }
                (fNew, gNew) = objective(candidate)
                if fNew.isFinite, fNew <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            let s = (0..<p).map { candidate[$0] - theta[$0] }
            let y = (0..<p).map { gNew[$0] - g[$0] }
            let sy = dot(s, y)
            if sy > 1e-12 * dot(y, y).squareRoot() * dot(s, s).squareRoot() {
                sList.append(s); yList.append(y); rhoList.append(1 / sy)
                if sList.count > history { sList.removeFirst(); yList.removeFirst(); rhoList.removeFirst() }
            }
            let previous = f
            theta = candidate; f = fNew; g = gNew
            // scipy's relative reduction stop (ftol = 64 eps), as scikit-learn.
            if (previous - f) / max(abs(previous), abs(f), 1) <= 64 * Double.ulpOfOne { break }
        }
        let gradientNorm = infNorm(g)
        return Solution(
            theta: theta, iterations: iterations, converged: gradientNorm <= tolerance,
            gradientNorm: gradientNorm, value: f)
    }
}
