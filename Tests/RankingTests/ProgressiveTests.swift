import Foundation
import Testing
@testable import Ranking

/// The pure parts of progressive ranking: stage sizes, nested stratified orders, the
/// half-sample interval and the elimination rule, each against a brute-force or
/// closed-form check.
@Suite("Progressive ranking: schedule, order, intervals, elimination")
struct ProgressiveTests {
    @Test("stage sizes: ceil(fraction * N), at least the minimum, strictly increasing, ending at N")
    func sizes() {
        #expect(ProgressiveSchedule.standard.sizes(total: 2000) == [200, 500, 1000, 2000])
        #expect(ProgressiveSchedule.standard.sizes(total: 33) == [4, 9, 17, 33])
        // 0.1 * 10 = 1 and 0.25 * 10 = 3 both become the minimum 4: one stage, not two
        #expect(ProgressiveSchedule.standard.sizes(total: 10, minimum: 4) == [4, 5, 10])
        #expect(ProgressiveSchedule.standard.sizes(total: 3, minimum: 4) == [3])
        #expect(ProgressiveSchedule.standard.sizes(total: 0) == [])
        #expect(ProgressiveSchedule(fractions: [0.5]).sizes(total: 7) == [4])
        // whole batches: 200, 500, 1000 rounded up to multiples of 64; the last stays N
        #expect(ProgressiveSchedule.standard.sizes(total: 2000, multiple: 64) == [256, 512, 1024, 2000])
        // 20 and 50 -> 32 and 64; 100 -> 128; 200 stays
        #expect(ProgressiveSchedule.standard.sizes(total: 200, minimum: 20, multiple: 32) == [32, 64, 128, 200])
        // stages that round to the same size or past N collapse
        #expect(ProgressiveSchedule.standard.sizes(total: 60, multiple: 32) == [32, 60])
        #expect(ProgressiveSchedule.standard.sizes(total: 20, multiple: 32) == [20])
    }

    @Test("every prefix of the stratified order holds each class within one sample of its share; seeded")
    func stratifiedPrefixes() {
        // unbalanced classes, interleaved ids
        let labels = (0..<157).map { i in i % 7 == 0 ? 2 : (i % 3 == 0 ? 0 : 1) } + [5, 5, 5]
        let order = StratifiedOrder.order(labels: labels, seed: 11)
        #expect(order.sorted() == Array(labels.indices))
        let totals = Dictionary(grouping: labels, by: { $0 }).mapValues(\.count)
        var seen = [Int: Int]()
        for (n, index) in order.enumerated() {
            seen[labels[index], default: 0] += 1
            for (label, total) in totals {
                let expected = Double(total) * Double(n + 1) / Double(labels.count)
                #expect(abs(Double(seen[label, default: 0]) - expected) <= 1.0 + 1e-9, "prefix \(n + 1), class \(label)")
            }
        }
        #expect(StratifiedOrder.order(labels: labels, seed: 11) == order)
        #expect(StratifiedOrder.order(labels: labels, seed: 12) != order)
    }

    @Test("half-samples: ⌊N/2⌋ distinct indices each, seeded; the interval of a mean has the mean's standard error")
    func halfSampleInterval() {
        let n = 400
        let resamples = HalfSampleInterval.resamples(count: n, resamples: 3000, seed: 5)
        #expect(resamples.allSatisfy { $0.count == n / 2 && Set($0).count == n / 2 && $0.allSatisfy { (0..<n).contains($0) } })
        #expect(HalfSampleInterval.resamples(count: n, resamples: 3, seed: 5) == Array(resamples.prefix(3)))
        // values with known spread; the statistic is their mean
        let values = (0..<n).map { i in sin(Double(i) * 1.7) * 3 + Double(i % 5) }
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        let standardError = (variance / Double(n - 1)).squareRoot() // σ²/(N-1): the half-sample variance, exactly
        let means = resamples.map { r in r.reduce(0) { $0 + values[$1] } / Double(r.count) }
        let interval = HalfSampleInterval.interval(estimate: mean, resampled: means, level: 0.95)
        let z = HalfSampleInterval.z(level: 0.95)
        #expect(abs(z - 1.959963984540054) < 1e-9)
        #expect(abs(HalfSampleInterval.z(level: 0.9) - 1.6448536269514722) < 1e-9)
        #expect(interval.score == mean)
        let half = (interval.upper - interval.lower) / 2
        #expect(abs(half / (z * standardError) - 1) < 0.06, "half-width \(half) vs z·se \(z * standardError)")
        // too few finite values: unbounded
        let open = HalfSampleInterval.interval(estimate: 1, resampled: [2, .nan], level: 0.95)
        #expect(open.lower == -.infinity && open.upper == .infinity)
    }

