import Foundation
import Ranking

/// Judges rankings against ground truth: `hubminer evaluate --scores S --truth T`.
public enum EvaluateJob {
    /// The evaluation of every metric (and every static baseline column of the truth file).
    public struct Report: Codable, Sendable {
        public var metrics: [String: RankingQuality]
        /// Baselines are extra numeric columns of the truth file (parameter count, ...).
        public var baselines: [String]
        public var truthColumn: String
        /// Models in both files, which is what was evaluated.
        public var models: [String]
        /// Models in the scores but not the truth file, or the other way round.
        public var unmatched: [String]
        /// Per metric and baseline: bootstrap intervals over resampled model pools,
        /// Recall@1/3, weighted Pearson, leave-one-model-out (nil when not asked for).
        public var uncertainty: [String: RankingUncertainty]?

        enum CodingKeys: String, CodingKey { case metrics, baselines, truthColumn = "truth_column", models, unmatched, uncertainty }
    }

    public enum EvaluateError: Error, CustomStringConvertible, Equatable {
        case unreadable(file: String, reason: String)
        case missingField(file: String, field: String, expected: String)
        case missingColumn(file: String, column: String, available: [String])
        case badCell(file: String, line: Int, column: String, value: String)
        case duplicateModel(file: String, model: String)
        case tooFewCommonModels(count: Int)
        /// A metric of the scores has the name of a truth column: its row and the
        /// baseline's would be one.
        case metricNamedLikeColumn(scores: String, truth: String, name: String)

        public var description: String {
            switch self {
            case let .unreadable(file, reason): return "\(file): \(reason)"
            case let .missingField(file, field, expected): return "\(file): field '\(field)': expected \(expected)"
            case let .missingColumn(file, column, available):
                return "\(file): no column '\(column)'; columns are \(available.joined(separator: ", "))"
            case let .badCell(file, line, column, value):
                return "\(file): line \(line), column '\(column)': expected a number, found '\(value)'"
            case let .duplicateModel(file, model): return "\(file): model '\(model)' appears twice"
            case let .tooFewCommonModels(count):
                return "only \(count) model\(count == 1 ? "" : "s") appear in both the scores and the truth file; at least 2 are needed"
            case let .metricNamedLikeColumn(scores, truth, name):
                return "\(truth): column '\(name)' has the name of a metric in \(scores); rename the column so the metric and the baseline stay apart"
            }
        }
    }

