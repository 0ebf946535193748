import FeatureIO
import Foundation
import HubMiner
import Linalg
import Ranking
import Support
import TestSupport
import Testing

/// `RankJob` ranks data, not directories: the folder is one adapter.
@Suite("RankJob on in-memory inputs")
struct RankDataTests {
    @Test("matrices and labels in memory rank exactly as the same data in a folder of files")
    func memoryEqualsFolder() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir, models: [("good", 3), ("weak", 0.3), ("mid", 1)])
        let config = RankConfiguration(
            featuresDirectory: features, labelsFile: labels, metrics: try MetricRegistry.metrics(named: "logme,hscore"), threads: 2)
        let fromFolder = try RankJob.run(config, progress: ProgressReporter(style: .silent))

        // The folder's order, so each model lands in the same slot of the schedule
        // (same BLAS thread count).
        let names = ["good", "mid", "weak"]
        let models = try names.map {
            ModelSource(name: $0, features: .matrix(try FeatureFile.readMatrix(at: features.appendingPathComponent("\($0).npy"))))
        }
        let array = try FeatureFile.readArray(at: labels)
        let targets = try RankJob.encodeTargets(values: array.values, shape: array.shape, task: .classification, source: "memory")
        let inputs = RankData(models: models, targets: targets, labelsName: "labels")
        #expect(!inputs.hasSourceProbabilities)
        let fromMemory = try RankJob.run(inputs, config: config, progress: ProgressReporter(style: .silent))

        #expect(fromMemory.models.map(\.name) == fromFolder.models.map(\.name))
        #expect(fromMemory.models.map(\.name) == ["good", "mid", "weak"])
        // Equal to rounding, not bit for bit: BLAS kernels peel a different number of
        // leading elements off a buffer depending on its alignment, so a mapped file
        // and a heap matrix can sum in a different order (seen on the CI machine).
        for (a, b) in zip(fromMemory.models, fromFolder.models) {
            for metric in ["logme", "hscore"] {
                let x = try #require(a.metrics[metric]?.score), y = try #require(b.metrics[metric]?.score)
                #expect(x.isFinite)
                expectClose(x, y, tolerance: 1e-10, "\(a.name) \(metric)")
            }
        }
    }

    @Test("a bad in-memory model fails alone, named; missing source probabilities fail with their reason")
    func failuresAreNamed() throws {
        let labels = (0..<60).map { Double($0 % 3) }
        let targets = try RankJob.encodeTargets(values: labels, shape: [60], task: .classification, source: "memory")
        var good = Matrix(rows: 60, columns: 4)
        for r in 0..<60 { for c in 0..<4 { good[r, c] = Double((r * 7 + c * 3) % 11) + (c == r % 3 ? 4 : 0) } }
        var bad = good
        bad[5, 2] = .nan
        let short = Matrix(rows: 59, columns: 4)
        let inputs = RankData(
            models: [
                ModelSource(name: "good", features: .matrix(good)), ModelSource(name: "bad", features: .matrix(bad)),
                ModelSource(name: "short", features: .matrix(short)),
            ], targets: targets, labelsName: "the labels")
        let config = RankConfiguration(
            featuresDirectory: URL(fileURLWithPath: "/unused"), labelsFile: URL(fileURLWithPath: "/unused"),
            metrics: try MetricRegistry.metrics(named: "logme,hscore"), threads: 1)
        let result = try RankJob.run(inputs, config: config, progress: ProgressReporter(style: .silent))
        #expect(result.models.map(\.name) == ["good"])
        let failures = Dictionary(uniqueKeysWithValues: result.failed.map { ($0.name, $0.error) })
        #expect(failures["bad"]?.hasPrefix("bad: ") == true, "\(failures)")
        #expect(failures["short"] == "short has 59 rows but the labels has 60 labels; features must have one row per labelled sample")

        // With probabilities for one model only, a metric needing them applies and
        // the model without fails with its source's reason.
        let probabilities = Matrix(rows: 60, columns: 2, repeating: 0.5)
        let mixed = RankData(
            models: [
                ModelSource(name: "good", features: .matrix(good), sourceProbabilities: .matrix(probabilities)),
                ModelSource(name: "none", features: .matrix(good), sourceProbabilities: .missing(reason: "none: no source head")),
            ], targets: targets, labelsName: "the labels")
        #expect(mixed.hasSourceProbabilities)
        var withLEEP = config
        withLEEP.metrics = try MetricRegistry.metrics(named: "leep")
        let leep = try RankJob.run(mixed, config: withLEEP, progress: ProgressReporter(style: .silent))
        #expect(leep.models.map(\.name) == ["good"])
        #expect(leep.failed.map(\.error) == ["none: no source head"])
    }
}
