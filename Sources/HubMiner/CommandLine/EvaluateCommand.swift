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

    @OptionGroup var output: OutputOptions

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

    /// The files this evaluation reads: --output may be none of them.
    var inputs: CommandInputs { CommandInputs(scores.map { ("--scores", $0) } + truth.map { ("--truth", $0) }) }

    public func run() throws {
        if scores.count > 1 { return try runTasks() }
        try HubMinerCommand.reportingErrors {
            try output.check(inputs: inputs)
            let resamples = self.resamples ?? 1000
            guard resamples >= 0 else { throw ValidationError("--resamples must be 0 or more") }
            let report = try EvaluateJob.run(
                scores: URL(fileURLWithPath: scores[0]), truth: URL(fileURLWithPath: truth[0]), truthColumn: truthColumn,
                bootstrap: resamples > 0 ? BootstrapSettings(resamples: resamples, seed: seed) : nil)
            if !report.unmatched.isEmpty {
                FileHandle.standardError.write(Data("hubminer: not in both files, left out: \(report.unmatched.joined(separator: ", "))\n".utf8))
            }
            let rendered = try EvaluationRenderer.render(
                metrics: report.metrics, baselines: Set(report.baselines),
                models: report.models.count, uncertainty: report.uncertainty, as: output.format)
            try output.deliver(rendered, summary: Self.summary(of: report), inputs: inputs)
        }
    }
}

extension EvaluateCommand {
    /// Several --scores/--truth pairs: each metric's and baseline's standing across the tasks.
    func runTasks() throws {
        try HubMinerCommand.reportingErrors {
            try output.check(inputs: inputs)
            let pairs = zip(scores, truth).map { (scores: URL(fileURLWithPath: $0), truth: URL(fileURLWithPath: $1)) }
            let report = try MultiTaskEvaluateJob.run(pairs: pairs, truthColumn: truthColumn) { task, unmatched in
                FileHandle.standardError.write(
                    Data("hubminer: task \(task + 1): not in both files, left out: \(unmatched.joined(separator: ", "))\n".utf8))
            }
            let rendered = try MultiTaskRenderer.render(
                summary: report.summary, taskTaus: report.tasks.map(\.weightedTau), json: report, as: output.format)
            let best = report.summary.entries.filter { !$0.isBaseline }.min { $0.meanRank < $1.meanRank }
            let summary =
                "evaluated \(report.summary.entries.count) metrics and baselines over \(report.summary.tasks) tasks against \(report.truthColumn)"
                + (best.map { "; best mean rank: \($0.name) (\(String(format: "%.2f", $0.meanRank)))" } ?? "")
            try output.deliver(rendered, summary: summary, inputs: inputs)
        }
    }
}

extension EvaluateCommand {
    /// The human summary printed when the evaluation goes to --output: the metric
    /// whose ranking agrees best with the truth (weighted tau).
    static func summary(of report: EvaluateJob.Report) -> String {
        let baselines = Set(report.baselines)
        var best: (name: String, tau: Double)?
        for (name, quality) in report.metrics.sorted(by: { $0.key < $1.key }) where !baselines.contains(name) {
            guard let tau = quality.weightedTau else { continue }
            if best == nil || tau > best!.tau { best = (name, tau) }
        }
        var text = "evaluated \(report.metrics.count - baselines.count) metric(s) on \(report.models.count) models against \(report.truthColumn)"
        if let best { text += "; best weighted tau: \(best.name) (\(String(format: "%.4f", best.tau)))" }
        return text
    }
}
