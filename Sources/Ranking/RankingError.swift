/// Problems with the data handed to an estimator. Each case says what is wrong
/// in terms the user can act on; the workflow layer adds the file names.
public enum RankingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Features and labels describe different numbers of samples.
    case lengthMismatch(features: Int, labels: Int)
    /// Fewer samples than the estimator can work with.
    case tooFewSamples(count: Int, minimum: Int)
    /// A feature matrix with no columns.
    case noFeatures
    /// NaN or an infinity in the features.
    case nonFiniteFeature(row: Int, column: Int, value: Double)
    /// NaN or an infinity in the labels or targets.
    case nonFiniteLabel(index: Int, value: Double)
    /// A classification label that is not a whole number.
    case nonIntegerLabel(index: Int, value: Double)
    /// A multi-label target entry that is neither 0 nor 1.
    case nonBinaryLabel(row: Int, column: Int, value: Double)
    /// Only one class is present: there is nothing to discriminate.
    case singleClass(label: Int)
    /// The labels' shape does not fit the task.
    case labelShape(task: TaskKind, shape: [Int], expected: String)
    /// Every target column is degenerate (all zero), so nothing can be scored.
    case noUsableTargets(reason: String)
    /// A fitted model was asked to predict features of another dimension.
    case dimensionMismatch(expected: Int, found: Int)
    /// An option value outside its valid range.
    case invalidOption(name: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .lengthMismatch(f, l):
            return "features have \(f) samples (rows) but labels have \(l); they must describe the same samples in the same order"
        case let .tooFewSamples(count, minimum):
            return "\(count) sample\(count == 1 ? "" : "s"): at least \(minimum) are needed"
        case .noFeatures:
            return "the feature matrix has no columns"
        case let .nonFiniteFeature(row, column, value):
            return "features: row \(row), column \(column) is \(value); features must be finite numbers"
        case let .nonFiniteLabel(index, value):
            return "labels: entry \(index) is \(value); labels must be finite numbers"
        case let .nonIntegerLabel(index, value):
            return
                "labels: entry \(index) is \(value); classification labels must be integer class ids (use --task regression for real-valued targets)"
        case let .nonBinaryLabel(row, column, value):
            return "labels: row \(row), column \(column) is \(value); multi-label targets must be 0 or 1"
        case let .singleClass(label):
            return "labels: every sample has class \(label); at least two classes are needed to rank models"
        case let .labelShape(task, shape, expected):
            return "labels: shape \(shape) does not fit --task \(task.rawValue); expected \(expected)"
        case let .noUsableTargets(reason):
            return "labels: no usable target column: \(reason)"
        case let .dimensionMismatch(expected, found):
            return "features have \(found) columns but the model was fitted on \(expected)"
        case let .invalidOption(name, value, expected):
            return "option \(name) = \(value): expected \(expected)"
        }
    }
}