    @Test("elimination: a model stops only when its whole interval lies below the k-th best's lower bound")
    func elimination() {
        let e = [
            StageEstimate(score: 1.0, lower: 0.9, upper: 1.1), // best
            StageEstimate(score: 0.8, lower: 0.7, upper: 0.9), // 2nd
            StageEstimate(score: 0.65, lower: 0.5, upper: 0.72), // overlaps 2nd's lower bound 0.7
            StageEstimate(score: 0.3, lower: 0.2, upper: 0.69), // wholly below 0.7
            StageEstimate(score: .nan, lower: .nan, upper: .nan), // metric failed
        ]
        let k2 = IntervalElimination.eliminated(e, keep: 2)
        #expect(k2.stopped == [3, 4] && k2.reference == 1)
        // k = 1: the best's lower bound is 0.9; the 2nd's upper bound 0.9 is not below it
        let k1 = IntervalElimination.eliminated(e, keep: 1)
        #expect(k1.stopped == [2, 3, 4] && k1.reference == 0)
        // k at least the number of finite candidates: only the failed one stops
        #expect(IntervalElimination.eliminated(e, keep: 4).stopped == [4])
        // brute force over random cases: stopped iff outside the top k and upper < k-th lower
        var rng = SplitMix(state: 17)
        for _ in 0..<200 {
            let count = Int.random(in: 1...8, using: &rng)
            let k = Int.random(in: 1...4, using: &rng)
            let est = (0..<count).map { _ -> StageEstimate in
                let s = Double(Int.random(in: 0...20, using: &rng)) / 10
                let w = Double(Int.random(in: 0...5, using: &rng)) / 10
                return StageEstimate(score: s, lower: s - w, upper: s + w)
            }
            let (stopped, _) = IntervalElimination.eliminated(est, keep: k)
            let ranked = est.indices.sorted { est[$0].score != est[$1].score ? est[$0].score > est[$1].score : $0 < $1 }
            let expected: [Int] =
                count <= k ? [] : ranked.dropFirst(k).filter { est[$0].upper < est[ranked[k - 1]].lower }.sorted()
            #expect(stopped == expected)
        }
    }

    @Test("settled top k: the top k's lowest lower bound above every other upper bound, the leader's above the rest of the top k")
    func settled() {
        func e(_ s: Double, _ w: Double) -> StageEstimate { StageEstimate(score: s, lower: s - w, upper: s + w) }
        // [0.9, 1.1], [0.75, 0.85], [0.6, 0.7] | [0.3, 0.5], [0.0, 0.4]
        let clear = [e(0.4, 0.1), e(1.0, 0.1), e(0.2, 0.2), e(0.8, 0.05), e(0.65, 0.05)]
        #expect(SettledTopK.settled(clear, keep: 3) == [1, 3, 4])
        #expect(SettledTopK.settled(clear, keep: 1) == [1])
        #expect(SettledTopK.settled(clear, keep: 2) == [1, 3])
        // a stopped model whose upper bound reaches the third's lower bound 0.6 unsettles k = 3 only
        #expect(SettledTopK.settled(clear, keep: 3, stoppedUpper: [0.6]) == nil)
        #expect(SettledTopK.settled(clear, keep: 2, stoppedUpper: [0.6]) == [1, 3])
        // the set is settled but the leader overlaps the second: not settled
        let tiedLeaders = [e(1.0, 0.1), e(0.95, 0.1), e(0.5, 0.1)]
        #expect(SettledTopK.settled(tiedLeaders, keep: 2) == nil)
        #expect(SettledTopK.settled(tiedLeaders, keep: 1) == nil)
        // k or fewer running: only the leader and the stopped models matter
        #expect(SettledTopK.settled([e(1.0, 0.1), e(0.7, 0.1)], keep: 3) == [0, 1])
        #expect(SettledTopK.settled([e(1.0, 0.1)], keep: 3, stoppedUpper: [0.95]) == nil)
        #expect(SettledTopK.settled([e(1.0, 0.1)], keep: 3, stoppedUpper: [0.8]) == [0])
        // unbounded or failed intervals settle nothing
        #expect(SettledTopK.settled([e(1.0, 0.1), StageEstimate(score: 0, lower: -.infinity, upper: .infinity)], keep: 1) == nil)
        #expect(SettledTopK.settled([e(1.0, 0.1), e(.nan, 0.1)], keep: 1) == nil)
        #expect(SettledTopK.settled([], keep: 1) == nil)
        // brute force: settled iff every pair (in the top k, outside it) and every pair (leader, other of the top k)
        // is separated, checked pair by pair
        var rng = SplitMix(state: 23)
        for _ in 0..<500 {
            let count = Int.random(in: 1...7, using: &rng)
            let k = Int.random(in: 1...4, using: &rng)
            let est = (0..<count).map { _ -> StageEstimate in
                e(Double(Int.random(in: 0...30, using: &rng)) / 10, Double(Int.random(in: 0...6, using: &rng)) / 10)
            }
            let stopped = (0..<Int.random(in: 0...2, using: &rng)).map { _ in Double(Int.random(in: 0...20, using: &rng)) / 10 }
            let ranked = est.indices.sorted { est[$0].score != est[$1].score ? est[$0].score > est[$1].score : $0 < $1 }
            let top = Array(ranked.prefix(min(k, count)))
            var ok = true
            for i in top {
                for j in ranked where !top.contains(j) && est[i].lower <= est[j].upper { ok = false }
                for u in stopped where est[i].lower <= u { ok = false }
                if i != top[0], est[top[0]].lower <= est[i].upper { ok = false }
            }
            #expect(SettledTopK.settled(est, keep: k, stoppedUpper: stopped) == (ok ? top : nil))
        }
    }

