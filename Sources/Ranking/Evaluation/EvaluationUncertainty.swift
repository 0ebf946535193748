import Linalg
import Support

/// A statistic on the full data with a bootstrap percentile interval around it.
///
/// Resamples where the statistic is undefined (a resample of constant scores
/// has no weighted tau) are left out of the interval and counted in
/// `undefinedResamples`, so an interval built from few defined resamples is
/// visible as such.
public struct BootstrapInterval: Sendable, Codable, Equatable {
    /// The statistic on the data as given (`nil` where undefined).
    public var estimate: Double?
    /// Percentile bounds at `level` (nil when no resample was defined).
    public var lower: Double?
    public var upper: Double?
    public var level: Double
    public var resamples: Int
    public var undefinedResamples: Int

    public init(estimate: Double?, lower: Double?, upper: Double?, level: Double, resamples: Int, undefinedResamples: Int) {
        self.estimate = estimate
        self.lower = lower
        self.upper = upper
        self.level = level
        self.resamples = resamples
        self.undefinedResamples = undefinedResamples
    }

    public enum CodingKeys: String, CodingKey {
        case estimate, lower, upper, level, resamples
        case undefinedResamples = "undefined_resamples"
    }
}

/// How many resamples, at which confidence level, from which seed.
public struct BootstrapSettings: Sendable, Equatable {
    public var resamples: Int
    public var level: Double
    public var seed: UInt64

    public init(resamples: Int = 1000, level: Double = 0.95, seed: UInt64 = 0) {
        self.resamples = resamples
        self.level = level
        self.seed = seed
    }

    func validate() throws(EvaluationError) {
        guard resamples >= 1 else { throw .invalidSetting(name: "resamples", value: "\(resamples)", expected: "at least 1") }
        guard level > 0, level < 1 else { throw .invalidSetting(name: "level", value: "\(level)", expected: "a number in (0, 1)") }
    }
}

/// A ranking's quality with its uncertainty: the statistics that one weighted
/// tau on one model pool hides.
public struct RankingUncertainty: Sendable, Codable, Equatable {
    /// Weighted tau over model pools resampled with replacement.
    public var weightedTau: BootstrapInterval
    /// Top-1 regret (truth units) over the same resampled pools.
    public var regretTop1: BootstrapInterval
    /// Weighted tau with each model left out once: the smallest and largest value
    /// and their spread (max − min); `nil` when undefined for every subset.
    public var leaveOneOutMin: Double?
    public var leaveOneOutMax: Double?
    /// Recall@k by k (keys are the decimal k, so JSON keeps an object).
    public var recallAt: [String: Double]
    public var weightedPearson: Double?

    public enum CodingKeys: String, CodingKey {
        case weightedTau = "weighted_tau"
        case regretTop1 = "regret_top1"
        case leaveOneOutMin = "leave_one_out_min"
        case leaveOneOutMax = "leave_one_out_max"
        case recallAt = "recall_at"
        case weightedPearson = "weighted_pearson"
    }
}

/// Uncertainty and robustness of a ranking evaluation (see `RankingEvaluation`
/// for the point statistics and their tie rules).
public enum EvaluationUncertainty {
    /// Everything in `RankingUncertainty` for one score against the truth.
    public static func evaluate(
        scores: [Double], truth: [Double], settings: BootstrapSettings = BootstrapSettings(),
        recallCutoffs: [Int] = [1, 3]
    ) throws(EvaluationError) -> RankingUncertainty {
        try EvaluationError.validate(scores, as: .scores, truth, as: .truth)
        let pools = try modelPoolBootstrap(scores: scores, truth: truth, settings: settings)
        let loo = leaveOneModelOut(scores: scores, truth: truth)
        var recall = [String: Double]()
        for k in recallCutoffs { recall[String(k)] = try recallAtK(scores: scores, truth: truth, k: k) }
        return RankingUncertainty(
            weightedTau: pools.weightedTau, regretTop1: pools.regretTop1,
            leaveOneOutMin: loo.min(), leaveOneOutMax: loo.max(),
            recallAt: recall, weightedPearson: try weightedPearson(scores: scores, truth: truth))
    }

    /// The model indices of each bootstrap resample of a pool of `count` models:
    /// `settings.resamples` draws of `count` indices with replacement, from a
    /// generator seeded by `settings.seed` (the same seed gives the same pools).
    public static func resampledIndices(count: Int, settings: BootstrapSettings) -> [[Int]] {
        var rng = SeededGenerator(seed: settings.seed)
        return (0..<settings.resamples).map { _ in (0..<count).map { _ in Int(rng.next() % UInt64(count)) } }
    }

