import Distributed
import Foundation
import TestSupport
import HubMiner
import HubMinerTorch
import Ranking
import Testing
import Support

/// The job in this process as the only rank (a group of one still runs every
/// collective), against the in-memory ranking of the same files.
@Suite("DistributedRankJob in one process")
struct DistributedRankJobTests {
    @Test("a group of one gives the in-memory scores of logme, hscore and transrate to 1e-9")
    func singleRankMatchesInMemory() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let problem = try RankProblem.make(samples: 301, dimension: 6, classes: 3, models: 3)
        let (features, labels) = try problem.write(in: dir)
        let metrics = try MetricRegistry.metrics(named: "logme,hscore,transrate")
        let reference = try RankJob.run(
            RankConfiguration(featuresDirectory: features, labelsFile: labels, metrics: metrics),
            progress: ProgressReporter(style: .silent))
        let group = try ProcessGroup(
            DistributedEnvironment(
                rank: 0, worldSize: 1, masterAddress: "127.0.0.1",
                masterPort: try Launcher.freePort(), timeout: 10))
        let outcome = try DistributedRankJob.run(
            DistributedRankConfiguration(features: features, labelsFile: labels, metrics: metrics, chunkRows: 50),
            group: group, progress: ProgressReporter(style: .silent))
        let result = try #require(outcome.result)
        #expect(result.models.map(\.name) == reference.models.map(\.name))
        #expect(result.metricNames == ["logme", "hscore", "transrate"])
        for (mine, theirs) in zip(result.models, reference.models) {
            for name in result.metricNames {
                let a = try #require(mine.metrics[name]?.score), b = try #require(theirs.metrics[name]?.score)
                #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "\(mine.name) \(name): \(a) vs \(b)")
            }
            #expect(mine.diagnostics.samples == 301)
        }
        // Per model: 3 agreement values and the flat statistics (with class Gram matrices for TransRate).
        let perModel = 3 + FeatureStatistics.flatLength(featureDimension: 6, targetCount: 3, classGramCount: 3)
        #expect(outcome.valuesAllReduced == 3 * perModel)
    }

    @Test("a metric that needs the samples is refused with its reason")
    func sampleMetricRefused() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let (features, labels) = try RankProblem.make(samples: 20, dimension: 3, classes: 2, models: 1).write(in: dir)
        let group = try ProcessGroup(
            DistributedEnvironment(
                rank: 0, worldSize: 1, masterAddress: "127.0.0.1",
                masterPort: try Launcher.freePort(), timeout: 10))
        let error = try #require(throws: (any Error).self) {
            try DistributedRankJob.run(
                DistributedRankConfiguration(
                    features: features, labelsFile: labels,
                    metrics: try MetricRegistry.metrics(named: "logme,knn")),
                group: group, progress: ProgressReporter(style: .silent))
        }
        #expect("\(error)".contains("knn") && "\(error)".contains("nearest neighbours"))
    }
}
