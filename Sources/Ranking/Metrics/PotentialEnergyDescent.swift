import Foundation
import Linalg

/// PED, Potential Energy Descent (Li, Hu, Ge, Shan, Duan, "Exploring Model
/// Transferability through the Lens of Potential Energy", ICCV 2023): a feature
/// transform that simulates the first moves of fine-tuning before a feature-based
/// metric scores the features, as the authors' public code (lixiaotong97/PED,
/// `One_Step_PED` and `PED_Score` in `metrics.py`) does.
///
/// One step, on features standardised by a reference distribution (mean, standard
/// deviation floored at `stdFloor`):
///   each class c has a mean μ_c and a radius ρ_c = sqrt(Σ_j var_cj) (population
///   variances); for every pair of classes whose `nsigma`-balls overlap,
///   overlap = nsigma·(ρ_a + ρ_b) − ‖μ_a − μ_b‖ > 0, both classes are pushed apart
///   along μ_a − μ_b by min(½·t²·constant·overlap, overlap) each; every sample moves
///   with its class by the sum of its class's pushes; the features are mapped back
///   to the original scale.
/// Steps repeat (at most `maxSteps`, 6) while a step's total movement Σ|push| stays
/// above `exitRatio` times the first step's; the first step is always taken unless
/// it moves nothing.
///
/// Defaults are the authors' command-line defaults (t = 0.1, nsigma = 0.6, exit
/// ratio 0.5, constant 1, floor 1e-3).
///
/// Deviation: the reference standardises by the model's features on ImageNet's
/// validation set (its `general_X`, required: it raises without one); HubMiner has
/// no such set, so by default the target features themselves are the reference
/// distribution (`reference` may supply another). Two classes with equal means have
/// no direction to be pushed along (NaN in the reference): they are not pushed.
public struct PotentialEnergyDescent: Sendable, Equatable {
    public var timeStep: Double
    public var nsigma: Double
    public var exitRatio: Double
    public var constant: Double
    public var stdFloor: Double
    public var maxSteps: Int

    public init(
        timeStep: Double = 0.1, nsigma: Double = 0.6, exitRatio: Double = 0.5, constant: Double = 1,
        stdFloor: Double = 1e-3, maxSteps: Int = 6
    ) {
        self.timeStep = timeStep
        self.nsigma = nsigma
        self.exitRatio = exitRatio
        self.constant = constant
        self.stdFloor = stdFloor
        self.maxSteps = maxSteps
    }

    /// The transformed features and the number of steps taken.
    /// - Parameter reference: features whose column means and deviations
    ///   standardise the simulation (default: `features` themselves).
    public func apply(features: Matrix, labels: [Int], classCount: Int, reference: Matrix? = nil) throws -> (features: Matrix, steps: Int) {
        guard timeStep > 0, nsigma.isFinite, exitRatio >= 0, constant >= 0, stdFloor > 0, maxSteps >= 0 else {
            throw MetricError.invalidParameter(
                metric: "ped", name: "settings", value: "\(self)", expected: "positive time step and floor, non-negative ratio, constant and steps")
        }
        guard labels.count == features.rows else {
            throw MetricError.shapeMismatch(
                metric: "ped", what: "features", expected: "\(labels.count) rows", found: "\(features.rows) x \(features.columns)")
        }
        guard labels.allSatisfy({ $0 >= 0 && $0 < classCount }) else {
            throw MetricError.degenerate(metric: "ped", reason: "a label is outside 0..<\(classCount)")
        }
        if let (r, c) = features.firstNonFinite() {
            throw MetricError.degenerate(metric: "ped", reason: "feature (\(r), \(c)) is \(features[r, c]); features must be finite")
        }
        let base = reference ?? features
        guard base.columns == features.columns, base.rows >= 1 else {
            throw MetricError.shapeMismatch(
                metric: "ped", what: "reference features", expected: "N' x \(features.columns)", found: "\(base.rows) x \(base.columns)")
        }
        let d = features.columns
        var mean = [Double](repeating: 0, count: d), std = [Double](repeating: 0, count: d)
        for i in 0..<base.rows { for j in 0..<d { mean[j] += base[i, j] } }
        for j in 0..<d { mean[j] /= Double(base.rows) }
        for i in 0..<base.rows { for j in 0..<d { let t = base[i, j] - mean[j]; std[j] += t * t } }
        for j in 0..<d { std[j] = max((std[j] / Double(base.rows)).squareRoot(), stdFloor) }

        var x = features
        var firstChange = 0.0
        var steps = 0
        while steps < maxSteps {
            let (moved, change) = step(x, labels: labels, classCount: classCount, mean: mean, std: std)
            if steps == 0 { firstChange = change }
            // The reference's ratio change / first change; a first step that moves
            // nothing ends the descent with the features unchanged.
            guard firstChange > 0, change / firstChange > exitRatio else { break }
            x = moved
            steps += 1
        }
        return (x, steps)
    }