    /// Weighted tau and top-1 regret over model pools resampled with replacement
    /// (models drawn twice count twice, as the bootstrap of a pool of models
    /// drawn from a larger hub assumes).
    public static func modelPoolBootstrap(
        scores: [Double], truth: [Double], settings: BootstrapSettings = BootstrapSettings()
    )
        throws(EvaluationError) -> (weightedTau: BootstrapInterval, regretTop1: BootstrapInterval)
    {
        try EvaluationError.validate(scores, as: .scores, truth, as: .truth)
        try settings.validate()
        var taus = [Double?](), regrets = [Double?]()
        for pool in resampledIndices(count: scores.count, settings: settings) {
            let s = pool.map { scores[$0] }, t = pool.map { truth[$0] }
            taus.append(WeightedTau.averagedHyperbolic(s, t))
            regrets.append(try RankingEvaluation.regretTop1(scores: s, truth: t))
        }
        return (
            interval(estimate: WeightedTau.averagedHyperbolic(scores, truth), values: taus, settings: settings),
            interval(estimate: try RankingEvaluation.regretTop1(scores: scores, truth: truth), values: regrets, settings: settings)
        )
    }

    /// Weighted tau and top-1 regret over resampled *target samples*: each of
    /// `settings.resamples` draws of `sampleCount` sample indices with replacement
    /// is handed to `scoresFor`, which re-scores every model on those samples (in
    /// the order of `truth`). The interval shows how much the ranking depends on
    /// which target samples were labelled.
    public static func targetSampleBootstrap(
        sampleCount: Int, truth: [Double], settings: BootstrapSettings = BootstrapSettings(),
        fullScores: [Double], scoresFor: ([Int]) throws -> [Double]
    )
        throws -> (weightedTau: BootstrapInterval, regretTop1: BootstrapInterval)
    {
        try EvaluationError.validate(fullScores, as: .scores, truth, as: .truth)
        try settings.validate()
        guard sampleCount >= 1 else { throw EvaluationError.invalidSetting(name: "sampleCount", value: "\(sampleCount)", expected: "at least 1") }
        var taus = [Double?](), regrets = [Double?]()
        for samples in resampledIndices(count: sampleCount, settings: settings) {
            let s = try scoresFor(samples)
            try EvaluationError.validate(s, as: .scores, truth, as: .truth)
            taus.append(WeightedTau.averagedHyperbolic(s, truth))
            regrets.append(try RankingEvaluation.regretTop1(scores: s, truth: truth))
        }
        return (
            interval(estimate: WeightedTau.averagedHyperbolic(fullScores, truth), values: taus, settings: settings),
            interval(estimate: try RankingEvaluation.regretTop1(scores: fullScores, truth: truth), values: regrets, settings: settings)
        )
    }

    /// Recall@k: the share of the score's top k picks (score ties broken
    /// pessimistically, as everywhere in `RankingEvaluation`) whose truth is at
    /// least the k-th best truth, i.e. that belong to the true top k (truth ties
    /// at the k-th place all count as top k). `k` above the model count is capped.
    public static func recallAtK(scores: [Double], truth: [Double], k: Int) throws(EvaluationError) -> Double {
        let picks = try RankingEvaluation.topModels(k: k, scores: scores, truth: truth)
        let kk = picks.count
        let threshold = truth.sorted(by: >)[kk - 1]
        return Double(picks.filter { truth[$0] >= threshold }.count) / Double(kk)
    }

    /// Pearson's correlation with linear weights on the truth ranking: the model
    /// with the best truth weighs n, the next n − 1, ..., the worst 1 (ties in
    /// truth share the mean of their weights). This is the authors' `wpearson`
    /// of the ETran benchmark code with the models listed best truth first.
    /// - Returns: nil when either side is constant (under the weights).
    public static func weightedPearson(scores: [Double], truth: [Double]) throws(EvaluationError) -> Double? {
        try EvaluationError.validate(scores, as: .scores, truth, as: .truth)
        // Ascending average ranks of the truth: the best model weighs n, the worst 1.
        let weights = RankCorrelation.averageRanks(truth)
        let total = weights.reduce(0, +)
        var ms = 0.0, mt = 0.0
        for i in scores.indices { ms += weights[i] * scores[i]; mt += weights[i] * truth[i] }
        ms /= total; mt /= total
        var sst = 0.0, sss = 0.0, stt = 0.0
        for i in scores.indices {
            let ds = scores[i] - ms, dt = truth[i] - mt
            sst += weights[i] * ds * dt; sss += weights[i] * ds * ds; stt += weights[i] * dt * dt
        }
        guard sss > 0, stt > 0 else { return nil }
        return max(-1, min(1, sst / (sss * stt).squareRoot()))
    }

