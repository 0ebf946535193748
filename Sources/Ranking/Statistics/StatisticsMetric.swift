import Foundation
import Linalg

/// A metric whose definition needs only the first and second moments of the
/// features and the target (`FeatureStatistics`), so it can score data seen in
/// chunks or shards. `score(statistics:)` gives the in-memory `score` of the same
/// samples up to rounding (checked to 1e-9 relative in `StatisticsMetricTests`).
public protocol StatisticsMetric: TransferabilityMetric {
    /// True when the per-class Gram matrices are needed (`hubminer stats --class-grams`).
    var needsClassGrams: Bool { get }
    func score(statistics: FeatureStatistics) throws -> MetricResult
}

extension StatisticsMetric {
    public var needsClassGrams: Bool { false }
}

/// Which registered metrics run on sufficient statistics, and why the others cannot.
public enum StatisticsMetrics {
    /// Why each registered metric that is not a `StatisticsMetric` needs the samples.
    public static let unsupportedReasons: [String: String] = [
        "sfda":
            "its second pass moves every sample towards the other classes' means by that sample's own predicted probability (ConfMix) and its score is the mean per-sample probability; both need the samples",
        "ncti":
            "its ncc and vc terms are built from per-sample LDA posteriors (a mean of softmax outputs, nuclear norms of per-class posterior matrices), which are not functions of the moments",
        "nleep": "it fits a Gaussian mixture to the samples by EM and averages per-sample log-likelihoods",
        "parc": "it correlates the N x N matrices of pairwise sample correlations of features and labels",
        "knn": "it needs every sample's nearest neighbours",
        "linear_probe": "it trains a logistic regression by L-BFGS on a seeded split of the samples (no closed form in the moments)",
        "lead":
            "its SVM's squared hinge loss is active on a data-dependent subset of the samples (not a function of the moments) and its score averages per-sample cross-entropies",
        "leep": "it averages the log of a per-sample mixture of source-class probabilities",
        "etran": "its energy term averages the lowest per-sample log-sum-exp energies and its lda term per-sample softmax probabilities",
        "nce":
            "it reads per-sample source-class probabilities (their argmax contingency table with the labels would be a sufficient statistic, but the statistics files hold features only)",
    ]

    /// `metrics` as statistics metrics, or an error naming the first that is not one
    /// and why.
    public static func resolve(_ metrics: [any TransferabilityMetric]) throws -> [any StatisticsMetric] {
        try metrics.map { metric in
            if let m = metric as? any StatisticsMetric { return m }
            throw StatisticsError.unsupportedMetric(
                name: metric.name,
                reason: (unsupportedReasons[metric.name] ?? "it needs the samples") + "; metrics on statistics: "
                    + supportedNames.joined(separator: ", "))
        }
    }

    /// Names of the registered metrics that run on statistics.
    public static var supportedNames: [String] {
        MetricRegistry.all.filter { $0 is any StatisticsMetric }.map(\.name)
    }
}

extension FeatureStatistics {
    /// The checks every statistics-based classification metric needs (as
    /// `requireClassifiedFeatures` does for samples).
    func requireClassification(for metric: String) throws {
        guard task == .classification else { throw MetricError.unsupportedTask(metric: metric, task: task) }
        guard sampleCount >= 2 else { throw MetricError.degenerate(metric: metric, reason: "needs at least 2 samples, got \(sampleCount)") }
        guard featureDimension >= 1 else { throw MetricError.degenerate(metric: metric, reason: "the features have no columns") }
        guard classes.count >= 2 else { throw MetricError.degenerate(metric: metric, reason: "needs at least 2 classes, got \(classes.count)") }
        if let empty = classCounts.firstIndex(of: 0) {
            throw MetricError.degenerate(metric: metric, reason: "class \(classes[empty]) has no samples")
        }
    }
}

extension LogME: StatisticsMetric {
    public func score(statistics: FeatureStatistics) throws -> MetricResult {
        let fit = try self.fit(statistics: statistics.logme, columnNames: statistics.columnNames)
        let converged = fit.columns.filter { $0.status == .converged }.count
        return MetricResult(
            score: fit.score,
            details: [
                "columns": Double(fit.columns.count), "converged_columns": Double(converged),
                "rank": Double(fit.rank),
            ],
            warnings: fit.warnings)
    }
}

extension HScore: StatisticsMetric {
    public func score(statistics s: FeatureStatistics) throws -> MetricResult {
        try s.requireClassification(for: name)
        if let c = relativeCutoff, !(c >= 0 && c < 1) {
            throw MetricError.invalidParameter(metric: name, name: "relativeCutoff", value: "\(c)", expected: "a number in [0, 1)")
        }
        let eigen = try metricLinalg(name, "covariance eigendecomposition") { try s.covariance.symmetricEigen() }
        let between = try betweenClassSpectrum(
            classMeans: s.classMeans, counts: s.classCounts, mean: s.mean,
            sampleCount: s.sampleCount, eigen: eigen)
        return try score(eigen: eigen, between: between, sampleCount: s.sampleCount, dimension: s.featureDimension)
    }
}