    @Test("simultaneous level: Bonferroni; all of m independent intervals at that level cover together at least as often as the level says")
    func simultaneousLevel() {
        #expect(abs(SettledTopK.simultaneousLevel(0.95, intervals: 24) - (1 - 0.05 / 24)) < 1e-15)
        #expect(SettledTopK.simultaneousLevel(0.95, intervals: 0) == 0.95)
        // z for 24 intervals: the 1 - 0.05/48 normal quantile (scipy.stats.norm.ppf: 3.0780881)
        #expect(abs(HalfSampleInterval.z(level: SettledTopK.simultaneousLevel(0.95, intervals: 24)) - 3.0780881) < 1e-6)
        // Monte Carlo: 24 standard normal estimates, each interval ± z; all cover in >= 95% of 4000 trials
        let z = HalfSampleInterval.z(level: SettledTopK.simultaneousLevel(0.95, intervals: 24))
        var rng = SplitMix(state: 5)
        var allCover = 0
        for _ in 0..<4000 {
            var ok = true
            for _ in 0..<24 {
                let u1 = Double(rng.next() >> 11 + 1) / Double(1 << 53), u2 = Double(rng.next() >> 11) / Double(1 << 53)
                let x = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                if abs(x) > z { ok = false }
            }
            if ok { allCover += 1 }
        }
        // exact: (1 - 0.05/24)^24 = 0.9512; 4000 trials: sd 0.0034
        #expect(Double(allCover) / 4000 > 0.94, "\(allCover)")
    }

    @Test("budgets: N, N-samples and Ns parse; a stage may start while the budget (or its predicted time) allows")
    func budgets() {
        #expect(ProgressiveBudget(parsing: "500") == .samples(500))
        #expect(ProgressiveBudget(parsing: "500-samples") == .samples(500))
        #expect(ProgressiveBudget(parsing: "90s") == .seconds(90))
        #expect(ProgressiveBudget(parsing: "1.5s") == .seconds(1.5))
        for bad in ["", "0", "-3", "abc", "5m", "0s", "x-samples"] { #expect(ProgressiveBudget(parsing: bad) == nil, "\(bad)") }
        #expect(ProgressiveBudget.samples(100).allows(stageSamples: 40, spentSamples: 60, spentSeconds: 0))
        #expect(!ProgressiveBudget.samples(100).allows(stageSamples: 41, spentSamples: 60, spentSeconds: 0))
        // 10 s for 100 model-samples: 50 more predicted at 5 s
        #expect(ProgressiveBudget.seconds(15).allows(stageSamples: 50, spentSamples: 100, spentSeconds: 10))
        #expect(!ProgressiveBudget.seconds(14.9).allows(stageSamples: 50, spentSamples: 100, spentSeconds: 10))
    }
}

/// A seeded generator for the brute-force cases.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
