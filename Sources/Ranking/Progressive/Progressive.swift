import Foundation
import Support

/// The stages of a progressive ranking: growing fractions of the samples, each stage
/// a superset of the one before (`StratifiedOrder` prefixes).
public struct ProgressiveSchedule: Sendable, Equatable {
    /// Increasing fractions in (0, 1]; the last is normally 1.
    public var fractions: [Double]

    public static let standard = ProgressiveSchedule(fractions: [0.1, 0.25, 0.5, 1.0])

    public init(fractions: [Double]) {
        self.fractions = fractions
    }

    /// The sample count of each stage for `total` samples: `ceil(fraction * total)`,
    /// at least `minimum` (a metric needs a few samples per class), at most `total`,
    /// strictly increasing (stages that would repeat a size are dropped). The last
    /// stage is always `total` when the last fraction is 1.
    ///
    /// With `multiple` > 1 every stage but one of `total` samples is rounded up to a
    /// multiple of it (the batch size): each stage's new samples then fill whole
    /// batches, so every forward pass has the shape a full extraction's has (a
    /// TorchScript model re-optimises, 2-3x slower, at each new input shape).
    public func sizes(total: Int, minimum: Int = 1, multiple: Int = 1) -> [Int] {
        guard total > 0 else { return [] }
        let m = max(1, multiple)
        var out = [Int]()
        for f in fractions where f > 0 {
            var n = min(total, max(minimum, Int((f * Double(total)).rounded(.up))))
            n = min(total, (n + m - 1) / m * m)
            if n > (out.last ?? 0) { out.append(n) }
        }
        return out
    }
}

/// A seeded order of sample indices whose every prefix is stratified by label: a
/// prefix of n samples holds each class in proportion to its share of the dataset,
/// within one sample. Prefixes are nested by construction, so the samples of a stage
/// are a superset of the previous stage's.
public enum StratifiedOrder {
    /// Within each class the samples are shuffled (seeded); the j-th of a class of
    /// size m gets the position (j + 0.5) / m in [0, 1], and all samples are sorted
    /// by position (ties broken by a seeded random key, then by index).
    public static func order(labels: [Int], seed: UInt64) -> [Int] {
        var byClass = [Int: [Int]]()
        for (i, label) in labels.enumerated() { byClass[label, default: []].append(i) }
        var keyed = [(position: Double, tie: UInt64, index: Int)]()
        keyed.reserveCapacity(labels.count)
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            var rng = SeededGenerator(seed: seed, stream: UInt64(bitPattern: Int64(label)))
            for i in stride(from: members.count - 1, to: 0, by: -1) {
                members.swapAt(i, Int(rng.next() % UInt64(i + 1)))
            }
            let m = Double(members.count)
            for (j, index) in members.enumerated() { keyed.append(((Double(j) + 0.5) / m, rng.next(), index)) }
        }
        keyed.sort { a, b in
            if a.position != b.position { return a.position < b.position }
            if a.tie != b.tie { return a.tie < b.tie }
            return a.index < b.index
        }
        return keyed.map(\.index)
    }
}

/// A model's score at one stage with its confidence interval.
public struct StageEstimate: Sendable, Equatable, Codable {
    /// The score the decisions use: the stage's own, or its projection to
    /// `projectedTo` samples when the metric drifts with the sample count and can
    /// project (`SampleCountProjecting`).
    public var score: Double
    public var lower: Double
    public var upper: Double
    /// The metric on the stage's samples, when `score` is a projection.
    public var observed: Double?
    /// The sample count `score` and its interval are projected to (nil: the stage's own).
    public var projectedTo: Int?

    public init(score: Double, lower: Double, upper: Double, observed: Double? = nil, projectedTo: Int? = nil) {
        self.score = score
        self.lower = lower
        self.upper = upper
        self.observed = observed
        self.projectedTo = projectedTo
    }

    enum CodingKeys: String, CodingKey {
        case score, lower, upper, observed
        case projectedTo = "projected_to"
    }
}

