import Numerics
import Ranking
import Testing

/// The O(n log n) weighted tau against the O(n²) definition, hand-computed
/// values and invariances.
@Suite struct WeightedTauTests {
    /// Both are sums of at most a few thousand terms of size ≤ 2 in different
    /// orders; 1e-12 leaves room for that rounding and nothing else.
    static let tolerance = 1e-12

    /// Level counts for the random cases: `nil` is continuous (no ties),
    /// 2 gives mostly ties, 3 and 5 a mix, including joint ties.
    static let tieLevels: [Int?] = [nil, 2, 3, 5]

    @Test("matches the brute-force definition on random data", arguments: tieLevels, tieLevels)
    func matchesBruteForce(xLevels: Int?, yLevels: Int?) throws {
        var random = EvaluationTestRandom(seed: 0xE7A1 &+ UInt64(xLevels ?? 0) &* 31 &+ UInt64(yLevels ?? 0))
        var undefined = 0
        for trial in 0..<150 {
            let n = Int.random(in: 2...40, using: &random)
            let x = random.sample(count: n, levels: xLevels)
            let y = random.sample(count: n, levels: yLevels)
            let expected = BruteForceRankStatistics.weightedTau(x, y)
            if expected == nil { undefined += 1 }
            EvaluationCheck.close(
                try RankCorrelation.weightedTau(x, y), expected,
                tolerance: Self.tolerance,
                "trial \(trial), x=\(x), y=\(y)")
        }
        // Guards against the generator degenerating into constant samples.
        #expect(undefined < 30)
    }

    @Test("matches the brute-force definition for larger n", arguments: [97, 200, 333])
    func matchesBruteForceLarge(n: Int) throws {
        var random = EvaluationTestRandom(seed: UInt64(n))
        for levels in [nil, 4, 20] as [Int?] {
            let x = random.sample(count: n, levels: levels)
            let y = zip(x, random.sample(count: n, levels: levels)).map { $0 + $1 }
            EvaluationCheck.close(
                try RankCorrelation.weightedTau(x, y),
                BruteForceRankStatistics.weightedTau(x, y),
                tolerance: Self.tolerance, "n=\(n), levels=\(String(describing: levels))")
        }
    }

    @Test func identicalOrderingGivesOne() throws {
        let x = [0.3, 1.5, -2.0, 7.25, 4.0]
        #expect(try RankCorrelation.weightedTau(x, x) == 1)
        #expect(try RankCorrelation.weightedTau(x, x.map { $0 * $0 * $0 }) == 1)
    }

    @Test func reversedOrderingGivesMinusOne() throws {
        let x = [0.3, 1.5, -2.0, 7.25, 4.0]
        #expect(try RankCorrelation.weightedTau(x, x.map { -$0 }) == -1)
    }

    /// x = [1, 2, 3], y = [1, 3, 2]. Ranked by x, the items weigh 1/3, 1/2, 1
    /// (largest x most important). Pairs (0,1) and (0,2) are concordant with
    /// weights 5/6 and 4/3, pair (1,2) discordant with weight 3/2:
    /// (5/6 + 4/3 − 3/2) / (5/6 + 4/3 + 3/2) = (2/3) / (11/3) = 2/11.
    /// Ranked by y the pair weights are the same multiset, so the mean is 2/11.
    @Test func handComputedWithoutTies() throws {
        let value = try #require(try RankCorrelation.weightedTau([1, 2, 3], [1, 3, 2]))
        #expect(value.isApproximatelyEqual(to: 2.0 / 11, absoluteTolerance: 1e-15))
    }

    /// x = [1, 1, 2], y = [1, 2, 3]. Weights 1/3, 1/2, 1 in both rankings.
    /// Pair (0,1) is tied in x (weight 5/6, only in the y-part of the
    /// denominator); (0,2) and (1,2) are concordant (4/3 + 3/2 = 17/6):
    /// (17/6) / sqrt(17/6 · 22/6) = sqrt(17/22).
    @Test func handComputedWithTieInX() throws {
        let value = try #require(try RankCorrelation.weightedTau([1, 1, 2], [1, 2, 3]))
        #expect(value.isApproximatelyEqual(to: (17.0 / 22).squareRoot(), absoluteTolerance: 1e-15))
    }

    /// The example in scipy's `weightedtau` documentation.
    @Test func scipyDocumentationExample() throws {
        let value = try #require(try RankCorrelation.weightedTau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]))
        #expect(value.isApproximatelyEqual(to: -0.56694968153682723, absoluteTolerance: 1e-15))
    }

    @Test func constantSideIsUndefined() throws {
        #expect(try RankCorrelation.weightedTau([2, 2, 2], [1, 2, 3]) == nil)
        #expect(try RankCorrelation.weightedTau([1, 2, 3], [5, 5, 5]) == nil)
        #expect(try RankCorrelation.weightedTau([4, 4], [4, 4]) == nil)
    }

    /// `rank=True` averages both lexicographic orders, so swapping x and y
    /// cannot change the value (not even by rounding: the two terms are the
    /// same numbers added in the other order).
    @Test func symmetricInItsArguments() throws {
        var random = EvaluationTestRandom(seed: 11)
        for _ in 0..<50 {
            let x = random.sample(count: 12, levels: 4)
            let y = random.sample(count: 12, levels: nil)
            #expect(try RankCorrelation.weightedTau(x, y) == RankCorrelation.weightedTau(y, x))
        }
    }

    /// Reordering the models (the same permutation on both sides) must not
    /// matter, including the order of jointly tied models.
    @Test func invariantToModelOrder() throws {
        var random = EvaluationTestRandom(seed: 12)
        for _ in 0..<50 {
            let x = random.sample(count: 15, levels: 3)
            let y = random.sample(count: 15, levels: 3)
            let permutation = Array(0..<15).shuffled(using: &random)
            EvaluationCheck.close(
                try RankCorrelation.weightedTau(permutation.map { x[$0] }, permutation.map { y[$0] }),
                try RankCorrelation.weightedTau(x, y),
                tolerance: Self.tolerance, "x=\(x), y=\(y), permutation=\(permutation)")
        }
    }

    /// Unlike plain Kendall tau, weighted tau rewards agreement at the top: a
    /// swap of the two best models costs more than a swap of the two worst.
    @Test func topSwapsCostMoreThanBottomSwaps() throws {
        let truth: [Double] = [1, 2, 3, 4, 5, 6]
        let topSwapped: [Double] = [1, 2, 3, 4, 6, 5]
        let bottomSwapped: [Double] = [2, 1, 3, 4, 5, 6]
        let top = try #require(try RankCorrelation.weightedTau(topSwapped, truth))
        let bottom = try #require(try RankCorrelation.weightedTau(bottomSwapped, truth))
        #expect(top < bottom)
        #expect(try RankCorrelation.kendallTauB(topSwapped, truth) == RankCorrelation.kendallTauB(bottomSwapped, truth))
    }
}