extension ShrinkageHScore: StatisticsMetric {
    public func score(statistics s: FeatureStatistics) throws -> MetricResult {
        try s.requireClassification(for: name)
        let cov = s.covariance
        let eigen = try metricLinalg(name, "covariance eigendecomposition") { try cov.symmetricEigen() }
        let lw = ledoitWolfShrinkage(covariance: cov, centredFourthMomentSum: s.centredFourthMomentSum, sampleCount: s.sampleCount)
        let between = try betweenClassSpectrum(
            classMeans: s.classMeans, counts: s.classCounts, mean: s.mean,
            sampleCount: s.sampleCount, eigen: eigen)
        return try score(eigen: eigen, shrinkage: lw, between: between, sampleCount: s.sampleCount, dimension: s.featureDimension)
    }
}

extension TransRate: StatisticsMetric {
    /// Z_cᵀZ_c of the globally centred rows of class c comes from class c's Gram matrix.
    public var needsClassGrams: Bool { true }

    public func score(statistics s: FeatureStatistics) throws -> MetricResult {
        guard epsilon > 0, epsilon.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "epsilon", value: "\(epsilon)", expected: "a finite number > 0")
        }
        try s.requireClassification(for: name)
        guard s.hasClassGrams else { throw StatisticsError.missingClassGrams(metric: name) }
        let n = s.sampleCount, d = s.featureDimension
        // logdet(I + s ZᵀZ) = logdet(I + s ZZᵀ): the D x D form is the one the moments give.
        let total = try codingRate(gram: s.covariance, gramScale: Double(n), rows: n, dimension: d)
        var within = 0.0
        for (c, count) in s.classCounts.enumerated() where count > 0 {
            let scatter = try s.classScatterAroundGlobalMean(c)
            let rate =
                count >= d
                ? try codingRate(gram: scatter, gramScale: 1, rows: count, dimension: d)
                : try lowRankCodingRate(scatter: scatter, rows: count)
            let weight = convention == .paper ? Double(count) / Double(n) : 1.0 / Double(s.classes.count)
            within += weight * rate
        }
        let score = total - within
        return MetricResult(
            score: try requireFinite(score, metric: name, what: "TransRate"),
            details: ["rate": total, "rate_given_class": within, "epsilon": epsilon])
    }
}

extension TransRate {
    /// ½ logdet(I + s Z_cᵀZ_c) for a class of fewer rows than features: Z_cᵀZ_c has
    /// rank at most n_c, and its other D − n_c eigenvalues, formed from moments, are
    /// rounding noise that s (about D/(n_c ε²), 1e8 and more) would blow up into the
    /// score. The in-memory metric takes the n_c x n_c form Z_cZ_cᵀ, whose spectrum is
    /// the top n_c eigenvalues of Z_cᵀZ_c: those are the ones summed here.
    func lowRankCodingRate(scatter: Matrix, rows: Int) throws -> Double {
        let d = scatter.rows
        let perSample =
            convention == .paper
            ? Double(d) / (Double(rows) * epsilon * epsilon)
            : 1.0 / (Double(rows) * epsilon)
        let values = try metricLinalg(name, "class scatter eigenvalues") { try scatter.symmetricEigen() }.values
        return 0.5 * values.suffix(rows).reduce(0.0) { $0 + log1p(perSample * Swift.max($1, 0)) }
    }
}

extension GBC: StatisticsMetric {
    /// The per-class variances on the principal axes come from the per-class Gram matrices.
    public var needsClassGrams: Bool { true }

    public func score(statistics s: FeatureStatistics) throws -> MetricResult {
        guard components >= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "components", value: "\(components)", expected: "an integer >= 1")
        }
        guard varianceFloor > 0, varianceFloor.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "varianceFloor", value: "\(varianceFloor)", expected: "a finite number > 0")
        }
        try s.requireClassification(for: name)
        guard s.hasClassGrams else { throw StatisticsError.missingClassGrams(metric: name) }
        let d = s.featureDimension, k = Swift.min(components, d), c = s.classes.count
        // The top k principal directions, each up to its sign, as FeatureAnalysis forms them.
        let factorization = try metricLinalg(name, "PCA") { try SymmetricEigenFactorization(s.covariance) }
        var selection = Matrix(rows: k, columns: d)
        for r in 0..<k { selection[r, d - 1 - r] = 1 }
        let directions = try factorization.combine(selection) // k x D
        // Class means of the centred projection: (μ_c − μ)·v_j.
        var centredMeans = s.classMeans
        let mu = s.mean
        for cls in 0..<c { for j in 0..<d { centredMeans.storage[cls * d + j] -= mu[j] } }
        let means = try centredMeans.multiplied(by: directions, transposingOther: true) // C x k
        // Per-class variance along v_j: v_jᵀ cov_c v_j, floored as in `score`.
        var variances = Matrix(rows: c, columns: k)
        for cls in 0..<c {
            let projected = try directions.multiplied(by: try s.classCovariance(cls)) // k x D
            for j in 0..<k {
                var v = 0.0
                for t in 0..<d { v += projected[j, t] * directions[j, t] }
                variances[cls, j] = Swift.max(v, varianceFloor)
            }
        }
        return try score(means: means, flooredVariances: variances, components: k)
    }
}