/// Successive halving with confidence intervals: after a stage, a model stops when
/// its whole interval lies below the lower bound of the k-th best model (by score)
/// of that stage, so it cannot be among the top k at the precision reached.
public enum IntervalElimination {
    /// The indices of `estimates` to stop, and the k-th best index they were compared
    /// with. Nothing stops when there are k or fewer candidates (k < 1 counts as 1).
    /// Non-finite scores stop (a model whose metric fails cannot win).
    public static func eliminated(_ estimates: [StageEstimate], keep k: Int) -> (stopped: [Int], reference: Int?) {
        let k = max(1, k)
        let finite = estimates.indices.filter { estimates[$0].score.isFinite }
        let invalid = estimates.indices.filter { !estimates[$0].score.isFinite }
        guard finite.count > k else { return (invalid, nil) }
        let order = finite.sorted { a, b in
            estimates[a].score != estimates[b].score ? estimates[a].score > estimates[b].score : a < b
        }
        let reference = order[k - 1]
        let threshold = estimates[reference].lower
        let stopped = order.dropFirst(k).filter { estimates[$0].upper < threshold }
        return ((stopped + invalid).sorted(), reference)
    }
}

/// The stopping rule for the models that survive elimination: after a stage, the
/// top-k set and its leader are settled when
/// - every model of the top k (by score, among the models still running) has a lower
///   bound above the upper bound of every other running model and of every stopped
///   model (so nothing still running can enter or leave the top k), and
/// - the leader's lower bound lies above the upper bound of each other model of the
///   top k (so the top-1 is known too).
///
/// Then extracting more samples cannot change the claim "these k models are the top
/// k, and this one is the best" at the confidence of the intervals; the order inside
/// the top k and below it is not claimed. The intervals must be simultaneous (every
/// interval of every stage covers at once, `simultaneousLevel`) for the claim to hold
/// at their level: the rule looks at many intervals, at several stages.
public enum SettledTopK {
    /// The top k (best first; k is capped at the running models) when settled, else
    /// nil. `stoppedUpper`: the upper bounds of models stopped earlier. Any
    /// non-finite score or bound among the running models settles nothing.
    public static func settled(_ estimates: [StageEstimate], keep k: Int, stoppedUpper: [Double] = []) -> [Int]? {
        guard !estimates.isEmpty,
            estimates.allSatisfy({ $0.score.isFinite && $0.lower.isFinite && $0.upper.isFinite })
        else { return nil }
        let order = estimates.indices.sorted { a, b in
            estimates[a].score != estimates[b].score ? estimates[a].score > estimates[b].score : a < b
        }
        let top = Array(order.prefix(max(1, min(k, estimates.count))))
        let outside = order.dropFirst(top.count).map { estimates[$0].upper } + stoppedUpper
        let lowestTop = top.map { estimates[$0].lower }.min()!
        if let highest = outside.max(), !(lowestTop > highest) { return nil }
        let leader = estimates[top[0]].lower
        for i in top.dropFirst() where !(leader > estimates[i].upper) { return nil }
        return top
    }

    /// The level of each interval such that all `intervals` of a run cover at once
    /// with probability at least `level` (Bonferroni: 1 - (1 - level) / intervals).
    public static func simultaneousLevel(_ level: Double, intervals: Int) -> Double {
        1 - (1 - level) / Double(max(1, intervals))
    }
}

