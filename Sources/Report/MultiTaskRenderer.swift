import Foundation
import Ranking

/// Renders `hubminer evaluate` over several tasks: each metric's and static
/// baseline's mean rank, win rate and mean weighted tau across the tasks, with its
/// weighted tau on each task, as a table, JSON or CSV.
public enum MultiTaskRenderer {
    /// - Parameter taskTaus: weighted tau by candidate name, one dictionary per task
    ///   in the order given on the command line.
    public static func render<Report: Encodable>(
        summary: MultiTaskSummary, taskTaus: [[String: Double]],
        json report: Report, as format: OutputFormat
    ) throws -> String {
        let taskHeaders = taskTaus.indices.map { "tau_task\($0 + 1)" }
        switch format {
        case .json:
            return try JSONText.pretty(report)
        case .csv:
            var lines = [(["metric", "kind", "mean_rank", "win_rate", "mean_weighted_tau"] + taskHeaders).joined(separator: ",")]
            for e in summary.entries {
                lines.append(
                    ([
                        CSVField.escape(e.name), e.isBaseline ? "baseline" : "metric", String(e.meanRank), String(e.winRate),
                        e.meanWeightedTau.map { String($0) } ?? "",
                    ]
                        + taskTaus.map { $0[e.name].map { String($0) } ?? "" }).joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(
                headers: ["metric", "mean_rank", "win_rate", "mean_tau"] + taskHeaders,
                alignments: [.left] + Array(repeating: .right, count: 3 + taskHeaders.count))
            for e in summary.entries {
                table.append(
                    [
                        e.isBaseline ? "\(e.name) (baseline)" : e.name, String(format: "%.2f", e.meanRank),
                        String(format: "%.3f", e.winRate), e.meanWeightedTau.map { String(format: "%.4f", $0) } ?? "n/a",
                    ]
                        + taskTaus.map { $0[e.name].map { String(format: "%.4f", $0) } ?? "n/a" })
            }
            return "\(summary.tasks) tasks evaluated\n\n" + table.rendered()
                + "\nmean_rank: mean over tasks of the rank by weighted tau among all rows (1 = best; undefined or missing ranks last);"
                + " win_rate: share of tasks where it has the highest weighted tau (ties share the win).\n"
        }
    }
}
