import Foundation
import Ranking

/// Renders per-metric ranking quality (weighted tau and the rest) as a table, JSON or CSV.
public enum EvaluationRenderer {
    nonisolated(unsafe) static let columns: [(String, KeyPath<RankingQuality, Double?>)] = [ // immutable; KeyPath is not Sendable
        ("weighted_tau", \.weightedTau), ("kendall_tau", \.kendallTau), ("spearman", \.spearman),
        ("pearson", \.pearson), ("rel_top1", \.relativeTop1), ("rel_top3", \.relativeTop3),
    ]

    nonisolated(unsafe) static let uncertaintyColumns: [(String, (RankingUncertainty) -> Double?)] = [
        ("tau_lower", { $0.weightedTau.lower }), ("tau_upper", { $0.weightedTau.upper }),
        ("regret_lower", { $0.regretTop1.lower }), ("regret_upper", { $0.regretTop1.upper }),
        ("loo_tau_min", { $0.leaveOneOutMin }), ("loo_tau_max", { $0.leaveOneOutMax }),
        ("recall_at_1", { $0.recallAt["1"] }), ("recall_at_3", { $0.recallAt["3"] }),
        ("weighted_pearson", { $0.weightedPearson }),
    ]

    /// - Parameter metrics: metric name -> quality; `baselines` are marked in the table.
    /// - Parameter uncertainty: per-name intervals and robustness (`EvaluationUncertainty`),
    ///   shown as extra columns when given.
    public static func render(
        metrics: [String: RankingQuality], baselines: Set<String>, models: Int,
        uncertainty: [String: RankingUncertainty]? = nil, as format: OutputFormat
    ) throws -> String {
        // Best weighted tau first; undefined last.
        let names = metrics.keys.sorted {
            let a = metrics[$0]!.weightedTau ?? -.infinity, b = metrics[$1]!.weightedTau ?? -.infinity
            return a != b ? a > b : $0 < $1
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            struct Wrapper: Encodable { let metrics: [String: RankingQuality]; let uncertainty: [String: RankingUncertainty]? }
            return String(decoding: try encoder.encode(Wrapper(metrics: metrics, uncertainty: uncertainty)), as: UTF8.self) + "\n"
        case .csv:
            let extra = uncertainty == nil ? "" : "," + uncertaintyColumns.map(\.0).joined(separator: ",")
            var lines = ["metric,kind," + columns.map(\.0).joined(separator: ",") + ",regret_top1" + extra]
            for name in names {
                let q = metrics[name]!
                lines.append(
                    [CSVField.escape(name), baselines.contains(name) ? "baseline" : "metric"]
                        .joined(separator: ",") + "," + columns.map { q[keyPath: $0.1].map { String($0) } ?? "" }.joined(separator: ",")
                        + "," + String(q.regretTop1)
                        + (uncertainty == nil
                            ? ""
                            : "," + uncertaintyColumns.map { c in uncertainty?[name].flatMap(c.1).map { String($0) } ?? "" }.joined(separator: ",")))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            let extra = uncertainty == nil ? [] : ["tau_interval", "regret_interval", "loo_tau", "recall@3", "w_pearson"]
            var table = TextTable(
                headers: ["metric"] + columns.map(\.0) + ["regret_top1"] + extra,
                alignments: [.left] + Array(repeating: .right, count: columns.count + 1 + extra.count))
            func range(_ lo: Double?, _ hi: Double?, _ format: String) -> String {
                guard let lo, let hi else { return "n/a" }
                return "[" + String(format: format, lo) + ", " + String(format: format, hi) + "]"
            }
            for name in names {
                let q = metrics[name]!
                var row =
                    [baselines.contains(name) ? "\(name) (baseline)" : name]
                    + columns.map { q[keyPath: $0.1].map { String(format: "%.4f", $0) } ?? "n/a" }
                    + [String(format: "%.4g", q.regretTop1)]
                if uncertainty != nil {
                    let u = uncertainty?[name]
                    row += [
                        range(u?.weightedTau.lower, u?.weightedTau.upper, "%.3f"),
                        range(u?.regretTop1.lower, u?.regretTop1.upper, "%.3g"),
                        range(u?.leaveOneOutMin, u?.leaveOneOutMax, "%.3f"),
                        u?.recallAt["3"].map { String(format: "%.3f", $0) } ?? "n/a",
                        u?.weightedPearson.map { String(format: "%.4f", $0) } ?? "n/a",
                    ]
                }
                table.append(row)
            }
            var out = "\(models) models evaluated\n\n" + table.rendered()
            if let any = uncertainty?.values.first {
                out +=
                    "\nintervals: \(Int(any.weightedTau.level * 100))% bootstrap percentiles over \(any.weightedTau.resamples) resampled model pools\n"
            }
            let notes = names.flatMap { n in metrics[n]!.notes.map { "\(n): \($0)" } }
            if !notes.isEmpty { out += "\n" + notes.joined(separator: "\n") + "\n" }
            return out
        }
    }
}
