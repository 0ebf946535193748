import Foundation
import Ranking

/// Renders per-metric ranking quality (weighted tau and the rest) as a table, JSON or CSV.
public enum EvaluationRenderer {
    nonisolated(unsafe) static let columns: [(String, KeyPath<RankingQuality, Double?>)] = [  // immutable; KeyPath is not Sendable
        ("weighted_tau", \.weightedTau), ("kendall_tau", \.kendallTau), ("spearman", \.spearman),
        ("pearson", \.pearson), ("rel_top1", \.relativeTop1), ("rel_top3", \.relativeTop3),
    ]

    /// - Parameter metrics: metric name -> quality; `baselines` are marked in the table.
    public static func render(metrics: [String: RankingQuality], baselines: Set<String>, models: Int,
                              as format: OutputFormat) throws -> String {
        // Best weighted tau first; undefined last.
        let names = metrics.keys.sorted {
            let a = metrics[$0]!.weightedTau ?? -.infinity, b = metrics[$1]!.weightedTau ?? -.infinity
            return a != b ? a > b : $0 < $1
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Wrapper: Encodable { let metrics: [String: RankingQuality] }
            return String(decoding: try encoder.encode(Wrapper(metrics: metrics)), as: UTF8.self) + "\n"
        case .csv:
            var lines = ["metric,kind," + columns.map(\.0).joined(separator: ",") + ",regret_top1"]
            for name in names {
                let q = metrics[name]!
                lines.append([CSVField.escape(name), baselines.contains(name) ? "baseline" : "metric"]
                    .joined(separator: ",") + "," + columns.map { q[keyPath: $0.1].map { String($0) } ?? "" }.joined(separator: ",")
                    + "," + String(q.regretTop1))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(headers: ["metric"] + columns.map(\.0) + ["regret_top1"],
                                  alignments: [.left] + Array(repeating: .right, count: columns.count + 1))
            for name in names {
                let q = metrics[name]!
                table.append([baselines.contains(name) ? "\(name) (baseline)" : name]
                             + columns.map { q[keyPath: $0.1].map { String(format: "%.4f", $0) } ?? "n/a" }
                             + [String(format: "%.4g", q.regretTop1)])
            }
            var out = "\(models) models evaluated\n\n" + table.rendered()
            let notes = names.flatMap { n in metrics[n]!.notes.map { "\(n): \($0)" } }
            if !notes.isEmpty { out += "\n" + notes.joined(separator: "\n") + "\n" }
            return out
        }
    }
}
