import Foundation
import Linalg
import Support

/// Linear-probe accuracy: a multinomial logistic regression on the standardised
/// features, trained on a seeded stratified split and scored by its validation
/// accuracy (in [0, 1]; higher is better). The expensive "ground truth" that cheap
/// transferability metrics approximate, useful as a strong baseline.
///
/// - Split: per class, the first round(`validationFraction` · n_c) samples of a
///   seeded random order (at least 1 when the class has 2 or more) go to
///   validation, the rest to training; a class with one sample trains only. The
///   order depends on the seed and sample indices only, so relabelling the classes
///   gives the same split.
/// - Standardisation: each feature centred and scaled by the training split's mean
///   and (population) standard deviation; constant features are left at 0.
/// - Model: `SoftmaxRegression`, scikit-learn's `LogisticRegression(C=1,
///   solver="lbfgs")` multinomial objective (L2 on the weights, free intercepts),
///   minimised by L-BFGS until the largest gradient component is at most
///   `tolerance` or `maxIterations` iterations (scikit-learn: 1e-4 and 100).
///
/// `details`: `validation_log_likelihood` (mean log-probability of the true class on
/// the validation split), `iterations`, `gradient_norm`, `train_accuracy`.
///
/// Cost per L-BFGS iteration: two `dgemm`s of N_train·D·C.
public struct LinearProbe: TransferabilityMetric {
    public static let name = "linear_probe"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Features are standardised (constant columns stay 0, their weights get no gradient). Not sample order: the split is seeded by sample index.
    public var invariances: MetricInvariances { [.nullDirections, .featureScale] }

    /// Inverse L2 strength (scikit-learn's C).
    public var inverseRegularization: Double
    public var validationFraction: Double
    public var tolerance: Double
    public var maxIterations: Int
    public var seed: UInt64

