import Foundation

/// How one target column's evidence maximisation ended.
public enum EvidenceStatus: String, Codable, Sendable {
    /// The fixed-point iteration met the tolerance at an interior maximum.
    case converged
    /// The iteration cap was reached first; the score is the evidence at the last iterate.
    case notConverged = "not_converged"
    /// The features fit the column exactly and have fewer independent directions than
    /// samples: the evidence grows without bound as alpha/beta -> 0. Scored at the
    /// documented floor alpha/beta = 1e-12 x the largest eigenvalue of FᵀF.
    case interpolates
    /// The features span every sample direction (rank N, so N <= D): they fit any
    /// column exactly and the evidence rises to a finite supremum as alpha/beta -> 0
    /// that no finite (alpha, beta) attains. Scored at that limit, in closed form.
    case zeroRatioLimit = "zero_ratio_limit"
    /// The evidence is largest in the limit alpha/beta -> infinity (w = 0: the
    /// features explain less than they cost). Scored at that finite limit.
    case noSignal = "no_signal"
}

/// The eigen-basis description of one column's Bayesian linear regression.
struct SpectralProblem {
    /// Eigenvalues of FᵀF for the directions kept; exact zeros mark directions of the
    /// null space (their z is zero too). Directions not listed also have eigenvalue 0.
    let s: [Double]
    /// Projections of Fᵀ y on those directions: z = Vᵀ Fᵀ y.
    let z: [Double]
    /// yᵀ y.
    let targetSquares: Double
    /// The least-squares residual |y - F F⁺ y|², exactly 0 when F has rank N.
    let residual: Double
    let sampleCount: Int // N
    let dimension: Int // D
}

/// The maximised evidence of one column and the hyper-parameters reaching it.
struct ColumnEvidence: Sendable {
    var evidencePerSample: Double
    var alpha: Double
    var beta: Double
    var iterations: Int
    var status: EvidenceStatus
    /// Posterior mean in the eigen basis: m = Σ t_i v_i.
    var t: [Double]
    /// The fixed point did not settle on the interior maximum; a bracketed search found it.
    var refinedBySearch = false
}

/// Maximises the log evidence of y = F w + e, w ~ N(0, 1/alpha I), e ~ N(0, 1/beta)
/// over (alpha, beta), on O(min(N, D)) scalars per iteration (JMLR 2022, Algorithm 2).
///
/// In the eigen basis of FᵀF, with lambda = alpha/beta and P the r directions with
/// non-zero eigenvalue:
///   t_i = z_i / (s_i + lambda)                      (posterior mean)
///   gamma = Σ s_i / (s_i + lambda)                  (effective number of parameters)
///   |m|² = Σ t_i²,   |y - F m|² = Σ (lambda/(s_i+lambda))² z_i²/s_i + r0
/// with r0 the least-squares residual; the fixed point is
///   alpha = gamma / |m|²,  beta = (N - gamma) / |y - F m|².
/// The log evidence at (alpha, beta) is
///   D/2 log alpha + N/2 log beta - 1/2 Σ_{i=1..D} log(alpha + beta s_i)
///   - beta/2 |y - F m|² - alpha/2 |m|² - N/2 log 2π,
/// the sum running over all D eigenvalues, the zero ones included. For fixed lambda
/// the best beta is N / R(lambda) with R = |y - Fm|² + lambda |m|², which the fixed
/// point satisfies; the score is evaluated in that profile form,
///   L(lambda) = (r/2) log lambda - 1/2 Σ_P log(lambda + s_i) + N/2 log(N / R(lambda)) - N/2 (1 + log 2π),
///   R(lambda) = lambda Σ_P z_i² / (s_i (s_i + lambda)) + r0,
/// which has no cancellation even at tiny lambda.
///
/// The supremum can lie on either boundary of lambda; both limits are computed in
/// closed form and win when they are larger (see `EvidenceStatus`).
/// The log-spaced values of alpha/beta at which the profile is scanned to choose
/// the fixed point's start, with Σ log(lambda + s_i) at each: that sum depends only
/// on the spectrum, so it is computed once per model, not once per column.
struct ProfileScan {
    static let steps = 72
    let ratios: [Double]
    let logSums: [Double]
    let gridRatio: Double

    init(eigenvalues s: [Double]) {
        let sMax = s.max() ?? 0
        let floor = EvidenceMaximizer.minimumRatio * sMax, ceiling = 1e6 * sMax
        gridRatio = pow(ceiling / floor, 1 / Double(Self.steps))
        ratios = (0...Self.steps).map { floor * pow(pow(ceiling / floor, 1 / Double(Self.steps)), Double($0)) }
        let positive = s.filter { $0 > 0 }
        logSums = ratios.map { lambda in positive.reduce(0.0) { $0 + log(lambda + $1) } }
    }
}

