import Foundation
import Linalg

/// LEEP: the Log Expected Empirical Prediction (Nguyen, Hassner, Seeger, Archambeau,
/// "LEEP: A New Measure to Evaluate Transferability of Learned Representations",
/// ICML 2020).
///
/// From the PTM's source-class probabilities θ (N x S, rows sum to 1) and the target
/// labels y (0..<C):
///
///     P(y, z) = 1/N Σᵢ θᵢ(z) 1[yᵢ = y]          (C x S empirical joint)
///     P(y | z) = P(y, z) / Σ_y' P(y', z)
///     LEEP = 1/N Σᵢ log Σ_z P(yᵢ | z) θᵢ(z)
///
/// i.e. the mean log-likelihood of the labels under the "expected empirical
/// predictor". It is at most 0; higher is better.
///
/// Cost: O(N·S) time, O(C·S) memory beyond the input.
///
/// Deviations and conventions (see docs/metrics/leep.md):
/// - θ is validated (finite, non-negative, rows summing to 1 within
///   `rowSumTolerance`); the reference code assumes it silently.
/// - the logarithm's argument is at least 1/(N·S) for validated θ, so log(0)
///   cannot happen; the shared kernel still clamps anything below 1e-300 (for
///   unvalidated callers) and a warning says how many samples were clamped.
/// - some public copies average the expected probabilities and take no logarithm
///   (or take the log of the mean); this is the paper's mean of logarithms.
public struct LEEP: TransferabilityMetric {
    public static let name = "leep"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.sourceProbabilities] }
    public var tasks: [TaskKind] { [.classification] }
    /// Reads source probabilities only: null directions and feature scale do not apply.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// Absolute tolerance on each row sum of θ.
    public var rowSumTolerance: Double

    public init(rowSumTolerance: Double = 1e-4) {
        self.rowSumTolerance = rowSumTolerance
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (labels, classCount) = try input.requireClasses(for: name)
        let theta = try input.requireSourceProbabilities(for: name)
        guard rowSumTolerance >= 0, rowSumTolerance < 1 else {
            throw MetricError.invalidParameter(metric: name, name: "rowSumTolerance", value: "\(rowSumTolerance)", expected: "in [0, 1)")
        }
        try SourceProbabilities.validate(theta, sampleCount: labels.count, tolerance: rowSumTolerance, metric: name)
        let (value, clamped) = SourceProbabilities.leep(theta, labels: labels, classCount: classCount)
        var warnings = [String]()
        if clamped > 0 {
            warnings.append(
                "\(clamped) sample\(clamped == 1 ? "" : "s") had an expected label probability below 1e-300 (underflow); clamped to 1e-300 before the logarithm"
            )
        }
        return MetricResult(
            score: value,
            details: ["source_classes": Double(theta.columns), "clamped_samples": Double(clamped)],
            warnings: warnings)
    }
}
