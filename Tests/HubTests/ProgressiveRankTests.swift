import Cache
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Linalg
import Ranking
import Testing
import Torch
@testable import Hub
import Support

/// `rank --hub --progressive` on a hub with models that see the label (they read
/// channel 0, which carries it) and models that cannot (they read channels 1 and 2,
/// pure noise).
@Suite("Progressive ranking from a hub")
struct ProgressiveRankTests {
    let quiet = ProgressReporter(style: .silent)
    static let samples = 240

    /// Images 3 x 4 x 4: channel 0 is label/2 plus small noise, channels 1-2 noise.
    func setUp(good: Int = 3, bad: Int = 2) throws -> (root: URL, hub: URL, data: URL) {
        let root = try makeTempDir()
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        func card(_ name: String) throws {
            try writeCard(
                """
                {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"},
                 "representation": {"method": "features"}, "source_head": {"method": "forward"}}
                """, to: hub.appendingPathComponent("\(name).json"))
        }
        // the good models read channel 0 only (the label plus small noise), so the simultaneous
        // intervals separate them from the blind ones within a stage or two
        for i in 0..<good {
            let g = try Generator(seed: UInt64(10 + i))
            let net = try ScriptModule(name: "Sighted")
            try net.registerParameter("weight", try Tensor.randn([4, 16], generator: g))
            try net.registerParameter("head", try Tensor.randn([3, 4], generator: g))
            try net.define(
                """
                def features(self, x):
                    return torch.matmul(torch.flatten(x[:, :1, :, :], 1), self.weight.t())

                def forward(self, x):
                    return torch.matmul(self.features(x), self.head.t())
                """)
            try net.save(to: hub.appendingPathComponent("good\(i).pt").path)
            try card("good\(i)")
        }
        for i in 0..<bad {
            let g = try Generator(seed: UInt64(30 + i))
            let net = try ScriptModule(name: "Blind")
            try net.registerParameter("weight", try Tensor.randn([4, 32], generator: g))
            try net.registerParameter("head", try Tensor.randn([3, 4], generator: g))
            try net.define(
                """
                def features(self, x):
                    return torch.matmul(torch.flatten(x[:, 1:, :, :], 1), self.weight.t())

                def forward(self, x):
                    return torch.matmul(self.features(x), self.head.t())
                """)
            try net.save(to: hub.appendingPathComponent("blind\(i).pt").path)
            try card("blind\(i)")
        }
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        var values = [Double]()
        var rng = SeededGenerator(seed: 3)
        for n in 0..<Self.samples {
            for c in 0..<3 {
                for _ in 0..<16 {
                    let noise = Double(rng.next() % 10_000) / 10_000 - 0.5
                    values.append(c == 0 ? Double(n % 3) / 2 + 0.2 * noise : noise)
                }
            }
        }
        try FeatureFile.writeNpy(
            NumericArray(shape: [Self.samples, 3, 4, 4], dtype: .float32, values: values), to: data.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(
            NumericArray(shape: [Self.samples], dtype: .int64, values: (0..<Self.samples).map { Double($0 % 3) }),
            to: data.appendingPathComponent("labels.npy"))
        return (root, hub, data)
    }

    func extract(_ s: (root: URL, hub: URL, data: URL), cache: String) -> ExtractConfiguration {
        ExtractConfiguration(hub: s.hub, data: s.data, batchSize: 16, cacheDirectory: s.root.appendingPathComponent(cache), threads: 2)
    }

    func rank(_ s: (root: URL, hub: URL, data: URL)) throws -> RankConfiguration {
        RankConfiguration(featuresDirectory: s.root, labelsFile: s.root, metrics: try MetricRegistry.metrics(named: "logme"), threads: 2)
    }

    @Test("blind models stop early with partial scores; the survivors' scores equal a full ranking's; the cache serves a re-run")
    func eliminatesBlindModels() throws {
        let s = try setUp()
        defer { cleanup(s.root) }
        let (full, _) = try HubRankJob.run(extract: extract(s, cache: "full"), rank: try rank(s), progress: quiet)
        let settings = ProgressiveSettings(top: 3, seed: 1) // settle off by default: the survivors run to the last stage
        let (result, stages) = try ProgressiveRankJob.run(
            extract: extract(s, cache: "progressive"), rank: try rank(s), settings: settings, progress: quiet)
        // 24, 60, 120 rounded up to whole batches of 16
        #expect(stages.map(\.samples) == [32, 64, 128, 240])
        #expect(result.models.count == 5 && result.failed.isEmpty)
        let byName = Dictionary(uniqueKeysWithValues: result.models.map { ($0.name, $0) })
        for i in 0..<2 {
            let blind = try #require(byName["blind\(i)"])
            #expect(blind.progressive?.status == "eliminated", "\(String(describing: blind.progressive))")
            #expect(blind.isPartial && (blind.progressive?.stage ?? 4) < 4)
            #expect(blind.diagnostics.samples == blind.progressive?.samples)
            #expect(blind.progressive?.reason.contains("lies below") == true)
        }
        // the survivors: complete, scored from the same cached files as the full ranking
        let fullScores = Dictionary(uniqueKeysWithValues: full.models.map { ($0.name, $0.score) })
        for i in 0..<3 {
            let good = try #require(byName["good\(i)"])
            #expect(good.progressive?.status == "complete" && !good.isPartial)
            // the features of a stage's batches equal a full pass's to float32 rounding
            // (libtorch may sum in another order for another batch composition)
            let reference = try #require(fullScores["good\(i)"])
            #expect(abs(good.score - reference) <= 1e-9 * max(1, abs(reference)), "\(good.score) vs \(reference)")
        }
        #expect(result.models.prefix(3).map(\.name) == full.models.prefix(3).map(\.name))
        #expect(result.models.map(\.rank) == [1, 2, 3, 4, 5])
        // stopped models ran on fewer samples than the full ranking
        let spent = stages.map(\.modelSamples).reduce(0, +)
        #expect(spent < 5 * Self.samples)
        #expect(spent == result.models.map { $0.progressive!.samples }.reduce(0, +))

        // a re-run with the same seed extracts nothing: complete and partial entries are cached
        let (again, againStages) = try ProgressiveRankJob.run(
            extract: extract(s, cache: "progressive"), rank: try rank(s), settings: settings, progress: quiet)
        #expect(againStages.allSatisfy { $0.extractedModels.isEmpty })
        #expect(again.models.map(\.name) == result.models.map(\.name))
        #expect(again.models.map(\.score) == result.models.map(\.score))
        // the ordinary key holds the complete models in dataset order: rank --hub reads them from the cache
        let plain = try ExtractJob.run(extract(s, cache: "progressive"), progress: quiet)
        #expect(plain.models.filter(\.fromCache).map(\.name).sorted() == ["good0", "good1", "good2"])
    }

    @Test("a budget in model-samples stops before the stage that would exceed it: every score partial")
    func budget() throws {
        let s = try setUp(good: 2, bad: 0)
        defer { cleanup(s.root) }
        // stage 1 costs 2 x 32, stage 2 another 2 x 32 = 128 in all; 100 stops after stage 1
        let settings = ProgressiveSettings(top: 3, budget: .samples(100), seed: 1)
        let (result, stages) = try ProgressiveRankJob.run(
            extract: extract(s, cache: "cache"), rank: try rank(s), settings: settings, progress: quiet)
        #expect(stages.map(\.samples) == [32])
        #expect(result.models.count == 2)
        for m in result.models {
            #expect(m.progressive?.status == "budget" && m.isPartial && m.diagnostics.samples == 32)
        }
    }

    @Test("top-1 settled: the blind models stop, the one good model stops with them; partial scores equal a ranking of the stage's rows")
    func settles() throws {
        let s = try setUp(good: 1, bad: 3)
        defer { cleanup(s.root) }
        let (full, _) = try HubRankJob.run(extract: extract(s, cache: "full"), rank: try rank(s), progress: quiet)
        var settings = ProgressiveSettings(top: 1, seed: 1)
        settings.settle = true
        let (result, stages) = try ProgressiveRankJob.run(
            extract: extract(s, cache: "progressive"), rank: try rank(s), settings: settings, progress: quiet)
        let last = try #require(stages.last)
        #expect(last.settled && last.samples < Self.samples, "\(stages)")
        #expect(stages.filter(\.settled).count == 1)
        #expect(result.models.first?.name == "good0" && full.models.first?.name == "good0")
        let good = try #require(result.models.first)
        #expect(good.progressive?.status == "settled" && good.isPartial)
        #expect(good.progressive?.reason.contains("top-1 settled at stage \(stages.count) of 4") == true, "\(String(describing: good.progressive))")
        #expect(good.diagnostics.samples == last.samples)
        // the leader's interval lies above every stopped model's
        let lower = try #require(good.progressive?.interval?.lower)
        for m in result.models.dropFirst() {
            #expect(m.progressive?.status == "eliminated")
            #expect(try #require(m.progressive?.interval?.upper) < lower)
        }
        // the partial score is the metric on the stage's rows: rank them directly (the stratified order's prefix)
        let order = StratifiedOrder.order(labels: (0..<Self.samples).map { $0 % 3 }, seed: 1)
        let features = try FeatureFile.readArray(
            at: try #require(ExtractJob.run(extract(s, cache: "full"), progress: quiet).models.first { $0.name == "good0" }).featuresURL)
        let d = features.shape[1]
        let rows = order.prefix(last.samples).flatMap { i in features.values[(i * d)..<((i + 1) * d)] }
        let targets = try RankJob.encodeTargets(
            values: order.prefix(last.samples).map { Double($0 % 3) }, shape: [last.samples], task: .classification, source: "test")
        let direct = try MetricRegistry.metrics(named: "logme")[0].score(
            MetricInput(targets: targets, features: Matrix(rows: last.samples, columns: d, storage: rows)))
        #expect(abs(good.score - direct.score) <= 1e-6 * max(1, abs(direct.score)), "\(good.score) vs \(direct.score)")
        // its interval: the same 20 half-samples refitted one by one here, each projected to all
        // the samples (LogME drifts with n), at the simultaneous level for 4 models and 3 stages
        // with intervals
        let n = last.samples
        let x = Matrix(rows: n, columns: d, storage: rows)
        let labels = order.prefix(n).map { Double($0 % 3) }
        let halves = HalfSampleInterval.resamples(
            count: n, resamples: 20, seed: SeededGenerator.derivedSeed(1, stream: 1, UInt64(stages.count - 1)))
        let refits = try halves.map { r in
            try LogME().fit(
                features: x.rows(at: r),
                targets: try RankJob.encodeTargets(values: r.map { labels[$0] }, shape: [r.count], task: .classification, source: "test")
            ).projectedScore(samples: Self.samples)
        }
        let projected = try LogME().fit(features: x, targets: targets).projectedScore(samples: Self.samples)
        let expected = HalfSampleInterval.interval(
            estimate: projected, resampled: refits, level: SettledTopK.simultaneousLevel(0.95, intervals: 4 * 3))
        let reported = try #require(good.progressive?.interval)
        #expect(reported.projectedTo == Self.samples)
        #expect(abs(try #require(reported.observed) - direct.score) <= 1e-6 * max(1, abs(direct.score)))
        #expect(abs(reported.score - projected) <= 1e-6 * max(1, abs(projected)))
        #expect(abs(reported.lower - expected.lower) <= 1e-6 && abs(reported.upper - expected.upper) <= 1e-6, "\(reported) vs \(expected)")
        // the run spent only the stages it ran
        #expect(stages.map(\.modelSamples).reduce(0, +) < 4 * Self.samples)
    }
}
