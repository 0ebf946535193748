import Foundation
import Ranking
import Report
import Testing

/// How a progressive ranking's stopped models read: a partial score marked, and
/// where the score is LogME projected to the dataset's size, the table says so and
/// the JSON keeps both the projection and the stage's own score.
@Suite("Progressive ranking output")
struct ProgressiveRenderingTests {
    func result(projected: Bool) -> RankingResult {
        let interval = StageEstimate(
            score: 0.21, lower: 0.15, upper: 0.27, observed: projected ? 0.02 : nil, projectedTo: projected ? 2000 : nil)
        let stopped = ProgressiveOutcome(
            stage: 2, samples: 512, status: "eliminated", reason: "eliminated: logme projected to 2000 samples (0.0200 on 512)",
            interval: interval, partial: true)
        let complete = ProgressiveOutcome(stage: 4, samples: 2000, status: "complete", reason: "complete", partial: false)
        return RankingResult(
            task: .classification, metric: "logme",
            models: [
                ModelScore(
                    name: "good", score: 0.45, rank: 1, seconds: 0, diagnostics: ModelDiagnostics(samples: 2000, dimension: 8),
                    metrics: ["logme": MetricScore(score: 0.45, rank: 1, seconds: 0)], progressive: complete),
                ModelScore(
                    name: "weak", score: 0.21, rank: 2, seconds: 0, diagnostics: ModelDiagnostics(samples: 512, dimension: 8),
                    metrics: ["logme": MetricScore(score: 0.21, rank: 2, seconds: 0)], progressive: stopped),
            ])
    }

    @Test("the table marks the partial score and says it is projected, only when it is")
    func table() throws {
        let text = try RankingRenderer.render(result(projected: true), as: .table)
        #expect(text.contains("0.2100*"), "\(text)")
        #expect(text.contains("an eliminated model's score is projected to 2000 samples"), "\(text)")
        let plain = try RankingRenderer.render(result(projected: false), as: .table)
        #expect(!plain.contains("projected to 2000 samples, as"), "\(plain)")
    }

    @Test("JSON keeps the projection's sample count and the stage's own score, and reads back")
    func json() throws {
        let text = try RankingRenderer.render(result(projected: true), as: .json)
        #expect(text.contains("\"projected_to\""), "\(text)")
        let back = try JSONDecoder().decode(RankingResult.self, from: Data(text.utf8))
        let interval = try #require(back.models[1].progressive?.interval)
        #expect(interval.projectedTo == 2000 && interval.observed == 0.02 && interval.score == 0.21)
    }
}
