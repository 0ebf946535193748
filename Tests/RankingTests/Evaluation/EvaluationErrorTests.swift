import Ranking
import Testing

/// Every input error is thrown (never a NaN result) with a one-line message.
@Suite struct EvaluationErrorTests {
    typealias Statistic = @Sendable ([Double], [Double]) throws(EvaluationError) -> Double?

    static let statistics: [(String, Statistic)] = [
        ("weightedTau", { x, y throws(EvaluationError) in try RankCorrelation.weightedTau(x, y) }),
        ("kendallTauB", { x, y throws(EvaluationError) in try RankCorrelation.kendallTauB(x, y) }),
        ("spearman", { x, y throws(EvaluationError) in try RankCorrelation.spearman(x, y) }),
        ("pearson", { x, y throws(EvaluationError) in try RankCorrelation.pearson(x, y) }),
        ("relativeTopK", { x, y throws(EvaluationError) in try RankingEvaluation.relativeTopK(scores: x, truth: y, k: 1) }),
        ("regretTop1", { x, y throws(EvaluationError) in try RankingEvaluation.regretTop1(scores: x, truth: y) }),
        ("evaluate", { x, y throws(EvaluationError) in try RankingEvaluation.evaluate(scores: x, truth: y).regretTop1 }),
    ]

    /// Runs `body`, expecting `error` with exactly `message`.
    func expectError(
        _ expected: EvaluationError, message: String,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws(EvaluationError) -> Void
    ) {
        do {
            try body()
            Issue.record("expected \(expected), got no error", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, sourceLocation: sourceLocation)
            #expect(error.description == message, sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: 0..<statistics.count)
    func lengthMismatch(index: Int) {
        let (name, statistic) = Self.statistics[index]
        let isEvaluation = ["relativeTopK", "regretTop1", "evaluate"].contains(name)
        let expected: EvaluationError =
            isEvaluation
            ? .lengthMismatch(first: .scores, firstCount: 2, second: .truth, secondCount: 3)
            : .lengthMismatch(first: .x, firstCount: 2, second: .y, secondCount: 3)
        let message =
            isEvaluation
            ? "length mismatch: scores has 2 values but truth has 3"
            : "length mismatch: x has 2 values but y has 3"
        expectError(expected, message: message) { () throws(EvaluationError) in
            _ = try statistic([1, 2], [1, 2, 3])
        }
    }

    @Test(arguments: 0..<statistics.count)
    func tooFewModels(index: Int) {
        let statistic = Self.statistics[index].1
        expectError(.tooFewModels(count: 1), message: "need at least 2 models to compare rankings, got 1") {
            () throws(EvaluationError) in _ = try statistic([1], [2])
        }
        expectError(.tooFewModels(count: 0), message: "need at least 2 models to compare rankings, got 0") {
            () throws(EvaluationError) in _ = try statistic([], [])
        }
    }

    @Test(arguments: 0..<statistics.count)
    func nonFiniteValues(index: Int) {
        let (name, statistic) = Self.statistics[index]
        let isEvaluation = ["relativeTopK", "regretTop1", "evaluate"].contains(name)
        let (first, second): (EvaluationError.Input, EvaluationError.Input) = isEvaluation ? (.scores, .truth) : (.x, .y)
        expectError(
            .nonFiniteValue(second, index: 1, kind: .nan),
            message: "\(second.rawValue)[1] is NaN; all values must be finite"
        ) {
            () throws(EvaluationError) in _ = try statistic([1, 2, 3], [1, .nan, 3])
        }
        expectError(
            .nonFiniteValue(first, index: 0, kind: .positiveInfinity),
            message: "\(first.rawValue)[0] is +infinity; all values must be finite"
        ) {
            () throws(EvaluationError) in _ = try statistic([.infinity, 2, 3], [1, 2, 3])
        }
        expectError(
            .nonFiniteValue(first, index: 2, kind: .negativeInfinity),
            message: "\(first.rawValue)[2] is -infinity; all values must be finite"
        ) {
            () throws(EvaluationError) in _ = try statistic([1, 2, -.infinity], [1, 2, 3])
        }
    }

    @Test func invalidTopK() {
        expectError(.invalidTopK(0), message: "top-k needs k >= 1, got 0") { () throws(EvaluationError) in
            _ = try RankingEvaluation.relativeTopK(scores: [1, 2], truth: [1, 2], k: 0)
        }
        expectError(.invalidTopK(-2), message: "top-k needs k >= 1, got -2") { () throws(EvaluationError) in
            _ = try RankingEvaluation.topModels(k: -2, scores: [1, 2], truth: [1, 2])
        }
    }
}