struct EvidenceMaximizer {
    var tolerance: Double
    var maxIterations: Int
    /// Shared scan of the spectrum (required by `maximize`, unused by the paper schedule).
    var scan: ProfileScan?
    /// alpha/beta is kept at or above this fraction of the largest eigenvalue; see
    /// `EvidenceStatus.interpolates`. Relative to the spectrum so that rotating or
    /// duplicating the samples does not change which columns hit it.
    static let minimumRatio = 1e-12

    func maximize(_ p: SpectralProblem) -> ColumnEvidence {
        let n = Double(p.sampleCount)
        let positive = p.s.indices.filter { p.s[$0] > 0 }
        let r = positive.count
        let sMax = p.s.max() ?? 0
        let signal = positive.reduce(0.0) { $0 + p.z[$1] * p.z[$1] }
        let constant = -n / 2 * (1 + log(2 * Double.pi))
        // The alpha/beta -> infinity limit: w = 0, y pure noise, beta = N / yᵀy.
        let infiniteRatioLimit = n / 2 * log(n / p.targetSquares) + constant
        func noSignal(after iterations: Int) -> ColumnEvidence {
            ColumnEvidence(
                evidencePerSample: infiniteRatioLimit / n, alpha: .infinity, beta: n / p.targetSquares,
                iterations: iterations, status: .noSignal, t: [Double](repeating: 0, count: p.s.count))
        }
        if r == 0 || signal == 0 { return noSignal(after: 0) }

        func profileR(_ lambda: Double) -> Double {
            var sum = 0.0
            for i in positive { sum += p.z[i] * p.z[i] / (p.s[i] * (p.s[i] + lambda)) }
            return lambda * sum + p.residual
        }
        func profile(_ lambda: Double) -> Double {
            var logs = 0.0
            for i in positive { logs += log(lambda + p.s[i]) }
            return Double(r) / 2 * log(lambda) - 0.5 * logs + n / 2 * log(n / profileR(lambda)) + constant
        }
        func update(_ lambda: Double) -> (alpha: Double, beta: Double) {
            var gamma = 0.0, mm = 0.0, fitted = 0.0
            for i in positive {
                let si = p.s[i], zi = p.z[i], denom = si + lambda
                gamma += si / denom
                let ti = zi / denom
                mm += ti * ti
                let shrink = lambda / denom
                fitted += shrink * shrink * zi * zi / si
            }
            return (gamma / mm, (n - gamma) / (fitted + p.residual))
        }

        let floorRatio = Self.minimumRatio * sMax
        // Start the fixed point from the best point of a coarse log-spaced scan of the
        // profile: started at alpha = beta = 1 the iteration can drift to a boundary
        // while a higher interior maximum exists (seen on N < D problems).
        let grid = scan ?? ProfileScan(eigenvalues: p.s)
        let steps = ProfileScan.steps, gridRatio = grid.gridRatio
        var start = floorRatio, startValue = -Double.infinity, startIndex = 0
        for (k, lambda) in grid.ratios.enumerated() {
            let value = Double(r) / 2 * log(lambda) - 0.5 * grid.logSums[k] + n / 2 * log(n / profileR(lambda)) + constant
            if value > startValue { startValue = value; start = lambda; startIndex = k }
        }
        var beta = n / profileR(start)
        var alpha = start * beta
        var status = EvidenceStatus.notConverged
        var iterations = 0
        var reachedFloor = false, reachedInfinity = false
        while iterations < maxIterations {
            iterations += 1
            let lambda = alpha / beta
            let next = update(lambda)
            let newLambda = next.alpha / next.beta
            if !(newLambda >= floorRatio) || !next.beta.isFinite {
                reachedFloor = true
                break
            }
            if !(newLambda <= 1e15 * sMax) || !next.alpha.isFinite {
                reachedInfinity = true
                break
            }
            (alpha, beta) = next
            if abs(newLambda - lambda) <= tolerance * lambda {
                status = .converged
                break
            }
        }
        var lambda = alpha / beta
        var best = profile(lambda)
        var refined = false
        if startIndex > 0 && startIndex < steps && (status != .converged || best < startValue) {
            // The scan brackets an interior maximum the fixed point did not settle on
            // (it can be repelled from it): locate it by golden-section search.
            lambda = goldenSectionMaximum(of: profile, from: start / gridRatio, to: start * gridRatio)
            best = profile(lambda)
            beta = n / profileR(lambda)
            alpha = lambda * beta
            reachedFloor = false
            reachedInfinity = false
            status = .converged
            refined = true
        }
        if reachedFloor {
            lambda = floorRatio
            best = profile(lambda)
            status = .interpolates
        }
        if p.residual == 0 && r == p.sampleCount {
            // Rank N: the (r - N)/2 log lambda term vanishes and L(lambda) has a finite
            // limit as lambda -> 0:  N/2 log(N / Σ z²/s²) - 1/2 Σ log s + const.
            var weighted = 0.0, logs = 0.0
            for i in positive { weighted += p.z[i] * p.z[i] / (p.s[i] * p.s[i]); logs += log(p.s[i]) }
            let limit = n / 2 * log(n / weighted) - 0.5 * logs + constant
            if limit >= best || reachedFloor {
                best = limit
                lambda = floorRatio
                status = .zeroRatioLimit
            }
        }
        if infiniteRatioLimit > best || reachedInfinity { return noSignal(after: iterations) }
        if status != .converged || refined {
            // Report the hyper-parameters consistent with the scored lambda.
            beta = n / profileR(lambda)
            alpha = lambda * beta
        }
        let t = p.s.indices.map { p.s[$0] > 0 ? p.z[$0] / (p.s[$0] + lambda) : 0 }
        return ColumnEvidence(
            evidencePerSample: best / n, alpha: alpha, beta: beta,
            iterations: iterations, status: status, t: t, refinedBySearch: refined)
    }

