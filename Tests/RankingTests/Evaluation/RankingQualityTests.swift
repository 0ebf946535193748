import Foundation
import Numerics
import Ranking
import Testing

/// `RankingEvaluation.evaluate`: every field, the notes, and the JSON form.
@Suite struct RankingQualityTests {
    @Test func evaluateAgreesWithTheIndividualStatistics() throws {
        var random = EvaluationTestRandom(seed: 31)
        for _ in 0..<40 {
            let n = Int.random(in: 2...30, using: &random)
            let scores = random.sample(count: n, levels: [nil, 3].randomElement(using: &random)!)
            let truth = random.sample(count: n, levels: nil).map { 70 + 20 * $0 }
            let quality = try RankingEvaluation.evaluate(scores: scores, truth: truth)
            #expect(quality.weightedTau == (try RankCorrelation.weightedTau(scores, truth)))
            #expect(quality.kendallTau == (try RankCorrelation.kendallTauB(scores, truth)))
            #expect(quality.spearman == (try RankCorrelation.spearman(scores, truth)))
            #expect(quality.pearson == (try RankCorrelation.pearson(scores, truth)))
            #expect(quality.relativeTop1 == (try RankingEvaluation.relativeTopK(scores: scores, truth: truth, k: 1)))
            #expect(quality.relativeTop3 == (try RankingEvaluation.relativeTopK(scores: scores, truth: truth, k: 3)))
            #expect(quality.regretTop1 == (try RankingEvaluation.regretTop1(scores: scores, truth: truth)))
            #expect(quality.relativeRegretTop1 == (try RankingEvaluation.relativeRegretTop1(scores: scores, truth: truth)))
            let relativeTop1 = try #require(quality.relativeTop1)
            let relativeRegret = try #require(quality.relativeRegretTop1)
            #expect(relativeTop1.isApproximatelyEqual(to: 1 - relativeRegret, absoluteTolerance: 1e-15))
        }
    }

    @Test func perfectRankingOfFourModels() throws {
        let quality = try RankingEvaluation.evaluate(scores: [1, 2, 3, 4], truth: [60, 70, 80, 90])
        #expect(quality.weightedTau == 1)
        #expect(quality.kendallTau == 1)
        #expect(try #require(quality.spearman).isApproximatelyEqual(to: 1, absoluteTolerance: 1e-15))
        #expect(try #require(quality.pearson).isApproximatelyEqual(to: 1, absoluteTolerance: 1e-15))
        #expect(quality.relativeTop1 == 1 && quality.relativeTop3 == 1)
        #expect(quality.regretTop1 == 0 && quality.relativeRegretTop1 == 0)
        #expect(quality.notes.isEmpty)
    }

    @Test func constantScoresAreUndefinedAndExplained() throws {
        let quality = try RankingEvaluation.evaluate(scores: [2, 2, 2, 2], truth: [60, 90, 80, 70])
        #expect(quality.weightedTau == nil && quality.kendallTau == nil)
        #expect(quality.spearman == nil && quality.pearson == nil)
        #expect(quality.regretTop1 == 30)
        #expect(
            quality.notes == [
                "scores are constant, so weighted_tau, kendall_tau, spearman and pearson are undefined",
                "4 models tie on the score at the top-1 cut-off; the lowest-truth ones count as picked",
                "4 models tie on the score at the top-3 cut-off; the lowest-truth ones count as picked",
            ])
    }

    @Test func constantTruthAndNonPositiveBestAreExplained() throws {
        let quality = try RankingEvaluation.evaluate(scores: [1, 2, 3], truth: [0, 0, 0])
        #expect(quality.pearson == nil && quality.relativeTop1 == nil && quality.relativeTop3 == nil)
        #expect(quality.relativeRegretTop1 == nil)
        #expect(quality.regretTop1 == 0)
        #expect(
            quality.notes == [
                "truth is constant, so weighted_tau, kendall_tau, spearman and pearson are undefined",
                "the best truth is 0.0, not positive, so rel_top1, rel_top3 and rel_regret_top1 are undefined",
                "only 3 models, so top-3 covers all of them and rel_top3 is 1 by construction",
            ])
    }

    /// A tie inside the top-3 that does not cross the cut-off changes nothing
    /// and is not mentioned.
    @Test func onlyTiesAtACutOffAreNoted() throws {
        let quality = try RankingEvaluation.evaluate(scores: [9, 5, 5, 1, 0], truth: [80, 85, 70, 90, 60])
        #expect(quality.notes.isEmpty)
        #expect(quality.relativeTop1 == 80.0 / 90)
        #expect(quality.relativeTop3 == 85.0 / 90)
    }

    @Test func encodesSnakeCaseKeysWithExplicitNulls() throws {
        let quality = try RankingEvaluation.evaluate(scores: [2, 2, 2], truth: [60, 90, 80])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(quality)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "weighted_tau", "kendall_tau", "spearman", "pearson",
                "rel_top1", "rel_top3", "regret_top1", "rel_regret_top1", "notes",
            ])
        #expect(object["weighted_tau"] is NSNull)
        #expect(object["regret_top1"] as? Double == 30)
        #expect(try JSONDecoder().decode(RankingQuality.self, from: data) == quality)
    }

    @Test func decodesWithMissingOptionalKeys() throws {
        let json = Data(#"{"weighted_tau": 0.5, "regret_top1": 1.5}"#.utf8)
        let quality = try JSONDecoder().decode(RankingQuality.self, from: json)
        #expect(
            quality
                == RankingQuality(
                    weightedTau: 0.5, kendallTau: nil, spearman: nil, pearson: nil,
                    relativeTop1: nil, relativeTop3: nil, regretTop1: 1.5,
                    relativeRegretTop1: nil, notes: []))
    }
}
