import Foundation
import Linalg

/// SFDA, Self-challenging Fisher Discriminant Analysis (Shao et al., "Not All
/// Models Are Equal: Predicting Model Transferability in a Self-challenging Fisher
/// Space", ECCV 2022).
///
/// 1. Regularised Fisher discriminant on the features F (N x D, not centred; the
///    result does not depend on a shift): within-class scatter S_W = Σ_c (n_c/N)
///    cov_c and total scatter S_T (both 1/N), shrunk towards their mean eigenvalue,
///
///        S̃ = (1 − λ) S + λ (tr S / D) I,    λ = max(exp(−a · σ_max(S_W)), 1e-10), a = 5,
///
///    S_B = S̃_T − S̃_W, and the discriminant directions V solve S_B v = ρ S̃_W v.
///    Class scores are the linear discriminant logits x·w_c − ½ μ_c·w_c + ln(n_c/N)
///    with w_c = V Vᵀ μ_c, turned into probabilities with a softmax.
/// 2. Self-challenging mix ("ConfMix"): the probabilities of pass 1 are softened by
///    a second softmax; each sample moves towards the mean of the other classes'
///    means by its confusion: x̃_i = p_i x_i + (1 − p_i) μ̄_{−y_i}, p_i the softened
///    probability of its own class and μ̄_{−c} the plain average of the class means
///    other than c.
/// 3. Pass 1 is fitted again on the mixed features with the same λ; the score is the
///    mean probability of the true class on the mixed features (the reference's
///    "soft accuracy"; it leaves out the log for stability).
///    `details["mean_log_probability"]` reports the log form too. Higher is better.
///
/// When all discriminant directions are kept (`discriminantComponents == nil`, the
/// reference's setting), V Vᵀ = S̃_W⁻¹ because Vᵀ S̃_W V = I, so w_c is obtained with
/// a Cholesky solve; with fewer components the generalised eigenproblem is solved
/// by Cholesky reduction (LAPACK `dsygvd`), never as `eigh(inv(S_W) S_B)` on a
/// non-symmetric product (a pitfall of one public LDA). Both paths are checked
/// against each other in `SFDATests.eigenPathMatchesSolvePath`.
///
/// Cost per pass: two Gram matrices (N·D², the first total scatter is the shared
/// covariance), a Cholesky solve (D³/3 + D²·C) and the logits (N·D·C).
///
/// Deviations from the authors' code: it writes the mixed features back into the
/// caller's array; here the input is never modified (`SFDATests.inputUnchanged`).
/// σ_max(S_W) is estimated like theirs with `powerIterations` (3) steps of the power
/// method started from the row sums (it is only a regularisation strength); pass
/// `nil` for the exact largest eigenvalue.
public struct SFDA: TransferabilityMetric {
    public var name: String { "sfda" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Neither null directions nor scale: the regularisation strength comes from σ_max(S_W) through exp(−a·σ_max) and the identity it adds spans every column.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// a in λ = exp(−a σ_max(S_W)).
    public var shrinkageRate: Double
    /// Lower bound on λ.
    public var minimumShrinkage: Double
    /// Power-method steps for σ_max(S_W); `nil` for the exact eigenvalue.
    public var powerIterations: Int?
    /// Discriminant directions kept in the classifier (capped at D), through the
    /// generalised eigenproblem; `nil` keeps all D through the equivalent solve.
    public var discriminantComponents: Int?

    public init(
        shrinkageRate: Double = 5, minimumShrinkage: Double = 1e-10,
        powerIterations: Int? = 3, discriminantComponents: Int? = nil
    ) {
        self.shrinkageRate = shrinkageRate
        self.minimumShrinkage = minimumShrinkage
        self.powerIterations = powerIterations
        self.discriminantComponents = discriminantComponents
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        try validateParameters()
        let data = try input.requireClassifiedFeatures(for: name)
        let n = data.sampleCount, d = data.dimension, c = data.classCount
        let labels = data.labels

        // Pass 1 on the original features (class means and S_T shared).
        let stats1 = data.analysis.classStatistics(labels: labels, classCount: c)
        let first = try fitPredict(
            features: data.features, stats: stats1, totalScatter: data.analysis.covariance,
            labels: labels, shrinkage: nil)
        var prob = first.probabilities
        softmaxRows(&prob) // the reference's "soften the probability"

        // ConfMix on a copy: the caller's features stay untouched.
        var otherMeans = Matrix(rows: c, columns: d)
        var sumMeans = [Double](repeating: 0, count: d)
        for cls in 0..<c { for j in 0..<d { sumMeans[j] += stats1.means[cls, j] } }
        for cls in 0..<c { for j in 0..<d { otherMeans[cls, j] = (sumMeans[j] - stats1.means[cls, j]) / Double(c - 1) } }
        var mixed = data.features
        mixed.storage.withUnsafeMutableBufferPointer { x in
            for r in 0..<n {
                let y = labels[r]
                let p = prob[r, y]
                for j in 0..<d { x[r * d + j] = p * x[r * d + j] + (1 - p) * otherMeans.storage[y * d + j] }
            }
        }

        // Pass 2 on the mixed features with pass 1's λ.
        let stats2 = ClassStatistics(features: mixed, labels: labels, classCount: c)
        let mixedAnalysis = FeatureAnalysis(features: mixed)
        let second = try fitPredict(
            features: mixed, stats: stats2, totalScatter: mixedAnalysis.covariance,
            labels: labels, shrinkage: first.shrinkage)
        var total = 0.0, logTotal = 0.0, firstTotal = 0.0
        for r in 0..<n {
            let p = second.probabilities[r, labels[r]]
            total += p
            logTotal += log(Swift.max(p, Double.leastNormalMagnitude))
            firstTotal += first.probabilities[r, labels[r]]
        }
        let score = total / Double(n)
        return MetricResult(
            score: try requireFinite(score, metric: name, what: "SFDA"),
            details: [
                "shrinkage": first.shrinkage,
                "mean_log_probability": logTotal / Double(n),
                "first_pass_score": firstTotal / Double(n),
            ])
    }

    private func validateParameters() throws {
        guard shrinkageRate >= 0, shrinkageRate.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "shrinkageRate", value: "\(shrinkageRate)", expected: "a finite number >= 0")
        }
        guard minimumShrinkage >= 0, minimumShrinkage <= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "minimumShrinkage", value: "\(minimumShrinkage)", expected: "a number in [0, 1]")
        }
        if let p = powerIterations, p < 1 {
            throw MetricError.invalidParameter(
                metric: name, name: "powerIterations", value: "\(p)", expected: "an integer >= 1, or nil for the exact eigenvalue")
        }
        if let k = discriminantComponents, k < 1 {
            throw MetricError.invalidParameter(
                metric: name, name: "discriminantComponents", value: "\(k)", expected: "an integer >= 1, or nil for all")
        }
    }

    /// One regularised-FDA fit and its class probabilities on the same features.
    func fitPredict(
        features: Matrix, stats: ClassStatistics, totalScatter: Matrix, labels: [Int],
        shrinkage fixed: Double?
    ) throws -> (probabilities: Matrix, shrinkage: Double) {
        let n = features.rows, d = features.columns, c = stats.counts.count
        // S_W = (1/N) Σ_i (x_i − μ_{y_i})(x_i − μ_{y_i})ᵀ = Σ_c (n_c/N) cov_c.
        var within = features
        within.storage.withUnsafeMutableBufferPointer { x in
            for (r, y) in labels.enumerated() { for j in 0..<d { x[r * d + j] -= stats.means.storage[y * d + j] } }
        }
        var sw = within.gram()
        for i in sw.storage.indices { sw.storage[i] /= Double(n) }

        let lambda: Double
        if let fixed {
            lambda = fixed
        } else {
            let top = try largestEigenvalue(sw)
            lambda = Swift.max(exp(-shrinkageRate * top), minimumShrinkage)
        }
        let swShrunk = shrunk(sw, lambda)
        let coefficients: Matrix // C x D: w_c in rows
        if let requested = discriminantComponents {
            let k = Swift.min(requested, d)
            let sb = shrunk(totalScatter, lambda).subtracting(swShrunk)
            let g = try metricLinalg(name, "generalised eigenproblem (S_B, S_W)") { try sb.generalizedSymmetricEigen(swShrunk) }
            let top = g.vectors.rows(at: Array(((d - k)..<d).reversed())) // k x D, descending
            let projectedMeans = try stats.means.multiplied(by: top, transposingOther: true) // C x k
            coefficients = try projectedMeans.multiplied(by: top) // C x D
        } else {
            let solved = try metricLinalg(name, "within-class scatter solve") {
                try swShrunk.solvePositiveDefinite(stats.means.transposed()) // D x C
            }
            coefficients = solved.transposed()
        }
        var logits = try features.multiplied(by: coefficients, transposingOther: true) // N x C
        for cls in 0..<c {
            var quad = 0.0
            for j in 0..<d { quad += stats.means[cls, j] * coefficients[cls, j] }
            let intercept = -0.5 * quad + log(Double(stats.counts[cls]) / Double(n))
            for r in 0..<n { logits.storage[r * c + cls] += intercept }
        }
        softmaxRows(&logits)
        return (logits, lambda)
    }

    /// σ_max of a symmetric PSD matrix: the reference's power method from the row
    /// sums, or the exact eigenvalue.
    private func largestEigenvalue(_ a: Matrix) throws -> Double {
        if let steps = powerIterations {
            var x = (0..<a.rows).map { i in (0..<a.columns).reduce(0.0) { $0 + a[i, $1] } }
            var y = x
            var ok = true
            for _ in 0..<steps {
                var t = try a.multiplied(by: x)
                var norm = dot(t, t).squareRoot()
                guard norm > 0, norm.isFinite else { ok = false; break }
                y = t.map { $0 / norm }
                t = try a.multiplied(by: y)
                norm = dot(t, t).squareRoot()
                guard norm > 0, norm.isFinite else { ok = false; break }
                x = t.map { $0 / norm }
            }
            // A start vector orthogonal to the top eigenvector (row sums of zero) ends in
            // a zero iterate: fall back to the exact eigenvalue instead of dividing by 0.
            if ok { return dot(x, try a.multiplied(by: y)) }
        }
        let e = try metricLinalg(name, "within-class scatter eigenvalues") { try a.symmetricEigen() }
        return e.values.last ?? 0
    }
}

/// (1 − λ) S + λ (tr S / D) I.
func shrunk(_ s: Matrix, _ lambda: Double) -> Matrix {
    let d = s.rows
    var trace = 0.0
    for i in 0..<d { trace += s[i, i] }
    var out = s
    for i in out.storage.indices { out.storage[i] *= (1 - lambda) }
    for i in 0..<d { out.storage[i * d + i] += lambda * trace / Double(d) }
    return out
}

extension Matrix {
    /// Element-wise difference of equal-shaped matrices.
    func subtracting(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows && columns == other.columns, "shapes differ")
        var out = self
        for i in out.storage.indices { out.storage[i] -= other.storage[i] }
        return out
    }
}
