import Foundation
import Linalg

/// N-LEEP: LEEP with a Gaussian mixture on the features standing in for the source
/// classifier (Li et al., "Ranking Neural Checkpoints", CVPR 2021).
///
///  1. PCA keeping `varianceFraction` (80%) of the feature variance (the shared
///     `FeatureAnalysis` eigendecomposition: computed once per model);
///  2. a full-covariance Gaussian mixture with `componentsPerClass` · C components
///     (5 · C, as the public reference), fitted by EM from a seeded k-means start
///     (`GaussianMixture`, scikit-learn's schedule: tolerance 1e-3 on the mean
///     log-likelihood, covariance regularisation 1e-6, at most 100 iterations);
///  3. LEEP with the mixture posteriors p(z | xᵢ) (N x K) as the "source
///     probabilities": 1/N Σᵢ log Σ_z P(yᵢ | z) p(z | xᵢ). Higher is better.
///
/// Cost: PCA from the shared covariance eigendecomposition (D³ once per model), then
/// per EM iteration K Cholesky factorisations (d³/3) and triangular solves (N·d²)
/// in the reduced dimension d, plus ~N·d² for the covariance updates.
///
/// Deviations from the public reference code (docs/metrics/nleep.md):
/// - the reference drops the logarithm (it averages P(yᵢ | xᵢ)); this follows the
///   paper's LEEP, the mean of log-probabilities. The reference's quantity is
///   reported as `details["mean_expected_probability"]`;
/// - the reference's mixture is unseeded; here it is seeded (`seed`);
/// - the component count is capped at N (scikit-learn refuses more), with a warning.
public struct NLEEP: TransferabilityMetric {
    public static let name = "nleep"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Null directions yes: the PCA keeps 80% of the variance, which null components do not carry. Not sample order: the k-means start is seeded by sample index. Not scale: the covariance regularisation 1e-6 is absolute.
    public var invariances: MetricInvariances { [.nullDirections] }

    /// Fraction of the variance the PCA keeps.
    public var varianceFraction: Double
    /// Mixture components per target class.
    public var componentsPerClass: Int
    public var tolerance: Double
    public var regularization: Double
    public var maxIterations: Int
    public var seed: UInt64

    public init(
        varianceFraction: Double = 0.8, componentsPerClass: Int = 5, tolerance: Double = 1e-3,
        regularization: Double = 1e-6, maxIterations: Int = 100, seed: UInt64 = 0
    ) {
        self.varianceFraction = varianceFraction
        self.componentsPerClass = componentsPerClass
        self.tolerance = tolerance
        self.regularization = regularization
        self.maxIterations = maxIterations
        self.seed = seed
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (labels, classCount) = try input.requireClasses(for: name)
        let analysis = try input.requireAnalysis(for: name)
        guard varianceFraction > 0, varianceFraction <= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "varianceFraction", value: "\(varianceFraction)", expected: "in (0, 1]")
        }
        guard componentsPerClass >= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "componentsPerClass", value: "\(componentsPerClass)", expected: ">= 1")
        }
        guard analysis.sampleCount == labels.count else {
            throw MetricError.shapeMismatch(
                metric: name, what: "features", expected: "\(labels.count) rows", found: "\(analysis.sampleCount) x \(analysis.dimension)")
        }
        if let bad = analysis.features.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(bad.row), \(bad.column)) is not finite")
        }
        let n = labels.count
        let kept = try analysis.componentsKeeping(varianceFraction: varianceFraction)
        let reduced = try analysis.principalComponents(kept)
        var warnings = [String]()
        var components = componentsPerClass * classCount
        if components > n {
            warnings.append("\(components) mixture components requested for \(n) samples; using \(n)")
            components = n
        }
        let mixture = GaussianMixture(
            components: components, tolerance: tolerance, regularization: regularization,
            maxIterations: maxIterations, seed: seed)
        let fit: GaussianMixture.Fit
        do { fit = try mixture.fit(reduced) } catch let failure as GaussianMixture.Failure {
            throw MetricError.degenerate(metric: name, reason: failure.description)
        }
        if !fit.converged {
            warnings.append("the mixture did not converge in \(maxIterations) EM iterations (tolerance \(tolerance)); scoring its last state")
        }
        let (value, clamped) = SourceProbabilities.leep(fit.responsibilities, labels: labels, classCount: classCount)
        if clamped > 0 {
            warnings.append(
                "\(clamped) sample\(clamped == 1 ? "" : "s") had an expected label probability below 1e-300; clamped before the logarithm")
        }
        return MetricResult(
            score: value,
            details: [
                "pca_components": Double(kept),
                "mixture_components": Double(components),
                "em_iterations": Double(fit.iterations),
                "mixture_mean_log_likelihood": fit.meanLogLikelihood,
                "mean_expected_probability": SourceProbabilities.meanExpectedProbability(
                    fit.responsibilities, labels: labels, classCount: classCount),
            ], warnings: warnings)
    }
}