    /// One step: the moved features (original scale) and the total push Σ|push|
    /// over classes and columns (standardised scale).
    func step(_ x: Matrix, labels: [Int], classCount c: Int, mean: [Double], std: [Double]) -> (Matrix, Double) {
        let n = x.rows, d = x.columns
        var z = x
        for i in 0..<n { for j in 0..<d { z[i, j] = (x[i, j] - mean[j]) / std[j] } }
        var counts = [Double](repeating: 0, count: c)
        var mu = Matrix(rows: c, columns: d), sq = Matrix(rows: c, columns: d)
        for (i, y) in labels.enumerated() {
            counts[y] += 1
            for j in 0..<d { mu[y, j] += z[i, j] }
        }
        for k in 0..<c where counts[k] > 0 { for j in 0..<d { mu[k, j] /= counts[k] } }
        for (i, y) in labels.enumerated() { for j in 0..<d { let t = z[i, j] - mu[y, j]; sq[y, j] += t * t } }
        var radius = [Double](repeating: 0, count: c)
        for k in 0..<c where counts[k] > 0 {
            var s = 0.0
            for j in 0..<d { s += sq[k, j] / counts[k] }
            radius[k] = s.squareRoot()
        }
        var push = Matrix(rows: c, columns: d)
        let present = (0..<c).filter { counts[$0] > 0 }
        for (ai, a) in present.enumerated() {
            for b in present[(ai + 1)...] {
                var dist = 0.0
                for j in 0..<d { let t = mu[b, j] - mu[a, j]; dist += t * t }
                dist = dist.squareRoot()
                let overlap = max(abs(nsigma) * radius[a] + abs(nsigma) * radius[b] - dist, 0)
                guard overlap > 0, dist > 0 else { continue }
                let magnitude = min(0.5 * timeStep * timeStep * constant * overlap, overlap)
                for j in 0..<d {
                    let unit = (mu[b, j] - mu[a, j]) / dist
                    push[a, j] -= unit * magnitude
                    push[b, j] += unit * magnitude
                }
            }
        }
        var change = 0.0
        for v in push.storage { change += abs(v) }
        var out = x
        for (i, y) in labels.enumerated() { for j in 0..<d { out[i, j] = (z[i, j] + push[y, j]) * std[j] + mean[j] } }
        return (out, change)
    }
}

/// Any feature-based metric run on PED-transformed features (`--transform ped`).
/// Classification only (the descent moves classes apart).
public struct PEDTransformed: TransferabilityMetric {
    public let base: any TransferabilityMetric
    public let transform: PotentialEnergyDescent

    public init(_ base: any TransferabilityMetric, transform: PotentialEnergyDescent = PotentialEnergyDescent()) {
        self.base = base
        self.transform = transform
    }

    public var name: String { base.name }
    public var inputs: [MetricInputKind] { base.inputs }
    public var tasks: [TaskKind] { base.tasks.filter { $0 == .classification } }
    public var isRelativeToZoo: Bool { base.isRelativeToZoo }
    /// The descent moves whole classes by class statistics, so it keeps the wrapped
    /// metric's sample-order invariance; zero columns have class means 0 and never
    /// move, so null directions too. Not scale: the deviation floor (1e-3) is absolute.
    public var invariances: MetricInvariances { base.invariances.subtracting(.featureScale) }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard input.features != nil else { return try base.score(input) }
        let (labels, classCount) = try input.requireClasses(for: name)
        let features = try input.requireFeatures(for: name)
        let (moved, steps) = try transform.apply(features: features, labels: labels, classCount: classCount)
        var result = try base.score(MetricInput(targets: input.targets, features: moved, sourceProbabilities: input.sourceProbabilities))
        result.details["ped_steps"] = Double(steps)
        return result
    }

    public func normalizeAcrossModels(_ raw: [MetricResult]) -> [MetricResult] { base.normalizeAcrossModels(raw) }
}

/// A transform applied to every model's features before the feature-based metrics
/// score them (`hubminer rank --transform NAME`).
public enum FeatureTransform: String, CaseIterable, Codable, Sendable {
    /// The features as given.
    case none
    /// Potential Energy Descent with its defaults (`PotentialEnergyDescent`).
    case ped

    /// `metrics` with every feature-based one wrapped by the transform; metrics that
    /// read only source probabilities are returned as they are.
    public func apply(to metrics: [any TransferabilityMetric]) -> [any TransferabilityMetric] {
        switch self {
        case .none: return metrics
        case .ped: return metrics.map { $0.inputs.contains(.features) ? PEDTransformed($0) : $0 }
        }
    }
}
