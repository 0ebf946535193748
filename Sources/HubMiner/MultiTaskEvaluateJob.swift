import Foundation
import Ranking

/// Judges the metrics over several tasks at once: `hubminer evaluate` with several
/// `--scores`/`--truth` pairs. Each pair is evaluated as `EvaluateJob` does (every
/// metric and every static baseline column of its truth file), then
/// `MultiTaskSummary` gives each candidate's mean rank, win rate and mean weighted
/// tau across the tasks.
public enum MultiTaskEvaluateJob {
    /// One scores/truth pair.
    public struct Task: Codable, Sendable, Equatable {
        public var scores: String
        public var truth: String
        /// Models in both files, which is what was evaluated on this task.
        public var models: Int
        /// Weighted tau by candidate on this task (absent: the candidate is not in
        /// this task's files, or its tau is undefined).
        public var weightedTau: [String: Double]

        enum CodingKeys: String, CodingKey { case scores, truth, models, weightedTau = "weighted_tau" }
    }

    public struct Report: Codable, Sendable {
        public var truthColumn: String
        public var tasks: [Task]
        /// Metrics and baselines, best mean rank first.
        public var summary: MultiTaskSummary

        enum CodingKeys: String, CodingKey { case truthColumn = "truth_column", tasks, summary }
    }

    /// - Parameter pairs: the tasks, each a `hubminer rank --format json` output and
    ///   its truth CSV. A candidate missing from a task (a metric not run there, a
    ///   baseline column its truth file lacks) ranks last on that task, as an
    ///   undefined weighted tau does.
    /// - Parameter unmatched: called with each task's models that are not in both files.
    public static func run(
        pairs: [(scores: URL, truth: URL)], truthColumn: String = "accuracy",
        unmatched: (Int, [String]) -> Void = { _, _ in }
    ) throws -> Report {
        guard !pairs.isEmpty else { throw EvaluationError.invalidSetting(name: "tasks", value: "0", expected: "at least 1") }
        var tasks = [Task]()
        var baselineNames = Set<String>(), metricNames = Set<String>()
        for (i, pair) in pairs.enumerated() {
            let report = try EvaluateJob.run(scores: pair.scores, truth: pair.truth, truthColumn: truthColumn)
            if !report.unmatched.isEmpty { unmatched(i, report.unmatched) }
            baselineNames.formUnion(report.baselines)
            metricNames.formUnion(report.metrics.keys.filter { !report.baselines.contains($0) })
            tasks.append(
                Task(
                    scores: pair.scores.path, truth: pair.truth.path, models: report.models.count,
                    weightedTau: report.metrics.compactMapValues(\.weightedTau)))
        }
        // A name that is a metric on one task and a baseline column on another is
        // ambiguous: refuse it rather than average two different things.
        if let clash = metricNames.intersection(baselineNames).sorted().first {
            throw MultiTaskEvaluateError.metricAndBaseline(name: clash)
        }
        let candidates =
            metricNames.sorted().map { (name: $0, isBaseline: false) }
            + baselineNames.sorted().map { (name: $0, isBaseline: true) }
        let taus = tasks.map { task in candidates.map { task.weightedTau[$0.name] } }
        var summary = try MultiTaskSummary(candidates: candidates, weightedTaus: taus)
        // Best mean rank first; then higher mean tau; then by name, so the order is stable.
        summary.entries.sort { a, b in
            if a.meanRank != b.meanRank { return a.meanRank < b.meanRank }
            let x = a.meanWeightedTau ?? -.infinity, y = b.meanWeightedTau ?? -.infinity
            return x != y ? x > y : a.name < b.name
        }
        return Report(truthColumn: truthColumn, tasks: tasks, summary: summary)
    }
}

public enum MultiTaskEvaluateError: Error, CustomStringConvertible, Equatable {
    case metricAndBaseline(name: String)

    public var description: String {
        switch self {
        case let .metricAndBaseline(name):
            return
                "'\(name)' is a metric in one scores file and a truth column (static baseline) in another truth file; rename the column so the two are not averaged together"
        }
    }
}
