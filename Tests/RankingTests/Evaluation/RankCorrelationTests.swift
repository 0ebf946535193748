import Numerics
import Ranking
import Testing

/// Kendall tau-b, Spearman and Pearson against brute-force definitions and
/// hand-checkable values.
@Suite struct RankCorrelationTests {
    /// Sums of at most ~1000 terms of modest size; see `WeightedTauTests`.
    static let tolerance = 1e-12

    static let tieLevels: [Int?] = [nil, 2, 3, 6]

    @Test("Kendall tau-b and Spearman match brute force on random data", arguments: tieLevels, tieLevels)
    func matchesBruteForce(xLevels: Int?, yLevels: Int?) throws {
        var random = EvaluationTestRandom(seed: 0x5EED &+ UInt64(xLevels ?? 0) &* 97 &+ UInt64(yLevels ?? 0))
        for trial in 0..<100 {
            let n = Int.random(in: 2...45, using: &random)
            let x = random.sample(count: n, levels: xLevels)
            let y = random.sample(count: n, levels: yLevels)
            let context = "trial \(trial), x=\(x), y=\(y)"
            EvaluationCheck.close(
                try RankCorrelation.kendallTauB(x, y), BruteForceRankStatistics.kendallTauB(x, y),
                tolerance: Self.tolerance, "kendall " + context)
            EvaluationCheck.close(
                try RankCorrelation.spearman(x, y), BruteForceRankStatistics.spearman(x, y),
                tolerance: Self.tolerance, "spearman " + context)
            EvaluationCheck.close(
                try RankCorrelation.pearson(x, y), BruteForceRankStatistics.pearson(x, y),
                tolerance: Self.tolerance, "pearson " + context)
        }
    }

    @Test func identicalOrderingGivesOne() throws {
        let x: [Double] = [3, 1, 4, 1.5, 9, 2.6]
        let cubed = x.map { $0 * $0 * $0 }
        // Exactly 1, not 1 − ulp: equal orderings give equal numerator and
        // denominator.
        #expect(try RankCorrelation.kendallTauB(x, cubed) == 1)
        #expect(try RankCorrelation.spearman(x, cubed) == 1)
        #expect(try RankCorrelation.pearson(x, x) == 1)
        // Pearson measures linearity, not order: a monotone cubic is below 1.
        let cubic = try #require(try RankCorrelation.pearson(x, cubed))
        #expect(cubic < 0.99)
    }

    @Test func reversedOrderingGivesMinusOne() throws {
        let x: [Double] = [3, 1, 4, 1.5, 9, 2.6]
        let reversed = x.map { -2 * $0 + 7 }
        #expect(try RankCorrelation.kendallTauB(x, reversed) == -1)
        for value in [try RankCorrelation.spearman(x, reversed), try RankCorrelation.pearson(x, reversed)] {
            let unwrapped = try #require(value)
            #expect(unwrapped.isApproximatelyEqual(to: -1, absoluteTolerance: 1e-15))
        }
    }

    /// x = [1, 2, 3], y = [1, 3, 2]: two concordant pairs, one discordant, so
    /// tau = 1/3; rank differences 0, 1, 1 give Spearman
    /// 1 − 6·2 / (3·8) = 1/2, and Pearson equals Spearman on these ranks.
    @Test func handComputedWithoutTies() throws {
        let x: [Double] = [1, 2, 3], y: [Double] = [1, 3, 2]
        #expect(try #require(try RankCorrelation.kendallTauB(x, y)).isApproximatelyEqual(to: 1.0 / 3, absoluteTolerance: 1e-15))
        #expect(try #require(try RankCorrelation.spearman(x, y)).isApproximatelyEqual(to: 0.5, absoluteTolerance: 1e-15))
        #expect(try #require(try RankCorrelation.pearson(x, y)).isApproximatelyEqual(to: 0.5, absoluteTolerance: 1e-15))
    }

    /// x = [1, 1, 2], y = [1, 2, 3]: C = 2, D = 0, n0 = 3 pairs, one tied in x,
    /// none in y, so tau-b = 2 / sqrt(2 · 3). Average ranks of x are
    /// [1.5, 1.5, 3], so Spearman = corr([1.5, 1.5, 3], [1, 2, 3]) = sqrt(3)/2.
    @Test func handComputedWithTies() throws {
        let x: [Double] = [1, 1, 2], y: [Double] = [1, 2, 3]
        #expect(try #require(try RankCorrelation.kendallTauB(x, y)).isApproximatelyEqual(to: (2.0 / 3).squareRoot(), absoluteTolerance: 1e-15))
        #expect(try #require(try RankCorrelation.spearman(x, y)).isApproximatelyEqual(to: 3.0.squareRoot() / 2, absoluteTolerance: 1e-15))
    }

    @Test func constantSideIsUndefined() throws {
        let constant: [Double] = [0.5, 0.5, 0.5, 0.5]
        let varying: [Double] = [1, 3, 2, 4]
        for (x, y) in [(constant, varying), (varying, constant)] {
            #expect(try RankCorrelation.kendallTauB(x, y) == nil)
            #expect(try RankCorrelation.spearman(x, y) == nil)
            #expect(try RankCorrelation.pearson(x, y) == nil)
        }
    }

    /// Negating one side negates Kendall and Spearman exactly (the pair
    /// classification and the rank pattern mirror). Weighted tau has no such
    /// identity, because negation also changes which models weigh most.
    @Test func negationFlipsSign() throws {
        var random = EvaluationTestRandom(seed: 21)
        for _ in 0..<30 {
            let x = random.sample(count: 10, levels: 4)
            let y = random.sample(count: 10, levels: nil)
            let negated = y.map { -$0 }
            EvaluationCheck.close(
                try RankCorrelation.kendallTauB(x, negated), try RankCorrelation.kendallTauB(x, y).map { -$0 },
                tolerance: 1e-15, "kendall x=\(x) y=\(y)")
            EvaluationCheck.close(
                try RankCorrelation.spearman(x, negated), try RankCorrelation.spearman(x, y).map { -$0 },
                tolerance: 1e-15, "spearman x=\(x) y=\(y)")
        }
    }

    /// Extreme but finite magnitudes must neither overflow (the sum for the
    /// mean of values near the largest Double) nor underflow (squares of
    /// subnormal deviations); Pearson is scale-invariant, so the answer is
    /// that of the same data at unit scale.
    @Test func pearsonSurvivesExtremeMagnitudes() throws {
        let unit: [Double] = [1, -1, 0.5, 0.25]
        let y: [Double] = [2, -1, 0, 1]
        let reference = try #require(try RankCorrelation.pearson(unit, y))
        for scale in [0x1p1020, 0x1p-1070, 0x1p-1000] as [Double] {
            let scaled = unit.map { $0 * scale }
            let value = try #require(try RankCorrelation.pearson(scaled, y), "scale \(scale)")
            #expect(value.isApproximatelyEqual(to: reference, absoluteTolerance: 1e-12), "scale \(scale)")
        }
        let nearlyEqual = [1.0, 1.0.nextUp, 1.0, 1.0.nextUp]
        let value = try #require(try RankCorrelation.pearson(nearlyEqual, [0, 1, 0, 1]))
        #expect(value.isApproximatelyEqual(to: 1, absoluteTolerance: 1e-15))
    }
}
