import Foundation
import Linalg

/// H-score (Bao et al., "An Information-Theoretic Approach to Transferability in
/// Task Transfer Learning", ICIP 2019).
///
///     H(f) = tr( cov(f)⁺ · cov(E[f | y]) )
///
/// with f the centred features (N x D) and E[f | y] the class mean of each sample's
/// class. Both covariances use 1/N (the ratio makes the convention irrelevant; the
/// widely copied reference uses 1/(N-1) for both). Higher is better.
///
/// Computed in the eigenbasis of the shared covariance cov(f) = Vᵀ diag(λ) V:
/// cov(E[f|y]) = Σ_c (n_c/N) (μ_c − μ)(μ_c − μ)ᵀ, so with p_c = V (μ_c − μ)
///
///     H = Σ_k [ Σ_c (n_c/N) p_ck² ] / λ_k        over λ_k > cutoff · λ_max
///
/// which is exactly tr(pinv(cov f) · cov g) with a relative eigenvalue cutoff.
/// Cost: the covariance (N·D², `dsyrk`) and its eigendecomposition (D³), both shared
/// through `FeatureAnalysis`, then C·D² for the projected class means.
///
/// Singular covariance (N ≤ D, constant or collinear features): eigenvalues at or
/// below `relativeCutoff · λ_max` are dropped as in a pseudo-inverse and a warning
/// says how many. The default cutoff is max(N, D)·ε (NumPy's `matrix_rank`
/// tolerance): the reference's `pinv(rcond=1e-15)` keeps eigenvalues that are pure
/// rounding noise for D in the hundreds and then divides by them.
///
/// Pitfalls of public copies avoided here: the product is a matrix product (some
/// copies multiply element-wise), and g is centred (some copies use un-centred
/// class means, which adds the outer product of the global mean).
///
/// Regression targets (Y, N x k): E[f | y] is estimated by the least-squares
/// regression of the features on the targets, Ê[f | y] = μ + cov(f, Y) cov(Y)⁻¹ (y − ȳ),
/// so cov(E[f|y]) = cov(f, Y) cov(Y)⁻¹ cov(Y, f) and
///
///     H = tr( cov(f)⁺ · cov(f, Y) cov(Y)⁻¹ cov(Y, f) )
///
/// the sum of the squared canonical correlations between f and Y (for one target
/// column, the in-sample R² of the least-squares fit of y on f). It reaches k for
/// every model once the features span the samples (D ≥ N − 1): a warning says so
/// (docs/metrics/hscore.md).
public struct HScore: TransferabilityMetric {
    public var name: String { "hscore" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification, .regression] }
    /// A pseudo-inverse trace: null directions are cut off, and a scale cancels between cov f⁻¹ and cov g.
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections, .featureScale] }

    /// Eigenvalues at or below `relativeCutoff · λ_max` are treated as zero; `nil`
    /// uses max(N, D) · ε.
    public var relativeCutoff: Double?

    public init(relativeCutoff: Double? = nil) {
        self.relativeCutoff = relativeCutoff
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        if let c = relativeCutoff, !(c >= 0 && c < 1) {
            throw MetricError.invalidParameter(metric: name, name: "relativeCutoff", value: "\(c)", expected: "a number in [0, 1)")
        }
        if input.targets.task == .regression { return try regressionScore(input) }
        let data = try input.requireClassifiedFeatures(for: name)
        let eigen = try metricLinalg(name, "covariance eigendecomposition") { try data.analysis.covarianceEigen() }
        let between = try betweenClassSpectrum(data, eigen: eigen)
        return try score(eigen: eigen, between: between, sampleCount: data.sampleCount, dimension: data.dimension)
    }

    /// The score from the covariance's eigendecomposition and the between-class
    /// spectrum, shared by the in-memory and the sufficient-statistics paths.
    func score(eigen: SymmetricEigen, between: [Double], sampleCount: Int, dimension: Int) throws -> MetricResult {
        let lambdaMax = eigen.values.last ?? 0
        guard lambdaMax > 0 else {
            throw MetricError.degenerate(metric: name, reason: "the features have zero variance (every sample is the same point)")
        }
        let cutoff = (relativeCutoff ?? Double(Swift.max(sampleCount, dimension)) * Double.ulpOfOne) * lambdaMax
        var score = 0.0, dropped = 0
        for (k, lambda) in eigen.values.enumerated() {
            if lambda > cutoff { score += between[k] / lambda } else { dropped += 1 }
        }
        var warnings = [String]()
        if dropped > 0 {
            warnings.append(
                "feature covariance is singular: \(dropped) of \(dimension) eigenvalues at or below \(cutoff) were dropped (pseudo-inverse)")
        }
        return MetricResult(
            score: try requireFinite(score, metric: name, what: "the H-score"),
            details: ["rank": Double(dimension - dropped), "cutoff": cutoff],
            warnings: warnings)
    }
}

