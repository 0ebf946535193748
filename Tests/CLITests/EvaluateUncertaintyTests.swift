import Foundation
import HubMiner
import Ranking
import Testing

/// `EvaluateJob.run(bootstrap:)` attaches `EvaluationUncertainty` to every metric and
/// baseline, computed on the same vectors as the point statistics.
@Suite("evaluate with uncertainty")
struct EvaluateUncertaintyTests {
    @Test("every metric and baseline gets its intervals; without settings none")
    func intervals() throws {
        let dir = try CLI.scratch()
        let names = (0..<6).map { "m\($0)" }
        let logme = [0.9, 0.1, 0.5, 0.7, 0.3, 0.8], accuracy = [88.0, 70, 80, 85, 75, 83], params = [5.0, 1, 2, 3, 4, 6]
        let models = names.indices.map { #"{"name": "\#(names[$0])", "score": \#(logme[$0])}"# }.joined(separator: ", ")
        let scores = dir.appendingPathComponent("scores.json"), truth = dir.appendingPathComponent("truth.csv")
        try Data(#"{"metric": "logme", "models": [\#(models)]}"#.utf8).write(to: scores)
        try Data((["model,accuracy,params"] + names.indices.map { "\(names[$0]),\(accuracy[$0]),\(params[$0])" }).joined(separator: "\n").utf8).write(
            to: truth)
        let settings = BootstrapSettings(resamples: 100, seed: 3)
        let report = try EvaluateJob.run(scores: scores, truth: truth, bootstrap: settings)
        let u = try #require(report.uncertainty)
        #expect(Set(u.keys) == ["logme", "params"])
        #expect(u["logme"] == (try EvaluationUncertainty.evaluate(scores: logme, truth: accuracy, settings: settings)))
        #expect(u["params"] == (try EvaluationUncertainty.evaluate(scores: params, truth: accuracy, settings: settings)))
        #expect(try EvaluateJob.run(scores: scores, truth: truth).uncertainty == nil)
    }
}
