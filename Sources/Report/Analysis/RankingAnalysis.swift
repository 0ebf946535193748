import Ranking
import RunSchema

/// The ranking joined with the ground truth: per metric, each model's score
/// against its fine-tuned accuracy, the weighted tau and the model it picks.
public struct RankingAnalysis: Sendable {
    public struct MetricView: Sendable {
        public var name: String
        /// (model, score, truth) for models with both a score and a truth value.
        public var pairs: [(model: String, score: Double, truth: Double)]
        /// From evaluation.json when it has this metric, else computed here.
        public var weightedTau: Double?
        /// The metric's rank-1 model.
        public var pick: String?
    }

    public var metrics: [MetricView]
    /// The model with the highest truth (ties: first by name).
    public var trulyBest: (model: String, value: Double)?

    public init(ranking: RankingResult, truth: GroundTruth?, evaluation: [String: RankingQuality]?) {
        trulyBest = truth.flatMap { t in
            t.models.filter { $0.value.isFinite }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .first.map { ($0.key, $0.value) }
        }
        metrics = ranking.metricNames.map { metric in
            let scored = ranking.models.filter { $0.metrics[metric] != nil }
            let pick = scored.min { $0.metrics[metric]!.rank < $1.metrics[metric]!.rank }?.name
            let pairs = scored.compactMap { model -> (String, Double, Double)? in
                guard let value = truth?.models[model.name] else { return nil }
                return (model.name, model.metrics[metric]!.score, value)
            }
            let tau: Double?
            if let quality = evaluation?[metric] {
                tau = quality.weightedTau
            } else {
                let finite = pairs.filter { $0.1.isFinite && $0.2.isFinite }
                // Undefined (nil) for fewer than two models or a constant side, as in `hubminer evaluate`.
                tau = (try? RankCorrelation.weightedTau(finite.map(\.1), finite.map(\.2))) ?? nil
            }
            return MetricView(name: metric, pairs: pairs, weightedTau: tau, pick: pick)
        }
    }

    /// Weighted tau per metric for the bar chart: every entry of evaluation.json
    /// (baselines included) when there is one, else the values computed here.
    public static func tauEntries(
        ranking: RankingResult?, analysis: RankingAnalysis?,
        evaluation: [String: RankingQuality]?
    ) -> [(name: String, tau: Double?, baseline: Bool)] {
        let ranked = Set(ranking?.metricNames ?? [])
        var entries: [(name: String, tau: Double?, baseline: Bool)]
        if let evaluation {
            entries = evaluation.map { (name: $0.key, tau: $0.value.weightedTau, baseline: ranking != nil && !ranked.contains($0.key)) }
        } else {
            entries = (analysis?.metrics ?? []).map { (name: $0.name, tau: $0.weightedTau, baseline: false) }
        }
        // Best first; undefined last; ties by name so the order is stable.
        return entries.sorted { a, b in
            let x = a.tau ?? -.infinity, y = b.tau ?? -.infinity
            return x != y ? x > y : a.name < b.name
        }
    }
}

/// How metric names are written for people.
public enum MetricTitle {
    static let known = [
        "logme": "LogME", "hscore": "H-Score", "hscore_shrinkage": "shrinkage H-Score", "transrate": "TransRate",
        "gbc": "GBC", "sfda": "SFDA", "ncti": "NCTI", "nleep": "N-LEEP", "parc": "PARC", "knn": "kNN accuracy",
        "linear_probe": "linear probe", "leep": "LEEP", "nce": "NCE",
    ]

    public static func of(_ name: String) -> String { known[name] ?? name }
}
