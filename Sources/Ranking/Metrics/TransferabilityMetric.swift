import Linalg

/// What a metric needs besides the labels.
public enum MetricInputKind: String, Codable, Sendable {
    /// The PTM's penultimate-layer features on the target samples (N x D).
    case features
    /// The PTM's softmax over its own source classes on the target samples (N x S).
    case sourceProbabilities = "source_probabilities"
}

/// The data one model brings to a metric, with a cache of work several metrics share.
public struct MetricInput: Sendable {
    public let targets: EncodedTargets
    /// N x D features, when the model has them.
    public let features: Matrix?
    /// N x S source-class probabilities (rows sum to 1), when the model has them.
    public let sourceProbabilities: Matrix?
    /// Shared, lazily computed quantities of `features` (centring, Gram, PCA...).
    public let analysis: FeatureAnalysis?

    public init(targets: EncodedTargets, features: Matrix? = nil, sourceProbabilities: Matrix? = nil) {
        self.targets = targets
        self.features = features
        self.sourceProbabilities = sourceProbabilities
        self.analysis = features.map { FeatureAnalysis(features: $0) }
    }

    /// The features, or an error naming the metric that needed them.
    public func requireFeatures(for metric: String) throws -> Matrix {
        guard let features else { throw MetricError.missingInput(metric: metric, input: .features) }
        return features
    }

    public func requireAnalysis(for metric: String) throws -> FeatureAnalysis {
        guard let analysis else { throw MetricError.missingInput(metric: metric, input: .features) }
        return analysis
    }

    public func requireSourceProbabilities(for metric: String) throws -> Matrix {
        guard let p = sourceProbabilities else { throw MetricError.missingInput(metric: metric, input: .sourceProbabilities) }
        return p
    }

    /// The class labels 0..<C, or an error when the task is not classification.
    public func requireClasses(for metric: String) throws -> (labels: [Int], classCount: Int) {
        guard targets.task == .classification else { throw MetricError.unsupportedTask(metric: metric, task: targets.task) }
        return (targets.encodedLabels, targets.classes.count)
    }
}

/// Changes of a model's data that a metric's definition guarantees leave its score
/// unchanged, beyond those every metric must respect (reordering the feature
/// columns or source classes, renaming the target classes, identical inputs giving
/// identical scores). Each metric declares its set, its doc says why the others do
/// not hold, and `MetricConformanceTests` checks every registered metric against
/// its declaration.
public struct MetricInvariances: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Reordering the samples (with their labels). Not guaranteed by metrics that
    /// draw a seeded split, subsample or initialisation by sample index.
    public static let sampleOrder = MetricInvariances(rawValue: 1 << 0)
    /// Appending all-zero feature columns (dead units), or any direction in which
    /// the features do not vary: the definition ignores null directions.
    public static let nullDirections = MetricInvariances(rawValue: 1 << 1)
    /// Multiplying every feature by one positive constant.
    public static let featureScale = MetricInvariances(rawValue: 1 << 2)

    public static let all: MetricInvariances = [.sampleOrder, .nullDirections, .featureScale]
}

/// A metric's result for one model.
public struct MetricResult: Sendable, Codable, Equatable {
    /// Higher is better, always (metrics whose paper minimises negate it and say so).
    public var score: Double
    /// Numbers worth reporting besides the score (e.g. accuracy and log-likelihood of
    /// the linear probe, components kept by PCA).
    public var details: [String: Double]
    /// Documented handling applied to this model's data.
    public var warnings: [String]

    public init(score: Double, details: [String: Double] = [:], warnings: [String] = []) {
        self.score = score
        self.details = details
        self.warnings = warnings
    }
}

/// A transferability estimator: scores how well a pre-trained model will transfer
/// to a labelled target task, higher is better.
///
/// Conforming types are their configuration (hyper-parameters with defaults, no
/// data); `score` is pure apart from the `FeatureAnalysis` cache and never modifies
/// its inputs. Randomness comes from an explicit seed.
public protocol TransferabilityMetric: Sendable {
    /// The CLI name (`--metric NAME`).
    var name: String { get }
    /// What it reads besides the labels.
    var inputs: [MetricInputKind] { get }
    /// Tasks it supports.
    var tasks: [TaskKind] { get }
    /// Whether scores are only comparable after normalising across the candidate
    /// models (as NCTI's and ETran's are): see `normalizeAcrossModels`.
    var isRelativeToZoo: Bool { get }
    /// The invariances its definition guarantees (no default: every metric declares
    /// them, and the conformance suite checks them as soon as it is registered).
    var invariances: MetricInvariances { get }
    func score(_ input: MetricInput) throws -> MetricResult
    /// Turns raw per-model scores into the final ones; identity unless the metric is
    /// relative to the zoo.
    func normalizeAcrossModels(_ raw: [MetricResult]) -> [MetricResult]
}

extension TransferabilityMetric {
    public var isRelativeToZoo: Bool { false }
    public func normalizeAcrossModels(_ raw: [MetricResult]) -> [MetricResult] { raw }
}

/// Problems a metric reports about its inputs or settings.
public enum MetricError: Error, CustomStringConvertible, Equatable, Sendable {
    case missingInput(metric: String, input: MetricInputKind)
    case unsupportedTask(metric: String, task: TaskKind)
    case unknownMetric(name: String, known: [String])
    case invalidSourceProbabilities(row: Int, reason: String)
    case shapeMismatch(metric: String, what: String, expected: String, found: String)
    case invalidParameter(metric: String, name: String, value: String, expected: String)
    case degenerate(metric: String, reason: String)

    public var description: String {
        switch self {
        case let .missingInput(metric, input):
            return input == .features
                ? "\(metric) needs the model's features"
                : "\(metric) needs the model's source-class probabilities (--source-probs DIR, or a 'source_probs' array in the feature file)"
        case let .unsupportedTask(metric, task):
            return "\(metric) scores classification targets only, not --task \(task.rawValue)"
        case let .unknownMetric(name, known):
            return "unknown metric '\(name)'; known metrics: \(known.joined(separator: ", ")), or all"
        case let .invalidSourceProbabilities(row, reason):
            return "source probabilities: row \(row) \(reason); expected non-negative rows summing to 1 (a softmax output)"
        case let .shapeMismatch(metric, what, expected, found):
            return "\(metric): \(what) has shape \(found), expected \(expected)"
        case let .invalidParameter(metric, name, value, expected):
            return "\(metric): \(name) = \(value), expected \(expected)"
        case let .degenerate(metric, reason):
            return "\(metric): \(reason)"
        }
    }
}