    /// Weighted tau with each model left out in turn (n values; a subset where it
    /// is undefined is skipped). Their spread says how much one model decides the
    /// verdict.
    public static func leaveOneModelOut(scores: [Double], truth: [Double]) -> [Double] {
        guard scores.count >= 3 else { return [] }
        return scores.indices.compactMap { left in
            let keep = scores.indices.filter { $0 != left }
            return WeightedTau.averagedHyperbolic(keep.map { scores[$0] }, keep.map { truth[$0] })
        }
    }

    /// The `q`-quantile of sorted values with linear interpolation between order
    /// statistics (NumPy's default `percentile` method).
    public static func quantile(sorted v: [Double], _ q: Double) -> Double {
        precondition(!v.isEmpty && q >= 0 && q <= 1)
        let position = q * Double(v.count - 1)
        let lo = Int(position.rounded(.down)), hi = min(lo + 1, v.count - 1)
        return v[lo] + (position - Double(lo)) * (v[hi] - v[lo])
    }

    static func interval(estimate: Double?, values: [Double?], settings: BootstrapSettings) -> BootstrapInterval {
        let defined = values.compactMap { $0 }.sorted()
        let tail = (1 - settings.level) / 2
        return BootstrapInterval(
            estimate: estimate,
            lower: defined.isEmpty ? nil : quantile(sorted: defined, tail),
            upper: defined.isEmpty ? nil : quantile(sorted: defined, 1 - tail),
            level: settings.level, resamples: settings.resamples,
            undefinedResamples: values.count - defined.count)
    }
}

/// Each metric's standing across several tasks (several score/truth pairs).
public struct MultiTaskSummary: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var name: String
        /// Mean over tasks of the rank by weighted tau among the candidates (1 = best;
        /// ties share the mean rank; a task where its tau is undefined ranks it last).
        public var meanRank: Double
        /// Share of tasks where its weighted tau is the highest (shared on ties).
        public var winRate: Double
        /// Mean weighted tau over the tasks where it is defined.
        public var meanWeightedTau: Double?
        /// Whether it is a static baseline (parameter count, source accuracy, a
        /// truth column) rather than a transferability metric.
        public var isBaseline: Bool

        public enum CodingKeys: String, CodingKey {
            case name
            case meanRank = "mean_rank"
            case winRate = "win_rate"
            case meanWeightedTau = "mean_weighted_tau"
            case isBaseline = "is_baseline"
        }
    }
    public var tasks: Int
    public var entries: [Entry]

    /// `weightedTaus[task][candidate]` with `candidates[i]` named and flagged as a
    /// baseline or not; every task must list every candidate.
    public init(candidates: [(name: String, isBaseline: Bool)], weightedTaus: [[Double?]]) throws(EvaluationError) {
        guard !weightedTaus.isEmpty else { throw .invalidSetting(name: "tasks", value: "0", expected: "at least 1") }
        let m = candidates.count
        var rankSum = [Double](repeating: 0, count: m), wins = [Double](repeating: 0, count: m)
        var tauSum = [Double](repeating: 0, count: m), tauCount = [Int](repeating: 0, count: m)
        for taus in weightedTaus {
            guard taus.count == m else {
                throw .lengthMismatch(first: .scores, firstCount: m, second: .truth, secondCount: taus.count)
            }
            // Undefined taus rank below every defined one.
            let keys = taus.map { $0 ?? -.infinity }
            let ranks = RankCorrelation.averageRanks(keys.map { -$0 }) // 1 = highest tau
            for i in 0..<m { rankSum[i] += ranks[i] }
            let best = keys.max()!
            if best > -.infinity {
                let winners = (0..<m).filter { keys[$0] == best }
                for i in winners { wins[i] += 1 / Double(winners.count) }
            }
            for i in 0..<m { if let v = taus[i] { tauSum[i] += v; tauCount[i] += 1 } }
        }
        let n = Double(weightedTaus.count)
        tasks = weightedTaus.count
        entries = (0..<m).map { i in
            Entry(
                name: candidates[i].name, meanRank: rankSum[i] / n, winRate: wins[i] / n,
                meanWeightedTau: tauCount[i] > 0 ? tauSum[i] / Double(tauCount[i]) : nil,
                isBaseline: candidates[i].isBaseline)
        }
    }
}
