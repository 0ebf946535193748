import Foundation
import HubMiner
@testable import HubMinerTorch
import Ranking
import TestSupport
import Testing
import Zoo
import Support

/// The demo pipeline end to end on a tiny zoo (3 models of 3 families, 8 x 8 images,
/// 2 epochs): every stage's files, their consistency with each other, recomputed
/// evaluation, reuse on a second run, and a refused foreign run directory.
@Suite(.serialized) struct DemoJobTests {
    static func tinyPlan(epochs: Int = 3) -> DemoPlan {
        let source = TaskSpec(
            name: "orient", summary: "orientation", labelFactors: [.orientation], classCodes: (0..<8).map { [$0] },
            trainPerClass: 8, testPerClass: 2, identity: 41)
        let target = TaskSpec(
            name: "target", summary: "tiny target", labelFactors: [.orientation, .colour],
            classCodes: [[0, 0], [2, 0], [0, 2], [2, 2]], trainPerClass: 8, testPerClass: 10, identity: 42)
        let training = PretrainingOptions(epochs: 1, batchSize: 16)
        let zoo = ZooPlan(
            size: "tiny", imageSize: 8, sources: [source], target: target,
            models: [
                ZooModelSpec(name: "tiny-cnn", architecture: .cnn(widths: [4, 8], depth: 1), source: "orient", training: training),
                ZooModelSpec(name: "tiny-mlp", architecture: .mlp(hidden: [16]), source: "orient", training: training),
                ZooModelSpec(
                    name: "tiny-vit", architecture: .attention(patch: 4, dim: 8, depth: 1, heads: 2, mlpRatio: 2), source: "orient",
                    training: training),
            ])
        return DemoPlan(
            name: "tiny", zoo: zoo, groundTruthEpochs: epochs, tuningEpochs: epochs, batchSize: 8, learningRate: 0.01,
            seeds: [0, 1], teacherCount: 2)
    }

    func modified(_ url: URL) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
    }

    @Test func pipelineWritesConsistentStagesAndReusesThem() throws {
        let cache = try TemporaryDirectory.make("hubminer-demo-test")
        defer { TemporaryDirectory.remove(cache) }
        let run = cache.appendingPathComponent("run")
        let config = DemoConfiguration(plan: Self.tinyPlan(), seed: 5, runDirectory: run, cacheDirectory: cache, threads: 1)
        let summary = try DemoJob.run(config, progress: ProgressReporter(style: .silent))

        // Every stage's files.
        for file in ["ranking.json", "ground_truth.json", "ground_truth.csv", "evaluation.json", "run.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        #expect(summary.ranking.models.count == 3)
        #expect(Set(summary.groundTruth.keys) == ["tiny-cnn", "tiny-mlp", "tiny-vit"])

        // The ground truth is each model's own fine-tuning result: the test accuracy of
        // the epoch chosen on validation (the target has a test split).
        for (model, accuracy) in summary.groundTruth {
            let result = try DemoJob.readOutcome(run.appendingPathComponent("ground_truth/\(model)/result.json"))
            #expect(result.test == accuracy)
            #expect((0...1).contains(accuracy))
        }

        // The evaluation agrees with weighted tau recomputed from the two files.
        let names = summary.ranking.models.map(\.name)
        let scores = summary.ranking.models.map(\.score)
        let truth = names.map { summary.groundTruth[$0]! }
        #expect(summary.ranking.metric == "logme")
        #expect(Set(truth).count > 1, "the tiny target should separate the models: \(summary.groundTruth)")
        let tau = try #require(try RankCorrelation.weightedTau(scores, truth))
        #expect(abs((summary.evaluation["logme"]?.weightedTau ?? .nan) - tau) < 1e-12)

        // Student and teachers follow the LogME ranking; each method ran every seed.
        let byLogME = summary.ranking.models.sorted { $0.score > $1.score }.map(\.name)
        #expect(summary.student == byLogME[1])
        #expect(summary.teachers == byLogME.filter { $0 != summary.student })
        #expect(summary.tuning.map(\.method) == DemoPlan.defaultMethods)
        for method in summary.tuning {
            #expect(method.best.count == 2 && method.last.count == 2 && method.test.count == 2)
            for seed in [0, 1] {
                let result = run.appendingPathComponent("tuning/\(method.method)/seed-\(seed)/result.json")
                #expect(FileManager.default.fileExists(atPath: result.path), "missing \(result.path)")
            }
        }
        // kd distils from the top model fine-tuned on the target (a hub entry of its own).
        let kdConfig = try String(contentsOf: run.appendingPathComponent("tuning/kd/seed-0/config.json"), encoding: .utf8)
        #expect(kdConfig.contains(DemoJob.tunedName(byLogME[0])))

        // The report has its charts.
        let html = try String(contentsOf: summary.report, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("id=\"chart-tau\""))

        // A second run reuses every stage: nothing is rewritten.
        let before = try modified(run.appendingPathComponent("tuning/kd/seed-1/result.json"))
        let rankingBefore = try modified(run.appendingPathComponent("ranking.json"))
        let again = try DemoJob.run(config, progress: ProgressReporter(style: .silent))
        #expect(try modified(run.appendingPathComponent("tuning/kd/seed-1/result.json")) == before)
        #expect(try modified(run.appendingPathComponent("ranking.json")) == rankingBefore)
        #expect(again.groundTruth == summary.groundTruth)
        #expect(again.tuning.map(\.best) == summary.tuning.map(\.best))

        // The stages are keyed by the program that computed them: another build (a
        // different digest in the saved fingerprint) may not reuse them.
        let fingerprintFile = run.appendingPathComponent(DemoJob.fingerprintFile)
        let saved = try String(contentsOf: fingerprintFile, encoding: .utf8)
        #expect(!ProgramExecution.executableDigest.isEmpty && saved.hasSuffix("|program " + ProgramExecution.executableDigest))
        try Data(saved.replacingOccurrences(of: ProgramExecution.executableDigest, with: String(repeating: "0", count: 64)).utf8)
            .write(to: fingerprintFile)
        #expect(throws: DemoError.otherRun(directory: run.path)) {
            try DemoJob.run(config, progress: ProgressReporter(style: .silent))
        }
        try Data(saved.utf8).write(to: fingerprintFile)

        // The same directory for another plan is refused instead of mixing results.
        let other = DemoConfiguration(plan: Self.tinyPlan(epochs: 4), seed: 5, runDirectory: run, cacheDirectory: cache, threads: 1)
        #expect(throws: DemoError.otherRun(directory: run.path)) {
            try DemoJob.run(other, progress: ProgressReporter(style: .silent))
        }
    }
}