extension HScore {
    /// The regression form: cov(E[f|y]) from the least-squares regression of the
    /// features on the (centred) targets.
    func regressionScore(_ input: MetricInput) throws -> MetricResult {
        let features = try input.requireFeatures(for: name)
        let analysis = try input.requireAnalysis(for: name)
        let targets = input.targets.matrix
        let n = features.rows, d = features.columns, k = targets.columns
        guard n == targets.rows else {
            throw MetricError.shapeMismatch(
                metric: name, what: "features", expected: "\(targets.rows) rows (one per target)", found: "\(n) x \(d)")
        }
        guard n >= 2 else { throw MetricError.degenerate(metric: name, reason: "needs at least 2 samples, got \(n)") }
        guard d >= 1 else { throw MetricError.degenerate(metric: name, reason: "the features have no columns") }
        guard k >= 1 else { throw MetricError.degenerate(metric: name, reason: "the targets have no columns") }
        if let (r, c) = features.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(r), \(c)) is \(features[r, c]); features must be finite")
        }
        if let (r, c) = targets.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "target (\(r), \(c)) is \(targets[r, c]); targets must be finite")
        }
        // Centred targets, their covariance (k x k) and the cross-covariance cov(Y, f) (k x D), all 1/N.
        var centredTargets = targets
        for j in 0..<k {
            var mean = 0.0
            for r in 0..<n { mean += targets[r, j] }
            mean /= Double(n)
            for r in 0..<n { centredTargets[r, j] -= mean }
        }
        var targetCovariance = centredTargets.gram()
        for i in 0..<targetCovariance.storage.count { targetCovariance.storage[i] /= Double(n) }
        for j in 0..<k where !(targetCovariance[j, j] > 0) {
            let column = input.targets.columnNames.indices.contains(j) ? "'\(input.targets.columnNames[j])'" : "\(j)"
            throw MetricError.degenerate(metric: name, reason: "target column \(column) is constant; regression needs targets that vary")
        }
        var crossCovariance = try centredTargets.multiplied(by: analysis.centered, transposingSelf: true)
        for i in 0..<crossCovariance.storage.count { crossCovariance.storage[i] /= Double(n) }
        let eigen = try metricLinalg(name, "covariance eigendecomposition") { try analysis.covarianceEigen() }
        // Q = cov(Y, f) Vᵀ: column m holds the cross-covariances along eigenvector m.
        let projected = try crossCovariance.multiplied(by: eigen.vectors, transposingOther: true)
        // cov(Y)⁻¹ Q, then between[m] = Σ_j Q[j, m] (cov(Y)⁻¹ Q)[j, m].
        let solved = try metricLinalg(name, "target covariance solve (collinear target columns?)") {
            try targetCovariance.solvePositiveDefinite(projected)
        }
        var between = [Double](repeating: 0, count: d)
        for j in 0..<k {
            for m in 0..<d { between[m] += projected[j, m] * solved[j, m] }
        }
        var result = try score(eigen: eigen, between: between, sampleCount: n, dimension: d)
        let rank = Int(result.details["rank"] ?? 0)
        if rank >= n - 1 {
            result.warnings.append(
                "the features span the centred samples (rank \(rank) >= N - 1 = \(n - 1)): the regression H-score is \(k) for every such model and cannot rank them"
            )
        }
        return result
    }
}

/// diag(V · cov(E[f|y]) · Vᵀ) for the eigenvectors V (rows) of the feature
/// covariance: entry k is Σ_c (n_c/N) (v_k · (μ_c − μ))².
func betweenClassSpectrum(_ data: ClassifiedFeatures, eigen: SymmetricEigen) throws -> [Double] {
    let stats = data.analysis.classStatistics(labels: data.labels, classCount: data.classCount)
    return try betweenClassSpectrum(
        classMeans: stats.means, counts: stats.counts, mean: data.analysis.mean,
        sampleCount: data.sampleCount, eigen: eigen)
}

/// The same from the class means (C x D), class counts and the global mean.
func betweenClassSpectrum(
    classMeans: Matrix, counts: [Int], mean: [Double], sampleCount: Int,
    eigen: SymmetricEigen
) throws -> [Double] {
    let d = classMeans.columns, n = Double(sampleCount), classCount = classMeans.rows
    var centred = classMeans
    for c in 0..<classCount {
        for j in 0..<d { centred.storage[c * d + j] -= mean[j] }
    }
    // P = (M − 1μᵀ) Vᵀ: row c holds class c's centred mean in the eigenbasis.
    let projected = try centred.multiplied(by: eigen.vectors, transposingOther: true)
    var between = [Double](repeating: 0, count: d)
    for c in 0..<classCount {
        let w = Double(counts[c]) / n
        for k in 0..<d {
            let p = projected.storage[c * d + k]
            between[k] += w * p * p
        }
    }
    return between
}
