/// Why a ranking evaluation could not be computed at all.
///
/// These are input errors: the caller passed something no statistic can be
/// computed from. A statistic that is merely *undefined* for valid input
/// (for example Pearson when one side is constant) is reported as `nil`
/// instead, never as NaN and never as a thrown error.
public enum EvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Names the input a message refers to, so the same checks read well for
    /// the generic correlations (`x`, `y`) and for an evaluation
    /// (`scores`, `truth`).
    public enum Input: String, Sendable, Equatable {
        case x, y, scores, truth
    }

    /// The kind of non-finite value found. A case rather than the value itself,
    /// because NaN is not equal to itself and would break `Equatable`.
    public enum NonFiniteKind: String, Sendable, Equatable {
        case nan = "NaN"
        case positiveInfinity = "+infinity"
        case negativeInfinity = "-infinity"
    }

    /// Fewer than two models: no pair exists, so no ranking can be compared.
    case tooFewModels(count: Int)
    /// The two inputs do not pair up one-to-one.
    case lengthMismatch(first: Input, firstCount: Int, second: Input, secondCount: Int)
    /// An input holds NaN or an infinity at `index`.
    case nonFiniteValue(Input, index: Int, kind: NonFiniteKind)
    /// A top-k cut-off below 1.
    case invalidTopK(Int)
    /// A setting of an evaluation (resamples, confidence level, task count) out of range.
    case invalidSetting(name: String, value: String, expected: String)

    /// A one-line message suitable for a command-line error.
    public var description: String {
        switch self {
        case .tooFewModels(let count):
            return "need at least 2 models to compare rankings, got \(count)"
        case .lengthMismatch(let first, let firstCount, let second, let secondCount):
            return "length mismatch: \(first.rawValue) has \(firstCount) values but \(second.rawValue) has \(secondCount)"
        case .nonFiniteValue(let input, let index, let kind):
            return "\(input.rawValue)[\(index)] is \(kind.rawValue); all values must be finite"
        case .invalidTopK(let k):
            return "top-k needs k >= 1, got \(k)"
        case .invalidSetting(let name, let value, let expected):
            return "\(name) = \(value), expected \(expected)"
        }
    }
}

extension EvaluationError {
    /// Checks the preconditions shared by every statistic in this module:
    /// equal lengths, at least two models, only finite values. Lengths are
    /// checked first so that a mismatch is reported as such even when one
    /// side is also short.
    static func validate(
        _ first: [Double], as firstName: Input,
        _ second: [Double], as secondName: Input
    ) throws(EvaluationError) {
        guard first.count == second.count else {
            throw .lengthMismatch(
                first: firstName, firstCount: first.count,
                second: secondName, secondCount: second.count)
        }
        guard first.count >= 2 else {
            throw .tooFewModels(count: first.count)
        }
        try requireFinite(first, as: firstName)
        try requireFinite(second, as: secondName)
    }

    private static func requireFinite(_ values: [Double], as name: Input) throws(EvaluationError) {
        for (index, value) in values.enumerated() where !value.isFinite {
            let kind: NonFiniteKind =
                value.isNaN
                ? .nan
                : (value > 0 ? .positiveInfinity : .negativeInfinity)
            throw .nonFiniteValue(name, index: index, kind: kind)
        }
    }
}