    /// The maximiser of a unimodal function on [lo, hi], searched in log space to a
    /// relative precision far below what the evidence value can resolve.
    private func goldenSectionMaximum(of f: (Double) -> Double, from lo: Double, to hi: Double) -> Double {
        var a = log(lo), b = log(hi)
        let ratio = (5.0.squareRoot() - 1) / 2
        var x1 = b - ratio * (b - a), x2 = a + ratio * (b - a)
        var f1 = f(exp(x1)), f2 = f(exp(x2))
        while b - a > 1e-12 * Swift.max(1, abs(a)) {
            if f1 < f2 {
                a = x1; x1 = x2; f1 = f2; x2 = a + ratio * (b - a); f2 = f(exp(x2))
            } else {
                b = x2; x2 = x1; f2 = f1; x1 = b - ratio * (b - a); f1 = f(exp(x1))
            }
        }
        return exp((a + b) / 2)
    }

    /// The published reference schedule (thuml/LogME `_fit_fixed_point`, as used for
    /// the paper's numbers): alpha = beta = 1, at most 11 iterations, relative
    /// tolerance 1e-3 on alpha/beta, 1e-5 added to the denominators of both updates,
    /// and the log-determinant summed over the min(N, D) singular values the
    /// reference's SVD returns, not over all D eigenvalues (a known slip of the
    /// reference when N < D, kept here so published numbers reproduce).
    ///
    /// Null directions (zero eigenvalues, e.g. dead units' all-zero columns) stay in
    /// that log-determinant as log(alpha + beta·0): the reference keeps them too, as
    /// rounding noise above its 1e-10 singular-value cut when N > D and all of them
    /// when N <= D. Each cancels one of the D/2 log alpha, so appending zero columns
    /// leaves the N > D score unchanged, as in the reference.
    func maximizePaperSchedule(_ p: SpectralProblem) -> ColumnEvidence {
        let n = Double(p.sampleCount), d = Double(p.dimension)
        let epsilon = 1e-5
        // Keep the directions the reference keeps: non-zero singular values.
        let kept = p.s.indices.filter { p.s[$0] > 1e-20 } // singular value > 1e-10
        let sigma = kept.map { p.s[$0] }
        let x2 = kept.map { p.z[$0] * p.z[$0] / p.s[$0] }
        let resX2 = p.targetSquares - x2.reduce(0, +)
        var alpha = 1.0, beta = 1.0
        var t = 1.0, m2 = 0.0, res2 = 0.0
        var iterations = 0
        for _ in 0..<11 {
            iterations += 1
            t = alpha / beta
            var gamma = 0.0
            m2 = 0; res2 = 0
            for i in sigma.indices {
                gamma += sigma[i] / (sigma[i] + t)
                m2 += sigma[i] * x2[i] / ((t + sigma[i]) * (t + sigma[i]))
                let shrink = 1 + sigma[i] / t
                res2 += x2[i] / (shrink * shrink)
            }
            res2 += resX2
            alpha = gamma / (m2 + epsilon)
            beta = (n - gamma) / (res2 + epsilon)
            let tNew = alpha / beta
            if abs(tNew - t) / t <= 1e-3 { break }
        }
        // The reference's SVD returns min(N, D) singular values; those not kept here
        // are null and contribute log(alpha) each.
        let nullTerms = Swift.max(Swift.min(p.sampleCount, p.dimension) - sigma.count, 0)
        var logDet = Double(nullTerms) * log(alpha)
        for s in sigma { logDet += log(alpha + beta * s) }
        let evidence =
            d / 2 * log(alpha) + n / 2 * log(beta) - 0.5 * logDet
            - beta / 2 * res2 - alpha / 2 * m2 - n / 2 * log(2 * Double.pi)
        // The reference's posterior mean uses the ratio at the start of the last iteration.
        var tVec = [Double](repeating: 0, count: p.s.count)
        for i in kept { tVec[i] = p.z[i] / (t + p.s[i]) }
        return ColumnEvidence(
            evidencePerSample: evidence / n, alpha: alpha, beta: beta, iterations: iterations,
            status: iterations < 11 ? .converged : .notConverged, t: tVec)
    }
}
