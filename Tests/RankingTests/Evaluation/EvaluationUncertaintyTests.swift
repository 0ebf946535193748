import Foundation
import Testing
@testable import Ranking

/// Bootstrap intervals, Recall@k, weighted Pearson, leave-one-out stability and
/// multi-task aggregation, each against a plain recomputation.
@Suite("Evaluation with its uncertainty")
struct EvaluationUncertaintyTests {
    static let scores = [0.9, 0.1, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6]
    static let truth = [88.0, 70.0, 80.0, 85.0, 75.0, 83.0, 72.0, 86.0]

    @Test("the model-pool interval is the percentile interval of the statistic over the seeded pools")
    func modelPoolBruteForce() throws {
        let settings = BootstrapSettings(resamples: 200, level: 0.9, seed: 42)
        let result = try EvaluationUncertainty.modelPoolBootstrap(scores: Self.scores, truth: Self.truth, settings: settings)
        let pools = EvaluationUncertainty.resampledIndices(count: 8, settings: settings)
        #expect(pools.count == 200 && pools.allSatisfy { $0.count == 8 && $0.allSatisfy { (0..<8).contains($0) } })
        var taus = [Double](), regrets = [Double]()
        var undefined = 0
        for pool in pools {
            let s = pool.map { Self.scores[$0] }, t = pool.map { Self.truth[$0] }
            if let tau = try RankCorrelation.weightedTau(s, t) { taus.append(tau) } else { undefined += 1 }
            // Plain top-1 regret: the highest score, ties to the lower truth.
            let top = s.indices.max { s[$0] != s[$1] ? s[$0] < s[$1] : t[$0] > t[$1] }!
            regrets.append(t.max()! - t[top])
        }
        func plainPercentile(_ v: [Double], _ q: Double) -> Double {
            let s = v.sorted(), h = q * Double(s.count - 1)
            let lo = Int(h), frac = h - Double(lo)
            return lo + 1 < s.count ? s[lo] * (1 - frac) + s[lo + 1] * frac : s[lo]
        }
        #expect(result.weightedTau.undefinedResamples == undefined)
        #expect(isClose(result.weightedTau.lower!, plainPercentile(taus, 0.05), relative: 1e-12))
        #expect(isClose(result.weightedTau.upper!, plainPercentile(taus, 0.95), relative: 1e-12))
        #expect(isClose(result.regretTop1.upper!, plainPercentile(regrets, 0.95), relative: 1e-12, absolute: 1e-12))
        #expect(result.weightedTau.estimate == (try RankCorrelation.weightedTau(Self.scores, Self.truth)))
        #expect(result.weightedTau.lower! <= result.weightedTau.upper!)
        // Seeded: same seed, same interval; another seed, other pools.
        let again = try EvaluationUncertainty.modelPoolBootstrap(scores: Self.scores, truth: Self.truth, settings: settings)
        #expect(again == result)
        #expect(EvaluationUncertainty.resampledIndices(count: 8, settings: BootstrapSettings(resamples: 200, seed: 43)) != pools)
    }

    @Test("NumPy's linear percentile")
    func quantiles() {
        // numpy.percentile([1, 2, 4, 8], [0, 25, 50, 90, 100]) = 1, 1.75, 3, 6.8, 8
        let v = [1.0, 2, 4, 8]
        for (q, e) in [(0.0, 1.0), (0.25, 1.75), (0.5, 3.0), (0.9, 6.8), (1.0, 8.0)] {
            #expect(isClose(EvaluationUncertainty.quantile(sorted: v, q), e, relative: 1e-12))
        }
    }

    @Test("target-sample bootstrap re-scores on each seeded resample; identical resamples give a point interval")
    func targetSamples() throws {
        let settings = BootstrapSettings(resamples: 50, seed: 7)
        var seen = [[Int]]()
        let result = try EvaluationUncertainty.targetSampleBootstrap(
            sampleCount: 30, truth: Self.truth, settings: settings,
            fullScores: Self.scores
        ) { samples in
            seen.append(samples)
            // A fake metric: the mean of the resampled sample ids shifts every score alike.
            let shift = Double(samples.reduce(0, +)) / Double(samples.count)
            return Self.scores.map { $0 + shift }
        }
        #expect(seen == EvaluationUncertainty.resampledIndices(count: 30, settings: settings))
        let tau = try #require(try RankCorrelation.weightedTau(Self.scores, Self.truth))
        #expect(isClose(result.weightedTau.lower!, tau, relative: 1e-12) && isClose(result.weightedTau.upper!, tau, relative: 1e-12))
    }

