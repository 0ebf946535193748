import Foundation
import Ranking

/// Which layers of each hub model `rank --layers` ranks (as transformer-ranker does):
/// the last (the card's representation, the default), every hidden layer as its own
/// row (`model@layerK`), the mean of the layers' pooled features (`model@mean`), or
/// each model at its best layer (the row keeps the winning layer's name).
public enum LayerSelection: String, Sendable, CaseIterable, Codable {
    case last, all, mean, best

    /// The row name of layer `k` of `model` (0 = the embedding output / stem).
    public static func rowName(model: String, layer: Int) -> String { "\(model)@layer\(layer)" }

    /// The model and layer of a row name written by `rowName`, nil for other names.
    public static func parse(_ row: String) -> (model: String, layer: Int)? {
        guard let at = row.range(of: "@layer", options: .backwards), let k = Int(row[at.upperBound...]), k >= 0 else { return nil }
        return (String(row[..<at.lowerBound]), k)
    }

    /// `.best`: of each model's `model@layerK` rows, the one the primary metric
    /// scores highest (the earlier layer on a tie), every metric re-ranked over the kept rows.
    public static func bestLayers(_ result: RankingResult) -> RankingResult {
        var best = [String: ModelScore]()
        var order = [String]()
        for row in result.models {
            let model = parse(row.name)?.model ?? row.name
            if let current = best[model] {
                let k = parse(row.name)?.layer ?? 0, kc = parse(current.name)?.layer ?? 0
                if row.score > current.score || (row.score == current.score && k < kc) { best[model] = row }
            } else {
                best[model] = row
                order.append(model)
            }
        }
        var out = result
        out.models = reranked(order.compactMap { best[$0] })
        return out
    }

    /// Rows sorted best first by the primary score with ranks 1...n, and each
    /// metric's rank recomputed among them (higher is better; NaN last).
    static func reranked(_ rows: [ModelScore]) -> [ModelScore] {
        func higher(_ a: Double, _ b: Double) -> Bool { a.isNaN ? false : (b.isNaN ? true : a > b) }
        var sorted = rows.sorted { higher($0.score, $1.score) }
        for i in sorted.indices { sorted[i].rank = i + 1 }
        let metricNames = Set(sorted.flatMap { $0.metrics.keys })
        for name in metricNames {
            let order = sorted.indices.filter { sorted[$0].metrics[name] != nil }
                .sorted { higher(sorted[$0].metrics[name]!.score, sorted[$1].metrics[name]!.score) }
            for (r, i) in order.enumerated() { sorted[i].metrics[name]?.rank = r + 1 }
        }
        return sorted
    }
}
