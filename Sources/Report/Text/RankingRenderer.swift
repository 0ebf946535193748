import Foundation
import Ranking

/// Renders a `RankingResult` as a table, JSON or CSV.
public enum RankingRenderer {
    public static func render(_ result: RankingResult, as format: OutputFormat) throws -> String {
        switch format {
        case .table: return table(result)
        case .json: return try json(result)
        case .csv: return csv(result)
        }
    }

    /// How a metric is titled in tables.
    static func title(_ metric: String) -> String { metric == "logme" ? "LogME" : metric }

    static func table(_ result: RankingResult) -> String {
        let several = result.metricNames.count > 1
        var headers = ["rank", "model"]
        var alignments: [TextTable.Alignment] = [.right, .left]
        for metric in result.metricNames {
            headers.append(title(metric)); alignments.append(.right)
            if several { headers.append("#"); alignments.append(.right) }
        }
        let progressive = result.models.contains { $0.progressive != nil }
        if progressive { headers += ["stage", "N"]; alignments += [.right, .right] }
        headers += ["D", "seconds", "warnings"]
        alignments += [.right, .right, .left]
        var table = TextTable(headers: headers, alignments: alignments)
        for m in result.models {
            var row = ["\(m.rank)", m.name]
            for metric in result.metricNames {
                let s = m.metrics[metric]
                // a partial score (a model stopped early) is marked with '*'
                row.append(s.map { String(format: "%.4f", $0.score) + (m.isPartial ? "*" : "") } ?? "-")
                if several { row.append(s.map { "\($0.rank)" } ?? "-") }
            }
            if progressive { row += [m.progressive.map { "\($0.stage)" } ?? "-", "\(m.diagnostics.samples)"] }
            row += ["\(m.diagnostics.dimension)", String(format: "%.3f", m.seconds), summarize(m.diagnostics)]
            table.append(row)
        }
        var out =
            "task: \(result.task.rawValue), ranked by \(title(result.metric)), \(result.models.count) model\(result.models.count == 1 ? "" : "s")"
        if let n = result.models.first?.diagnostics.samples { out += ", N = \(n)" }
        out += "\n\n" + table.rendered()
        if progressive {
            let projected = result.models.compactMap { $0.progressive?.interval?.projectedTo }.first
            out +=
                "\nprogressive ranking (* = partial score, from the samples of the stage where the model stopped"
                + (projected.map { "; an eliminated model's score is projected to \($0) samples, as the reason says" } ?? "") + "):\n"
            for m in result.models { if let p = m.progressive { out += "  \(m.name): stage \(p.stage), \(p.samples) samples, \(p.reason)\n" } }
        }
        if !result.labelWarnings.isEmpty {
            out += "\nlabels: " + result.labelWarnings.joined(separator: "; ") + "\n"
        }
        let detailed = result.models.filter { !$0.diagnostics.warnings.isEmpty }
        if !detailed.isEmpty {
            out += "\n"
            for m in detailed { out += "\(m.name): " + m.diagnostics.warnings.joined(separator: "; ") + "\n" }
        }
        if !result.failed.isEmpty {
            out += "\nskipped:\n"
            for f in result.failed { out += "  \(f.name): \(f.error)\n" }
        }
        return out
    }

    /// A short cell for the table; the full text follows below it.
    static func summarize(_ d: ModelDiagnostics) -> String {
        var parts = [String]()
        if let logme = d.logme {
            for (status, label) in [
                ("not_converged", "not converged"), ("interpolates", "exact fit"),
                ("zero_ratio_limit", "limit a/b->0"), ("no_signal", "no signal"),
            ] {
                if let c = logme.statuses[status] { parts.append("\(c) \(label)") }
            }
        }
        let failures = d.warnings.filter { $0.contains(" failed: ") }.count
        if failures > 0 { parts.append("\(failures) metric\(failures == 1 ? "" : "s") failed") }
        if parts.isEmpty && !d.warnings.isEmpty { parts.append("see below") }
        return parts.joined(separator: ", ")
    }

    static func json(_ result: RankingResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(result), as: UTF8.self) + "\n"
    }

    static func csv(_ result: RankingResult) -> String {
        var header = ["rank", "model", "score"]
        for metric in result.metricNames { header += [metric, "\(metric)_rank", "\(metric)_seconds"] }
        header += ["dimension", "samples", "seconds", "warnings"]
        let progressive = result.models.contains { $0.progressive != nil }
        if progressive { header += ["partial", "stage", "status", "reason"] }
        var lines = [header.joined(separator: ",")]
        for m in result.models {
            var row = [String(m.rank), CSVField.escape(m.name), String(m.score)]
            for metric in result.metricNames {
                if let s = m.metrics[metric] {
                    row += [String(s.score), String(s.rank), String(format: "%.6f", s.seconds)]
                } else {
                    row += ["", "", ""]
                }
            }
            row += [
                String(m.diagnostics.dimension), String(m.diagnostics.samples), String(format: "%.6f", m.seconds),
                CSVField.escape(m.diagnostics.warnings.joined(separator: "; ")),
            ]
            if progressive {
                let p = m.progressive
                row += [
                    p.map { $0.partial ? "true" : "false" } ?? "", p.map { String($0.stage) } ?? "", p?.status ?? "",
                    CSVField.escape(p?.reason ?? ""),
                ]
            }
            lines.append(row.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// RFC 4180 quoting for one CSV field.
public enum CSVField {
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
