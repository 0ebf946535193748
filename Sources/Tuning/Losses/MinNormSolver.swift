/// The min-norm problem of multiple-gradient descent with a cap on each weight
/// (AE-KD's teacher weights, docs/tuning/aekd.md):
///
///     minimise  wᵀ G w   subject to  Σ_k w_k = 1,  0 ≤ w_k ≤ cap,
///
/// G the K×K Gram matrix of the teachers' gradients, in float64. For K ≤ 8 (AE-KD's
/// ensembles) it is solved exactly by enumerating the faces of the capped simplex
/// (each weight at 0, at the cap, or free): on each face the KKT system of the
/// equality-constrained problem is solved, and the best feasible point over all faces
/// is the minimum (the problem is convex, and its minimum lies on the face where its
/// free weights are strictly inside their bounds). A ridge of 1e-12 · trace(G) on the
/// free block keeps singular faces solvable. For larger K, accelerated projected
/// gradient (FISTA with restarts) with an exact projection. When G is singular the
/// minimiser may not be unique, and the solver returns one of them.
package enum MinNormSolver {
    /// The weights minimising wᵀGw over the capped simplex. `cap` must be at least 1/K
    /// (otherwise no weights sum to one).
    package static func solve(gram: [[Double]], cap: Double, iterations: Int = 4000, tolerance: Double = 1e-14) -> [Double] {
        let k = gram.count
        precondition(k >= 1 && gram.allSatisfy { $0.count == k }, "gram must be square")
        precondition(cap * Double(k) >= 1 - 1e-12, "cap \(cap) below 1/K")
        // Scale-free: divide by the trace so the step size does not depend on the
        // gradients' magnitude (the minimiser does not change).
        let trace = (0..<k).reduce(0.0) { $0 + Swift.max(gram[$1][$1], 0) }
        let uniform = project(Array(repeating: 1.0 / Double(k), count: k), cap: cap)
        guard trace > 0, trace.isFinite else { return uniform }
        let g = gram.map { $0.map { $0 / trace } }
        if k <= 8 { return enumerateFaces(g, cap: cap) }
        // ∇(wᵀGw) = 2Gw; its Lipschitz constant 2λ_max(G) ≤ 2 trace(G) = 2.
        let step = 0.5
        func gradient(_ w: [Double]) -> [Double] { (0..<k).map { i in 2 * (0..<k).reduce(0.0) { $0 + g[i][$1] * w[$1] } } }
        func objective(_ w: [Double]) -> Double { (0..<k).reduce(0.0) { s, i in s + w[i] * (0..<k).reduce(0.0) { $0 + g[i][$1] * w[$1] } } }
        var w = uniform
        var y = w
        var t = 1.0
        var best = objective(w)
        for _ in 0..<iterations {
            let grad = gradient(y)
            let next = project(zip(y, grad).map { $0 - step * $1 }, cap: cap)
            let value = objective(next)
            let moved = zip(next, w).reduce(0.0) { Swift.max($0, Swift.abs($1.0 - $1.1)) }
            if value > best + 1e-18 {
                // Restart the momentum when the objective goes up (O'Donoghue & Candès).
                t = 1
                y = w
                continue
            }
            let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
            y = zip(next, w).map { $0 + (t - 1) / tNext * ($0 - $1) }
            t = tNext
            w = next
            best = value
            if moved < tolerance { break }
        }
        return w
    }

    /// The exact minimum by enumeration of the 3^K faces (see the type's comment).
    static func enumerateFaces(_ g: [[Double]], cap: Double) -> [Double] {
        let k = g.count
        func objective(_ w: [Double]) -> Double { (0..<k).reduce(0.0) { s, i in s + w[i] * (0..<k).reduce(0.0) { $0 + g[i][$1] * w[$1] } } }
        var best: [Double]? = nil
        var bestValue = Double.infinity
        var states = [Int](repeating: 0, count: k) // 0: at zero, 1: at the cap, 2: free
        let faces = (0..<k).reduce(1) { acc, _ in acc * 3 }
        for face in 0..<faces {
            var code = face
            for i in 0..<k { states[i] = code % 3; code /= 3 }
            let free = (0..<k).filter { states[$0] == 2 }
            let upper = (0..<k).filter { states[$0] == 1 }
            let rest = 1 - cap * Double(upper.count)
            var w = [Double](repeating: 0, count: k)
            for i in upper { w[i] = cap }
            if free.isEmpty {
                guard Swift.abs(rest) < 1e-12 else { continue }
            } else {
                // [2 G_FF + ridge, −1; 1ᵀ, 0] [w_F; μ] = [−2 G_FU w_U; rest].
                let f = free.count
                var m = [[Double]](repeating: [Double](repeating: 0, count: f + 2), count: f + 1)
                for (a, i) in free.enumerated() {
                    for (b, j) in free.enumerated() { m[a][b] = 2 * g[i][j] + (a == b ? 2e-12 : 0) }
                    m[a][f] = -1
                    m[a][f + 1] = -2 * upper.reduce(0.0) { $0 + g[i][$1] * cap }
                }
                for a in 0..<f { m[f][a] = 1 }
                m[f][f + 1] = rest
                guard let x = solveLinear(&m) else { continue }
                var feasible = true
                for (a, i) in free.enumerated() {
                    guard x[a] >= -1e-12, x[a] <= cap + 1e-12 else { feasible = false; break }
                    w[i] = Swift.min(Swift.max(x[a], 0), cap)
                }
                guard feasible else { continue }
            }
            let value = objective(w)
            if value < bestValue - 1e-15 {
                bestValue = value
                best = w
            }
        }
        guard var w = best else { return project(Array(repeating: 1.0 / Double(k), count: k), cap: cap) }
        // Clamping may leave Σw off one by rounding: spread it over the free weights.
        let excess = w.reduce(0, +) - 1
        let free = w.indices.filter { w[$0] > 0 && w[$0] < cap }
        if excess != 0, !free.isEmpty { for i in free { w[i] -= excess / Double(free.count) } }
        return w
    }

    /// Gaussian elimination with partial pivoting on the augmented matrix `m` (n × n+1);
    /// nil when singular.
    static func solveLinear(_ m: inout [[Double]]) -> [Double]? {
        let n = m.count
        for col in 0..<n {
            var pivot = col
            for row in (col + 1)..<n where Swift.abs(m[row][col]) > Swift.abs(m[pivot][col]) { pivot = row }
            guard Swift.abs(m[pivot][col]) > 1e-300 else { return nil }
            m.swapAt(col, pivot)
            for row in 0..<n where row != col {
                let factor = m[row][col] / m[col][col]
                if factor != 0 { for c in col...n { m[row][c] -= factor * m[col][c] } }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] }
    }

    /// The Euclidean projection of `v` onto {w : Σw = 1, 0 ≤ w ≤ cap}: w_i =
    /// clamp(v_i − τ, 0, cap) with τ found by bisection (the sum is monotone in τ).
    package static func project(_ v: [Double], cap: Double) -> [Double] {
        func total(_ tau: Double) -> Double { v.reduce(0) { $0 + Swift.min(Swift.max($1 - tau, 0), cap) } }
        var lo = (v.min() ?? 0) - cap - 1 // every entry at the cap: sum K·cap ≥ 1
        var hi = (v.max() ?? 0) // every entry 0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if total(mid) > 1 { lo = mid } else { hi = mid }
            if hi - lo < 1e-17 { break }
        }
        let tau = (lo + hi) / 2
        var w = v.map { Swift.min(Swift.max($0 - tau, 0), cap) }
        // Remove the bisection's last rounding from the free entries so Σw = 1 exactly.
        let free = w.indices.filter { w[$0] > 0 && w[$0] < cap }
        let excess = w.reduce(0, +) - 1
        if !free.isEmpty, excess != 0 {
            for i in free { w[i] = Swift.min(Swift.max(w[i] - excess / Double(free.count), 0), cap) }
        }
        return w
    }
}