/// A confidence interval for a statistic of N samples from half-samples: each
/// resample is ⌊N/2⌋ samples drawn without replacement (seeded), and the interval is
/// the full-data estimate ± z · sd(resample statistics).
///
/// Why half-samples, not the usual bootstrap with replacement: a resample with
/// duplicated rows makes a model look more certain than it is (LogME's evidence
/// rises when a point appears twice), which shifts every resample's score. Drawing
/// half the samples without replacement has no duplicates, and for a mean-like
/// statistic its variance, σ²(1/(N/2) − 1/N), equals the full estimate's σ²/N
/// (McCarthy's half-sampling), so the spread of the resamples estimates the spread
/// of the full-data statistic directly. Centring on the full-data estimate keeps any
/// shift of the statistic with the sample count out of the interval.
public enum HalfSampleInterval {
    /// The resamples' index sets: the same for every model given the same seed, so
    /// models are compared on the same samples.
    public static func resamples(count: Int, resamples: Int, seed: UInt64) -> [[Int]] {
        let half = max(1, count / 2)
        return (0..<resamples).map { r in
            var rng = SeededGenerator(seed: seed, stream: UInt64(r))
            var indices = Array(0..<count)
            // partial Fisher-Yates: the first `half` positions are a uniform subset
            for i in 0..<min(half, max(count - 1, 0)) {
                indices.swapAt(i, i + Int(rng.next() % UInt64(count - i)))
            }
            return Array(indices.prefix(half)).sorted()
        }
    }

    /// The two-sided normal quantile for `level` (0.95 -> 1.95996...).
    public static func z(level: Double) -> Double {
        let target = 1 - (1 - level) / 2
        var lo = 0.0, hi = 10.0
        for _ in 0..<80 {
            let mid = (lo + hi) / 2
            if 0.5 * erfc(-mid / 2.0.squareRoot()) < target { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// The interval around `estimate` from the statistic's values on the resamples
    /// (non-finite values are left out; with fewer than two finite values the
    /// interval is unbounded).
    public static func interval(estimate: Double, resampled: [Double], level: Double) -> StageEstimate {
        let values = resampled.filter(\.isFinite)
        guard values.count >= 2, estimate.isFinite else {
            return StageEstimate(score: estimate, lower: -.infinity, upper: .infinity)
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        let half = z(level: level) * variance.squareRoot()
        return StageEstimate(score: estimate, lower: estimate - half, upper: estimate + half)
    }
}

/// How much extraction a progressive ranking may spend.
public enum ProgressiveBudget: Sendable, Equatable, CustomStringConvertible {
    /// Model-samples: the sum over models of the samples each is run on.
    case samples(Int)
    case seconds(Double)

    /// Parses `N`, `N-samples` or `Ns` (seconds).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix("-samples"), let n = Int(t.dropLast("-samples".count)), n > 0 {
            self = .samples(n)
        } else if t.hasSuffix("s"), let s = Double(t.dropLast()), s > 0, s.isFinite {
            self = .seconds(s)
        } else if let n = Int(t), n > 0 {
            self = .samples(n)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .samples(let n): return "\(n)-samples"
        case .seconds(let s): return "\(s)s"
        }
    }

    /// Whether a stage costing `stageSamples` model-samples may start after
    /// `spentSamples` model-samples in `spentSeconds` (the time of the next stage is
    /// predicted from the rate so far).
    public func allows(stageSamples: Int, spentSamples: Int, spentSeconds: Double) -> Bool {
        switch self {
        case .samples(let n):
            return spentSamples + stageSamples <= n
        case .seconds(let s):
            guard spentSamples > 0 else { return true }
            let rate = spentSeconds / Double(spentSamples)
            return spentSeconds + rate * Double(stageSamples) <= s
        }
    }
}

/// Why a model's progressive ranking ended where it did.
public struct ProgressiveOutcome: Codable, Sendable, Equatable {
    /// 1-based stage index reached, and the number of samples it had.
    public var stage: Int
    public var samples: Int
    /// "complete" (scored on every sample), "eliminated", "settled" (the top-k set and
    /// its leader were settled before the last stage) or "budget".
    public var status: String
    /// The sentence for a person.
    public var reason: String
    /// The last stage's interval (absent on the last stage, where none is computed).
    public var interval: StageEstimate?
    /// Whether the score is from fewer samples than the dataset holds.
    public var partial: Bool

    public init(stage: Int, samples: Int, status: String, reason: String, interval: StageEstimate? = nil, partial: Bool) {
        self.stage = stage
        self.samples = samples
        self.status = status
        self.reason = reason
        self.interval = interval
        self.partial = partial
    }
}
