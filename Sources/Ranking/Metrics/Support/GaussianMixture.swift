import Foundation
import Linalg
import Support

/// A full-covariance Gaussian mixture fitted by EM, following scikit-learn's
/// `GaussianMixture(covariance_type="full")` schedule so results can be compared:
///
/// - initialisation from a seeded k-means (k-means++ seeding, then Lloyd
///   iterations), whose hard assignments give the first weights, means and
///   covariances; or from explicit parameters (`fit(_:initial:)`);
/// - each iteration: E-step with the current parameters (its mean log-likelihood is
///   the "lower bound"), then M-step; stop when the lower bound changes by less
///   than `tolerance` between iterations, or after `maxIterations`;
/// - covariances are the responsibility-weighted scatter / (N_k) plus
///   `regularization` on the diagonal; N_k gets 10·eps added as in scikit-learn.
///
/// Cost per iteration, for N samples, d dimensions, K components: the E-step whitens
/// every sample against every component (a Cholesky factor and its triangular
/// inverse, d³/3 each, then one `dgemm`, 2·N·d², per component); the M-step is one
/// `dgemm` for the means and, per component, one `dsyrk` over only the samples whose
/// responsibility is at least `responsibilityCutoff` (each sample has non-negligible
/// responsibility for few components, so this is ~N·d² in total, not K·N·d²).
///
/// When a component's covariance comes from n_k < d/3 such samples (many components
/// in a high dimension, as N-LEEP's 5·C components after PCA), it is exactly a
/// rank-n_k scatter plus the ridge, and the E-step uses that structure
/// (`LowRankCovariance`): O(N·d·n_k) instead of O(N·d²) for that component.
public struct GaussianMixture: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Mixing weights (K), summing to 1.
        public var weights: [Double]
        /// K x d component means.
        public var means: Matrix
        /// K covariance matrices (d x d).
        public var covariances: [Matrix]

        /// For covariances the M-step built from fewer samples than a third of the
        /// dimension: the same matrix as an orthonormal eigenbasis of the scatter plus
        /// the regularisation (see `LowRankCovariance`); nil elsewhere.
        var factors: [LowRankCovariance?]

        public init(weights: [Double], means: Matrix, covariances: [Matrix]) {
            self.weights = weights
            self.means = means
            self.covariances = covariances
            self.factors = Array(repeating: nil, count: covariances.count)
        }
    }

    /// Σ = Vᵀ diag(λ) V + ρ (I - VᵀV) with V (r x d) orthonormal rows and λⱼ > ρ > 0:
    /// a regularised covariance of r < d samples. Its Mahalanobis distance costs
    /// O(r·d) per sample instead of O(d²):
    ///     (x-μ)ᵀ Σ⁻¹ (x-μ) = Σⱼ (vⱼ·(x-μ))² / λⱼ + ‖(I - VᵀV)(x-μ)‖² / ρ,
    /// with the residual formed explicitly (not as ‖x-μ‖² minus the projection, which
    /// would cancel catastrophically after division by a small ρ).
    struct LowRankCovariance: Sendable, Equatable {
        let basis: Matrix
        let eigenvalues: [Double]
        let regularization: Double
    }

    public struct Fit: Sendable {
        public let parameters: Parameters
        /// EM iterations run.
        public let iterations: Int
        public let converged: Bool
        /// The mean log-likelihood from the E-step of each iteration (non-decreasing
        /// in exact arithmetic); the last one is scikit-learn's `lower_bound_`.
        public let lowerBounds: [Double]
        /// N x K posteriors under the final parameters (scikit-learn's
        /// `predict_proba` on the training samples).
        public let responsibilities: Matrix
        /// The mean log-likelihood under the final parameters (`score`).
        public let meanLogLikelihood: Double
    }

    public var components: Int
    public var tolerance: Double
    public var regularization: Double
    public var maxIterations: Int
    /// Lloyd iterations and relative centre-shift tolerance of the k-means start
    /// (scikit-learn's `KMeans` defaults).
    public var kmeansIterations: Int
    public var kmeansTolerance: Double
    /// Samples with a smaller responsibility are left out of a component's
    /// covariance update (their contribution is below rounding for any realistic
    /// data); 0 keeps every sample.
    public var responsibilityCutoff: Double
    public var seed: UInt64

    public init(
        components: Int, tolerance: Double = 1e-3, regularization: Double = 1e-6,
        maxIterations: Int = 100, kmeansIterations: Int = 300, kmeansTolerance: Double = 1e-4,
        responsibilityCutoff: Double = 1e-12, seed: UInt64 = 0
    ) {
        self.components = components
        self.tolerance = tolerance
        self.regularization = regularization
        self.maxIterations = maxIterations
        self.kmeansIterations = kmeansIterations
        self.kmeansTolerance = kmeansTolerance
        self.responsibilityCutoff = responsibilityCutoff
        self.seed = seed
    }

    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case tooFewSamples(samples: Int, components: Int)
        case illDefinedCovariance(component: Int)
        case invalidParameters(String)

        public var description: String {
            switch self {
            case let .tooFewSamples(n, k): return "a mixture of \(k) components needs at least \(k) samples, got \(n)"
            case let .illDefinedCovariance(k):
                return "component \(k) has an ill-defined covariance (not positive definite even after regularisation); increase the regularisation"
            case let .invalidParameters(what): return "invalid mixture parameters: \(what)"
            }
        }
    }

    /// Fits from a seeded k-means start.
    public func fit(_ x: Matrix) throws -> Fit {
        try validate(x)
        let labels = kmeansLabels(x)
        var resp = Matrix(rows: x.rows, columns: components)
        for (i, k) in labels.enumerated() { resp[i, k] = 1 }
        let initial = try mStep(x, responsibilities: resp)
        return try em(x, from: initial)
    }

    /// Fits from explicit starting parameters (scikit-learn's `weights_init`,
    /// `means_init` and `precisions_init` together).
    public func fit(_ x: Matrix, initial: Parameters) throws -> Fit {
        try validate(x)
        guard initial.weights.count == components, initial.means.rows == components,
            initial.means.columns == x.columns, initial.covariances.count == components,
            initial.covariances.allSatisfy({ $0.rows == x.columns && $0.columns == x.columns })
        else {
            throw Failure.invalidParameters(
                "expected \(components) weights, \(components) x \(x.columns) means and \(components) covariances of order \(x.columns)")
        }
        return try em(x, from: initial)
    }

    private func validate(_ x: Matrix) throws {
        guard components >= 1 else { throw Failure.invalidParameters("components = \(components), expected >= 1") }
        guard x.rows >= components, x.rows >= 2 else { throw Failure.tooFewSamples(samples: x.rows, components: components) }
        guard x.columns >= 1 else { throw Failure.invalidParameters("samples have no dimension") }
        guard tolerance >= 0, regularization >= 0, maxIterations >= 1 else {
            throw Failure.invalidParameters("tolerance and regularisation must be >= 0 and maxIterations >= 1")
        }
    }

    private func em(_ x: Matrix, from initial: Parameters) throws -> Fit {
        var params = initial
        var lowerBound = -Double.infinity
        var bounds = [Double]()
        var converged = false
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let previous = lowerBound
            let (mean, resp) = try eStep(x, params)
            params = try mStep(x, responsibilities: resp)
            lowerBound = mean
            bounds.append(mean)
            if abs(lowerBound - previous) < tolerance { converged = true; break }
        }
        let (finalMean, finalResp) = try eStep(x, params)
        return Fit(
            parameters: params, iterations: iterations, converged: converged, lowerBounds: bounds,
            responsibilities: finalResp, meanLogLikelihood: finalMean)
    }

    /// The weighted log-densities log(w_k N(x_i | μ_k, Σ_k)) (N x K).
    ///
    /// Per component, the centred samples are whitened with one `dgemm`: against the
    /// inverse Cholesky factor (X - μ)·L⁻ᵀ, or, for a low-rank-plus-ridge covariance,
    /// projected on its eigenbasis (two thin products).
    public func weightedLogDensities(_ x: Matrix, _ params: Parameters) throws -> Matrix {
        let n = x.rows, d = x.columns, kCount = params.weights.count
        var out = Matrix(rows: n, columns: kCount)
        let constant = Double(d) * log(2 * Double.pi)
        var lowRank = [Int]()
        var centred = Matrix(rows: 0, columns: d)
        for k in 0..<kCount {
            if k < params.factors.count, params.factors[k] != nil { lowRank.append(k); continue }
            // Dense covariance: compute bound (2·N·d² per component), one pass over all rows.
            if centred.rows != n { centred = Matrix(rows: n, columns: d) }
            Self.centre(x, rows: 0..<n, mean: k, of: params.means, into: &centred)
            let inverse: Matrix
            do { inverse = try params.covariances[k].choleskyLower().lowerTriangularInverse() } catch {
                throw Failure.illDefinedCovariance(component: k)
            }
            var logDetCovariance = 0.0
            for j in 0..<d { logDetCovariance -= 2 * log(inverse[j, j]) }
            let base = -0.5 * (constant + logDetCovariance) + log(params.weights[k])
            let whitened = try centred.multiplied(by: inverse, transposingOther: true)
            whitened.storage.withUnsafeBufferPointer { w in
                out.storage.withUnsafeMutableBufferPointer { o in
                    for i in 0..<n {
                        let q = sumOfSquares(w.baseAddress.map { $0 + i * d }, count: d)
                        o[i * kCount + k] = base - 0.5 * q
                    }
                }
            }
        }
        guard !lowRank.isEmpty else { return out }
        // Low-rank components: memory bound (O(d·r) flops per sample), so rows go in
        // cache-sized blocks and every such component visits a block while it is hot.
        let bases = lowRank.map { k -> Double in
            guard let f = params.factors[k] else { return 0 }
            let logDet = f.eigenvalues.reduce(0) { $0 + log($1) } + Double(d - f.basis.rows) * log(f.regularization)
            return -0.5 * (constant + logDet) + log(params.weights[k])
        }
        let blockRows = max(16, min(n, 65_536 / max(d, 1)))
        var start = 0
        while start < n {
            let end = min(n, start + blockRows)
            let b = end - start
            var block = Matrix(rows: b, columns: d)
            for (index, k) in lowRank.enumerated() {
                guard let factor = params.factors[k] else { continue }
                Self.centre(x, rows: start..<end, mean: k, of: params.means, into: &block)
                let r = factor.basis.rows
                var projections = Matrix(rows: b, columns: r)
                accumulateProduct(block, factor.basis, into: &projections, transposingRight: true)
                accumulateProduct(projections, factor.basis, into: &block, scale: -1) // residuals
                let inverseRidge = 1 / factor.regularization
                let inverseEigen = factor.eigenvalues.map { 1 / $0 }
                let base = bases[index]
                projections.storage.withUnsafeBufferPointer { p in
                    block.storage.withUnsafeBufferPointer { res in
                        out.storage.withUnsafeMutableBufferPointer { o in
                            for i in 0..<b {
                                var q = 0.0
                                for j in 0..<r { q += p[i * r + j] * p[i * r + j] * inverseEigen[j] }
                                let t = sumOfSquares(res.baseAddress.map { $0 + i * d }, count: d)
                                o[(start + i) * kCount + k] = base - 0.5 * (q + t * inverseRidge)
                            }
                        }
                    }
                }
            }
            start = end
        }
        return out
    }

    /// out = x[rows] - means[k] (out has rows.count rows).
    private static func centre(_ x: Matrix, rows: Range<Int>, mean k: Int, of means: Matrix, into out: inout Matrix) {
        let d = x.columns
        x.storage.withUnsafeBufferPointer { xs in
            means.storage.withUnsafeBufferPointer { ms in
                out.storage.withUnsafeMutableBufferPointer { s in
                    let mu = k * d
                    for (local, i) in rows.enumerated() {
                        let src = i * d, dst = local * d
                        for j in 0..<d { s[dst + j] = xs[src + j] - ms[mu + j] }
                    }
                }
            }
        }
    }

    /// E-step: the mean log-likelihood and the responsibilities (N x K), with a
    /// stable log-sum-exp over components.
    public func eStep(_ x: Matrix, _ params: Parameters) throws -> (meanLogLikelihood: Double, responsibilities: Matrix) {
        var logp = try weightedLogDensities(x, params)
        let n = x.rows, kCount = params.weights.count
        var total = 0.0
        logp.storage.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                let row = i * kCount
                var m = -Double.infinity
                for k in 0..<kCount where p[row + k] > m { m = p[row + k] }
                var s = 0.0
                for k in 0..<kCount { s += exp(p[row + k] - m) }
                let norm = m + log(s)
                total += norm
                for k in 0..<kCount { p[row + k] = exp(p[row + k] - norm) }
            }
        }
        return (total / Double(n), logp)
    }

    /// M-step: weights, means and regularised covariances from responsibilities.
    func mStep(_ x: Matrix, responsibilities resp: Matrix) throws -> Parameters {
        let n = x.rows, d = x.columns, kCount = resp.columns
        var nk = [Double](repeating: 10 * Double.ulpOfOne, count: kCount)
        resp.storage.withUnsafeBufferPointer { r in
            for i in 0..<n { for k in 0..<kCount { nk[k] += r[i * kCount + k] } }
        }
        var means = try resp.multiplied(by: x, transposingSelf: true)
        for k in 0..<kCount { for j in 0..<d { means[k, j] /= nk[k] } }
        var covariances = [Matrix]()
        covariances.reserveCapacity(kCount)
        var factors = [LowRankCovariance?](repeating: nil, count: kCount)
        // Component-major copy so each component's responsibilities are contiguous.
        let byComponent = resp.transposed()
        for k in 0..<kCount {
            // Rows sqrt(r_ik)·(x_i - μ_k) of the samples that matter, then one dsyrk.
            var active = [Int]()
            var weights = [Double]()
            byComponent.storage.withUnsafeBufferPointer { r in
                for i in 0..<n {
                    let v = r[k * n + i]
                    if v > 0, v >= responsibilityCutoff { active.append(i); weights.append(v.squareRoot()) }
                }
            }
            var scaled = Matrix(rows: active.count, columns: d)
            x.storage.withUnsafeBufferPointer { xs in
                means.storage.withUnsafeBufferPointer { ms in
                    scaled.storage.withUnsafeMutableBufferPointer { s in
                        for (a, i) in active.enumerated() {
                            let w = weights[a]
                            for j in 0..<d { s[a * d + j] = w * (xs[i * d + j] - ms[k * d + j]) }
                        }
                    }
                }
            }
            var cov = scaled.gram(scale: 1 / nk[k])
            for j in 0..<d { cov[j, j] += regularization }
            covariances.append(cov)
            if regularization > 0, 3 * active.count < d {
                // Few samples: keep the scatter's eigenbasis from a thin SVD of the
                // n_active x d weighted rows, so the E-step costs O(N·d·n_active).
                let svd = try scaled.thinSVD()
                factors[k] = LowRankCovariance(
                    basis: svd.rightTransposed,
                    eigenvalues: svd.singularValues.map { $0 * $0 / nk[k] + regularization },
                    regularization: regularization)
            }
        }
        let totalWeight = nk.reduce(0, +)
        var params = Parameters(weights: nk.map { $0 / totalWeight }, means: means, covariances: covariances)
        params.factors = factors
        return params
    }

    // MARK: - k-means start

    /// Squared Euclidean distances from every row of `x` to every row of `centres`
    /// (N x K), through one matrix product: ‖x‖² - 2 x·c + ‖c‖², floored at 0.
    static func squaredDistances(_ x: Matrix, rowNorms: [Double], to centres: Matrix) -> Matrix {
        let kCount = centres.rows, d = x.columns
        var out = Matrix(rows: x.rows, columns: kCount)
        accumulateProduct(x, centres, into: &out, transposingRight: true, scale: -2)
        var cn = [Double](repeating: 0, count: kCount)
        centres.storage.withUnsafeBufferPointer { c in
            for k in 0..<kCount { var s = 0.0; for j in 0..<d { s += c[k * d + j] * c[k * d + j] }; cn[k] = s }
        }
        out.storage.withUnsafeMutableBufferPointer { o in
            for i in 0..<x.rows { for k in 0..<kCount { o[i * kCount + k] = max(0, o[i * kCount + k] + rowNorms[i] + cn[k]) } }
        }
        return out
    }

    /// Hard k-means labels: greedy k-means++ seeding (2 + ln K candidates per centre,
    /// as scikit-learn), then Lloyd iterations until the total squared centre shift is
    /// at most `kmeansTolerance` times the mean per-feature variance. An emptied
    /// cluster takes the sample farthest from its centre.
    func kmeansLabels(_ x: Matrix) -> [Int] {
        let n = x.rows, d = x.columns, kCount = components
        var rng = SeededGenerator(seed: seed)
        let rowNorms: [Double] = x.storage.withUnsafeBufferPointer { xs in
            (0..<n).map { i in
                var s = 0.0; for j in 0..<d { s += xs[i * d + j] * xs[i * d + j] }; return s
            }
        }
        // Seeding.
        var centreIndices = [rng.int(below: n)]
        var closest = Self.squaredDistances(x, rowNorms: rowNorms, to: x.rows(at: centreIndices)).storage
        var potential = closest.reduce(0, +)
        let trials = 2 + Int(log(Double(kCount)))
        while centreIndices.count < kCount {
            var candidates = [Int]()
            for _ in 0..<trials {
                let target = rng.uniform() * potential
                var running = 0.0
                var pick = n - 1
                for i in 0..<n { running += closest[i]; if running > target { pick = i; break } }
                candidates.append(pick)
            }
            let dist = Self.squaredDistances(x, rowNorms: rowNorms, to: x.rows(at: candidates))
            var bestPotential = Double.infinity
            var bestCandidate = 0
            for c in 0..<candidates.count {
                var s = 0.0
                for i in 0..<n { s += min(closest[i], dist[i, c]) }
                if s < bestPotential { bestPotential = s; bestCandidate = c }
            }
            for i in 0..<n { closest[i] = min(closest[i], dist[i, bestCandidate]) }
            potential = bestPotential
            centreIndices.append(candidates[bestCandidate])
        }
        var centres = x.rows(at: centreIndices)
        // Tolerance scaled by the data's mean variance, as scikit-learn.
        var variance = 0.0
        for j in 0..<d {
            var m = 0.0, s = 0.0
            for i in 0..<n { m += x[i, j] }
            m /= Double(n)
            for i in 0..<n { let t = x[i, j] - m; s += t * t }
            variance += s / Double(n)
        }
        let shiftTolerance = kmeansTolerance * variance / Double(d)
        var labels = [Int](repeating: 0, count: n)
        for _ in 0..<max(1, kmeansIterations) {
            let dist = Self.squaredDistances(x, rowNorms: rowNorms, to: centres)
            var nearest = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var best = 0
                var bestValue = dist[i, 0]
                for k in 1..<max(kCount, 1) where dist[i, k] < bestValue { best = k; bestValue = dist[i, k] }
                labels[i] = best
                nearest[i] = bestValue
            }
            var sums = Matrix(rows: kCount, columns: d)
            var counts = [Int](repeating: 0, count: kCount)
            for i in 0..<n {
                counts[labels[i]] += 1
                for j in 0..<d { sums[labels[i], j] += x[i, j] }
            }
            var taken = Set<Int>()
            for k in 0..<kCount where counts[k] == 0 {
                // Relocate an empty cluster to the worst-served sample not yet taken.
                var far = -1
                var farValue = -1.0
                for i in 0..<n where !taken.contains(i) && nearest[i] > farValue { far = i; farValue = nearest[i] }
                guard far >= 0 else { continue }
                taken.insert(far)
                counts[labels[far]] -= 1
                for j in 0..<d { sums[labels[far], j] -= x[far, j] }
                labels[far] = k
                counts[k] = 1
                for j in 0..<d { sums[k, j] = x[far, j] }
            }
            var shift = 0.0
            for k in 0..<kCount where counts[k] > 0 {
                for j in 0..<d {
                    let c = sums[k, j] / Double(counts[k])
                    let t = c - centres[k, j]
                    shift += t * t
                    centres[k, j] = c
                }
            }
            if shift <= shiftTolerance { break }
        }
        // Labels consistent with the final centres.
        let dist = Self.squaredDistances(x, rowNorms: rowNorms, to: centres)
        var counts = [Int](repeating: 0, count: kCount)
        for i in 0..<n {
            var best = 0
            for k in 1..<max(kCount, 1) where dist[i, k] < dist[i, best] { best = k }
            labels[i] = best
            counts[best] += 1
        }
        return labels
    }
}
