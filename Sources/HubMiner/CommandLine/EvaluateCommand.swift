import ArgumentParser
import Foundation
import Ranking
import Report

public struct EvaluateCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Judge a ranking against real fine-tuning results (weighted Kendall tau and more)."
    )

    @Option(help: "The JSON written by `hubminer rank --format json`. Repeat with --truth to evaluate several tasks at once (pairs in order).")
    var scores: [String] = []

    @Option(
        help: "CSV with a 'model' column and numeric ground-truth columns; other numeric columns are reported as static baselines. One per --scores.")
    var truth: [String] = []

    @Option(name: .customLong("truth-column"), help: "The ground-truth column.")
    var truthColumn: String = "accuracy"

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Option(help: "Bootstrap resamples of the model pool for the intervals (default 1000; 0: no intervals; one task only).")
    var resamples: Int?

    @Option(help: "Seed of the bootstrap resamples.")
    var seed: UInt64 = 0

    public func validate() throws {
        guard !scores.isEmpty, !truth.isEmpty else { throw ValidationError("--scores and --truth are both required") }
        guard scores.count == truth.count else {
            throw ValidationError(
                "--scores given \(scores.count) time\(scores.count == 1 ? "" : "s") and --truth \(truth.count) time\(truth.count == 1 ? "" : "s"); give them in pairs, in order"
            )
        }
        // Intervals are per task; rather than ignore the option, say so.
        guard scores.count == 1 || resamples == nil else {
            throw ValidationError("--resamples applies to one --scores/--truth pair; evaluate each task alone for its intervals")
        }
    }

    public func run() throws {
        if scores.count > 1 { return try runTasks() }
        try HubMinerCommand.reportingErrors {
            let resamples = self.resamples ?? 1000
            guard resamples >= 0 else { throw ValidationError("--resamples must be 0 or more") }
            let report = try EvaluateJob.run(
                scores: URL(fileURLWithPath: scores[0]), truth: URL(fileURLWithPath: truth[0]), truthColumn: truthColumn,
                bootstrap: resamples > 0 ? BootstrapSettings(resamples: resamples, seed: seed) : nil)
            if !report.unmatched.isEmpty {
                FileHandle.standardError.write(Data("hubminer: not in both files, left out: \(report.unmatched.joined(separator: ", "))\n".utf8))
            }
            try emit(
                try EvaluationRenderer.render(
                    metrics: report.metrics, baselines: Set(report.baselines),
                    models: report.models.count, uncertainty: report.uncertainty, as: format), to: nil)
        }
    }
}

extension EvaluateCommand {
    /// Several --scores/--truth pairs: each metric's and baseline's standing across the tasks.
    func runTasks() throws {
        try HubMinerCommand.reportingErrors {
            let pairs = zip(scores, truth).map { (scores: URL(fileURLWithPath: $0), truth: URL(fileURLWithPath: $1)) }
            let report = try MultiTaskEvaluateJob.run(pairs: pairs, truthColumn: truthColumn) { task, unmatched in
                FileHandle.standardError.write(
                    Data("hubminer: task \(task + 1): not in both files, left out: \(unmatched.joined(separator: ", "))\n".utf8))
            }
            try emit(
                try MultiTaskRenderer.render(
                    summary: report.summary, taskTaus: report.tasks.map(\.weightedTau),
                    json: report, as: format), to: nil)
        }
    }
}