    /// Per-metric scores read from `hubminer rank`'s JSON output: metric -> model -> score.
    public static func readScores(_ url: URL) throws -> [String: [String: Double]] {
        let file = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvaluateError.unreadable(file: file, reason: "cannot read (\(error.localizedDescription))")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EvaluateError.unreadable(file: file, reason: "not a JSON object (expected the output of `hubminer rank --format json`)")
        }
        guard let models = root["models"] as? [[String: Any]] else {
            throw EvaluateError.missingField(file: file, field: "models", expected: "an array of {name, score, ...}")
        }
        let primary = root["metric"] as? String ?? "score"
        var out = [String: [String: Double]]()
        var seen = Set<String>()
        for (i, model) in models.enumerated() {
            guard let name = model["name"] as? String else {
                throw EvaluateError.missingField(file: file, field: "models[\(i)].name", expected: "a string")
            }
            // Which of two scores for one model is meant is unknown; the later one
            // would silently win.
            guard seen.insert(name).inserted else { throw EvaluateError.duplicateModel(file: file, model: name) }
            if let perMetric = model["metrics"] as? [String: Any] {
                for (metric, value) in perMetric {
                    if let v = (value as? [String: Any])?["score"] as? Double ?? value as? Double { out[metric, default: [:]][name] = v }
                }
            } else if let score = model["score"] as? Double {
                out[primary, default: [:]][name] = score
            } else {
                throw EvaluateError.missingField(file: file, field: "models[\(i)].score", expected: "a number")
            }
        }
        return out
    }

    /// The truth table: model -> column -> value, and the numeric column names in file order.
    public static func readTruth(_ url: URL) throws -> (values: [String: [String: Double]], columns: [String]) {
        let file = url.path
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw EvaluateError.unreadable(file: file, reason: "cannot read as UTF-8 text")
        }
        let rows = CSVTable.parse(text)
        guard let header = rows.first else {
            throw EvaluateError.unreadable(file: file, reason: "empty file (expected a header row with a 'model' column)")
        }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let modelIndex = names.firstIndex(of: "model") else {
            throw EvaluateError.missingColumn(file: file, column: "model", available: names)
        }
        var values = [String: [String: Double]]()
        for (r, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == names.count else {
                throw EvaluateError.unreadable(file: file, reason: "line \(r + 2): \(row.count) fields, header has \(names.count)")
            }
            let model = row[modelIndex].trimmingCharacters(in: .whitespaces)
            guard values[model] == nil else { throw EvaluateError.duplicateModel(file: file, model: model) }
            var entry = [String: Double]()
            for (c, name) in names.enumerated() where c != modelIndex {
                let cell = row[c].trimmingCharacters(in: .whitespaces)
                guard let v = Double(cell), v.isFinite else { throw EvaluateError.badCell(file: file, line: r + 2, column: name, value: cell) }
                entry[name] = v
            }
            values[model] = entry
        }
        return (values, names.enumerated().filter { $0.offset != modelIndex }.map(\.element))
    }

    /// - Parameter bootstrap: resampling settings of the uncertainty estimates; nil skips them.
    public static func run(
        scores scoresURL: URL, truth truthURL: URL, truthColumn: String = "accuracy",
        bootstrap: BootstrapSettings? = nil
    ) throws -> Report {
        let scores = try readScores(scoresURL)
        let truth = try readTruth(truthURL)
        guard truth.columns.contains(truthColumn) else {
            throw EvaluateError.missingColumn(file: truthURL.path, column: truthColumn, available: truth.columns)
        }
        let scoredModels = Set(scores.values.flatMap(\.keys))
        let common = scoredModels.intersection(truth.values.keys).sorted()
        guard common.count >= 2 else { throw EvaluateError.tooFewCommonModels(count: common.count) }
        let unmatched = scoredModels.symmetricDifference(truth.values.keys).sorted()
        let truthValues = common.map { truth.values[$0]![truthColumn]! }

        var metrics = [String: RankingQuality]()
        var uncertainty = [String: RankingUncertainty]()
        func judge(_ name: String, _ s: [Double], _ t: [Double]) throws {
            metrics[name] = try RankingEvaluation.evaluate(scores: s, truth: t)
            if let bootstrap { uncertainty[name] = try EvaluationUncertainty.evaluate(scores: s, truth: t, settings: bootstrap) }
        }
        for (metric, byModel) in scores {
            let models = common.filter { byModel[$0] != nil }
            guard models.count >= 2 else { continue }
            try judge(metric, models.map { byModel[$0]! }, models.map { truth.values[$0]![truthColumn]! })
        }
        let baselines = truth.columns.filter { $0 != truthColumn }
        if let clash = baselines.first(where: { metrics[$0] != nil }) {
            throw EvaluateError.metricNamedLikeColumn(scores: scoresURL.path, truth: truthURL.path, name: clash)
        }
        for baseline in baselines {
            try judge(baseline, common.map { truth.values[$0]![baseline]! }, truthValues)
        }
        return Report(
            metrics: metrics, baselines: baselines, truthColumn: truthColumn, models: common, unmatched: unmatched,
            uncertainty: bootstrap == nil ? nil : uncertainty)
    }
}

/// A minimal RFC 4180 reader for small text tables (quoted fields, doubled quotes).
enum CSVTable {
    static func parse(_ text: String) -> [[String]] {
        var rows = [[String]](), row = [String](), field = ""
        var inQuotes = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if inQuotes {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append("\""); chars.removeFirst() } else { inQuotes = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r" && chars.first == "\n" { chars.removeFirst() }
                row.append(field); field = ""
                rows.append(row); row = []
            } else {
                field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows.filter { !($0.count == 1 && $0[0].trimmingCharacters(in: .whitespaces).isEmpty) }
    }
}