    @Test("Recall@k against the definition, with truth ties")
    func recall() throws {
        // Score's top 3: 0 (88), 5 (83), 3 (85). True top 3: 0, 7, 3 (truth >= 85).
        #expect(try EvaluationUncertainty.recallAtK(scores: Self.scores, truth: Self.truth, k: 3) == 2.0 / 3)
        #expect(try EvaluationUncertainty.recallAtK(scores: Self.scores, truth: Self.truth, k: 1) == 1)
        #expect(try EvaluationUncertainty.recallAtK(scores: Self.scores, truth: Self.truth, k: 20) == 1)
        #expect(try EvaluationUncertainty.recallAtK(scores: [3, 2, 1], truth: [1, 5, 5], k: 1) == 0)
        #expect(try EvaluationUncertainty.recallAtK(scores: [1, 2, 3], truth: [1, 5, 5], k: 1) == 1)
        #expect(throws: EvaluationError.invalidTopK(0)) { try EvaluationUncertainty.recallAtK(scores: [1, 2], truth: [1, 2], k: 0) }
    }

    @Test("weighted Pearson equals the ETran benchmark's wpearson with models listed best truth first")
    func weightedPearson() throws {
        // Their formula, plainly: weights n..1 down the list sorted by truth.
        let order = Self.truth.indices.sorted { Self.truth[$0] > Self.truth[$1] }
        let x = order.map { Self.scores[$0] }, y = order.map { Self.truth[$0] }
        let w = (0..<x.count).map { Double(x.count - $0) }
        let ws = w.reduce(0, +)
        let mx = zip(w, x).map(*).reduce(0, +) / ws, my = zip(w, y).map(*).reduce(0, +) / ws
        var top = 0.0, b1 = 0.0, b2 = 0.0
        for i in x.indices { top += w[i] * (x[i] - mx) * (y[i] - my); b1 += w[i] * (x[i] - mx) * (x[i] - mx); b2 += w[i] * (y[i] - my) * (y[i] - my) }
        let expected = top / (b1 * b2).squareRoot()
        let value = try #require(try EvaluationUncertainty.weightedPearson(scores: Self.scores, truth: Self.truth))
        #expect(isClose(value, expected, relative: 1e-12))
        #expect(try EvaluationUncertainty.weightedPearson(scores: [1, 1, 1], truth: [1, 2, 3]) == nil)
    }

    @Test("leave-one-model-out recomputes weighted tau on every subset")
    func leaveOneOut() throws {
        let values = EvaluationUncertainty.leaveOneModelOut(scores: Self.scores, truth: Self.truth)
        #expect(values.count == 8)
        for left in 0..<8 {
            let keep = (0..<8).filter { $0 != left }
            #expect(values[left] == (try RankCorrelation.weightedTau(keep.map { Self.scores[$0] }, keep.map { Self.truth[$0] })))
        }
        let summary = try EvaluationUncertainty.evaluate(scores: Self.scores, truth: Self.truth, settings: BootstrapSettings(resamples: 20))
        #expect(summary.leaveOneOutMin == values.min() && summary.leaveOneOutMax == values.max())
        #expect(summary.recallAt["3"] == 2.0 / 3)
    }

    @Test("multi-task mean rank and win rate, with ties and undefined taus")
    func multiTask() throws {
        let summary = try MultiTaskSummary(
            candidates: [("logme", false), ("hscore", false), ("params", true)],
            weightedTaus: [[0.8, 0.5, 0.2], [0.4, 0.4, 0.9], [nil, 0.1, 0.0]])
        // Task 1 ranks 1, 2, 3; task 2: 2.5, 2.5, 1; task 3 (undefined last): 3, 1, 2.
        let expectedRanks: [Double] = [6.5 / 3, 5.5 / 3, 6.0 / 3]
        let ranks = summary.entries.map(\.meanRank)
        #expect(ranks == expectedRanks)
        let third: Double = 1.0 / 3
        let winRates = summary.entries.map(\.winRate)
        #expect(winRates == [third, third, third])
        #expect(isClose(summary.entries[0].meanWeightedTau!, 0.6, relative: 1e-12))
        #expect(summary.entries[2].isBaseline)
        #expect(throws: EvaluationError.self) { try MultiTaskSummary(candidates: [("a", false)], weightedTaus: [[0.1, 0.2]]) }
        #expect(throws: EvaluationError.invalidSetting(name: "tasks", value: "0", expected: "at least 1")) {
            try MultiTaskSummary(candidates: [("a", false)], weightedTaus: [])
        }
    }

    @Test("bad settings and inputs are typed errors")
    func errors() {
        #expect(throws: EvaluationError.invalidSetting(name: "resamples", value: "0", expected: "at least 1")) {
            try EvaluationUncertainty.modelPoolBootstrap(scores: [1, 2], truth: [1, 2], settings: BootstrapSettings(resamples: 0))
        }
        #expect(throws: EvaluationError.self) {
            try EvaluationUncertainty.modelPoolBootstrap(scores: [1, .nan], truth: [1, 2])
        }
    }
}
