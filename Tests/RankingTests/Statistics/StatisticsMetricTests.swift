import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("Metrics on sufficient statistics equal the in-memory metrics")
struct StatisticsMetricTests {
    /// Uneven shards, each read in chunks smaller than itself, merged out of order.
    func mergedShards(_ f: Matrix, _ t: EncodedTargets) throws -> FeatureStatistics {
        let n = f.rows
        let cuts = [0, 13, 13 + n / 2, n - 9, n]
        var shards = [(name: String, statistics: FeatureStatistics)]()
        for i in 0..<(cuts.count - 1) {
            shards.append(("shard\(i)", try shardStatistics(f, t, rows: cuts[i]..<cuts[i + 1], chunk: 29)))
        }
        return try FeatureStatistics.merged(shards.reversed())
    }

    @Test(
        "every statistics metric: merged shards give the whole data's in-memory score to 1e-9",
        arguments: [
            (240, 12, 4, UInt64(7)), (90, 30, 3, UInt64(11)), (400, 6, 2, UInt64(3)),
        ])
    func wholeEqualsMerged(samples: Int, dimension: Int, classes: Int, seed: UInt64) throws {
        let (f, t) = statisticsProblem(samples: samples, dimension: dimension, classes: classes, seed: seed)
        let merged = try mergedShards(f, t)
        let whole = try FeatureStatistics(modelName: "m", features: f, targets: t, classGrams: true)
        let metrics: [any StatisticsMetric] = [
            LogME(), HScore(), ShrinkageHScore(), TransRate(),
            TransRate(convention: .referenceCode), GBC(), GBC(components: 4),
            GBC(covariance: .spherical),
        ]
        for metric in metrics {
            let memory = try metric.score(MetricInput(targets: t, features: f))
            let fromMerged = try metric.score(statistics: merged)
            let fromWhole = try metric.score(statistics: whole)
            #expect(isClose(memory.score, fromMerged.score, relative: 1e-9), "\(metric.name): \(memory.score) vs \(fromMerged.score)")
            #expect(
                isClose(fromWhole.score, fromMerged.score, relative: 1e-9), "\(metric.name): whole \(fromWhole.score) vs merged \(fromMerged.score)")
            #expect(memory.score.isFinite)
        }
    }

    @Test("the registry's statistics metrics are exactly the ones covered above")
    func supportedList() {
        #expect(StatisticsMetrics.supportedNames == ["logme", "hscore", "hscore_shrinkage", "transrate", "gbc"])
        // Every other registered metric has a stated reason.
        for name in MetricRegistry.names where !StatisticsMetrics.supportedNames.contains(name) {
            #expect(StatisticsMetrics.unsupportedReasons[name] != nil, "\(name) has no reason")
        }
    }

    @Test("LogME on regression and multi-label targets: merged equals whole")
    func logmeOtherTasks() throws {
        var rng = TestRandom(seed: 5)
        let n = 150, d = 9
        let f = rng.gaussianMatrix(rows: n, columns: d)
        let w = rng.gaussianMatrix(rows: d, columns: 2)
        var y = try f.multiplied(by: w)
        for i in y.storage.indices { y.storage[i] += 0.3 * rng.normal() }
        let reg = try TargetEncoder.encode(values: y.storage, shape: [n, 2], task: .regression)
        let ml = try TargetEncoder.encode(values: y.storage.map { $0 > 0 ? 1 : 0 }, shape: [n, 2], task: .multilabel)
        for t in [reg, ml] {
            var merged = try shardStatistics(f, t, rows: 0..<61, chunk: 17, classGrams: false)
            try merged.merge(try shardStatistics(f, t, rows: 61..<n, chunk: 17, classGrams: false))
            let memory = try LogME().fit(features: f, targets: t).score
            #expect(isClose(try LogME().score(statistics: merged).score, memory, relative: 1e-9))
            // YᵀY is kept for these targets.
            let yty = try t.matrix.multiplied(by: t.matrix, transposingSelf: true)
            #expect(maxRelativeDifference(yty.storage, merged.targetGram.storage) < 1e-13)
        }
    }

    @Test("a metric that needs the samples is refused with its reason; class-Gram metrics ask for them")
    func unsupported() throws {
        #expect(throws: StatisticsError.self) { try StatisticsMetrics.resolve([LogME(), KNNAccuracy()]) }
        do {
            _ = try StatisticsMetrics.resolve([PARC()])
        } catch let error as StatisticsError {
            #expect(error.description.contains("parc cannot be computed from sufficient statistics"))
            #expect(error.description.contains("pairwise"))
        }
        let (f, t) = statisticsProblem()
        let plain = try shardStatistics(f, t, rows: 0..<f.rows, classGrams: false)
        #expect(throws: StatisticsError.missingClassGrams(metric: "transrate")) { try TransRate().score(statistics: plain) }
        #expect(throws: StatisticsError.missingClassGrams(metric: "gbc")) { try GBC().score(statistics: plain) }
        // The moment-only metrics do not need them.
        #expect(try HScore().score(statistics: plain).score.isFinite)
    }
}