    public init(
        inverseRegularization: Double = 1, validationFraction: Double = 0.2, tolerance: Double = 1e-4,
        maxIterations: Int = 100, seed: UInt64 = 0
    ) {
        self.inverseRegularization = inverseRegularization
        self.validationFraction = validationFraction
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.seed = seed
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (labels, classCount) = try input.requireClasses(for: name)
        let features = try input.requireFeatures(for: name)
        guard inverseRegularization > 0, inverseRegularization.isFinite else {
            throw MetricError.invalidParameter(metric: name, name: "inverseRegularization", value: "\(inverseRegularization)", expected: "> 0")
        }
        guard validationFraction > 0, validationFraction < 1 else {
            throw MetricError.invalidParameter(metric: name, name: "validationFraction", value: "\(validationFraction)", expected: "in (0, 1)")
        }
        guard tolerance >= 0, maxIterations >= 1 else {
            throw MetricError.invalidParameter(
                metric: name, name: "tolerance/maxIterations", value: "\(tolerance)/\(maxIterations)", expected: ">= 0 / >= 1")
        }
        guard features.rows == labels.count else {
            throw MetricError.shapeMismatch(
                metric: name, what: "features", expected: "\(labels.count) rows", found: "\(features.rows) x \(features.columns)")
        }
        if let bad = features.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(bad.row), \(bad.column)) is not finite")
        }
        let (train, validation) = Self.stratifiedSplit(labels: labels, classCount: classCount, fraction: validationFraction, seed: seed)
        guard !validation.isEmpty else {
            throw MetricError.degenerate(metric: name, reason: "no class has 2 samples, so there is nothing to validate on")
        }
        var xTrain = features.rows(at: train)
        var xValidation = features.rows(at: validation)
        Self.standardize(&xTrain, alongWith: &xValidation)
        let yTrain = train.map { labels[$0] }, yValidation = validation.map { labels[$0] }
        let model = SoftmaxRegression(x: xTrain, labels: yTrain, classCount: classCount, inverseRegularization: inverseRegularization)
        let solution = model.minimize(tolerance: tolerance, maxIterations: maxIterations)
        let (validationAccuracy, validationLogLikelihood) = try Self.evaluate(
            solution.theta, x: xValidation, labels: yValidation, classCount: classCount)
        let (trainAccuracy, _) = try Self.evaluate(solution.theta, x: xTrain, labels: yTrain, classCount: classCount)
        var warnings = [String]()
        if !solution.converged {
            warnings.append(
                "L-BFGS stopped after \(solution.iterations) iterations with gradient norm \(solution.gradientNorm) (tolerance \(tolerance))")
        }
        return MetricResult(
            score: validationAccuracy,
            details: [
                "validation_log_likelihood": validationLogLikelihood,
                "iterations": Double(solution.iterations),
                "gradient_norm": solution.gradientNorm,
                "train_accuracy": trainAccuracy,
                "validation_samples": Double(validation.count),
            ], warnings: warnings)
    }

    /// Accuracy (argmax, ties to the lower class) and mean log-probability of the
    /// true class under parameters θ.
    static func evaluate(_ theta: [Double], x: Matrix, labels: [Int], classCount: Int) throws -> (accuracy: Double, logLikelihood: Double) {
        let d = x.columns
        let w = Matrix(rows: classCount, columns: d, storage: Array(theta[0..<(classCount * d)]))
        let b = Array(theta[(classCount * d)...])
        let logits = try x.multiplied(by: w, transposingOther: true)
        var correct = 0
        var ll = 0.0
        for i in 0..<x.rows {
            var m = -Double.infinity, arg = 0
            for k in 0..<classCount { let z = logits[i, k] + b[k]; if z > m { m = z; arg = k } }
            var s = 0.0
            for k in 0..<classCount { s += exp(logits[i, k] + b[k] - m) }
            ll += logits[i, labels[i]] + b[labels[i]] - m - log(s)
            if arg == labels[i] { correct += 1 }
        }
        let n = Double(max(x.rows, 1))
        return (Double(correct) / n, ll / n)
    }

    /// Seeded stratified split into (train, validation) index lists, both ascending.
    static func stratifiedSplit(labels: [Int], classCount: Int, fraction: Double, seed: UInt64) -> ([Int], [Int]) {
        var train = [Int](), validation = [Int]()
        for members in SeededGenerator.classMembersInRandomOrder(labels: labels, classCount: classCount, seed: seed) {
            var take = Int((Double(members.count) * fraction).rounded())
            if members.count >= 2 { take = min(max(take, 1), members.count - 1) } else { take = 0 }
            validation.append(contentsOf: members.prefix(take))
            train.append(contentsOf: members.dropFirst(take))
        }
        return (train.sorted(), validation.sorted())
    }

    /// Standardises `train`'s columns with its own mean and standard deviation and
    /// applies the same map to `other`.
    static func standardize(_ train: inout Matrix, alongWith other: inout Matrix) {
        let n = train.rows, d = train.columns
        var mean = [Double](repeating: 0, count: d), inverseSD = [Double](repeating: 0, count: d)
        train.storage.withUnsafeBufferPointer { s in
            for i in 0..<n { for j in 0..<d { mean[j] += s[i * d + j] } }
            for j in 0..<d { mean[j] /= Double(max(n, 1)) }
            for i in 0..<n { for j in 0..<d { let t = s[i * d + j] - mean[j]; inverseSD[j] += t * t } }
        }
        for j in 0..<d {
            let sd = (inverseSD[j] / Double(max(n, 1))).squareRoot()
            inverseSD[j] = sd > 0 ? 1 / sd : 0
        }
        for m in [0, 1] {
            if m == 0 { apply(&train) } else { apply(&other) }
        }
        func apply(_ x: inout Matrix) {
            let rows = x.rows
            x.storage.withUnsafeMutableBufferPointer { s in
                for i in 0..<rows { for j in 0..<d { s[i * d + j] = (s[i * d + j] - mean[j]) * inverseSD[j] } }
            }
        }
    }
}
