import Cache
import Data
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Ranking
import Testing
import Torch
@testable import Hub
import Support

/// Thrown by a hook to stop a run as a kill would.
struct SimulatedKill: Error {}

@Suite("Extraction through the cache")
struct ExtractJobTests {
    static let inputCount = 3 * 4 * 4

    /// A hub of `names` (each the tiny model with its own seed) and a NumPy dataset.
    func setUp(_ names: [String], samples: Int = 20) throws -> (root: URL, hub: URL, data: URL, cache: URL) {
        let root = try makeTempDir()
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for (i, name) in names.enumerated() { try addModel(name, to: hub, seed: UInt64(i + 1)) }
        let data = root.appendingPathComponent("data")
        try makeNumpyDataset(data, count: samples)
        return (root, hub, data, root.appendingPathComponent("cache"))
    }

    func addModel(_ name: String, to hub: URL, seed: UInt64) throws {
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("\(name).pt"), seed: seed)
        try writeCard(
            """
            {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"},
             "representation": {"method": "features"}, "source_head": {"method": "forward"}}
            """, to: hub.appendingPathComponent("\(name).json"))
    }

    func config(_ s: (root: URL, hub: URL, data: URL, cache: URL), batchSize: Int = 8) -> ExtractConfiguration {
        ExtractConfiguration(hub: s.hub, data: s.data, batchSize: batchSize, cacheDirectory: s.cache, threads: 2)
    }

    let quiet = ProgressReporter(style: .silent)

    @Test("miss, then hit: the second run reads every model from the cache, with identical features")
    func missThenHit() throws {
        let s = try setUp(["a", "b"])
        defer { cleanup(s.root) }
        let first = try ExtractJob.run(config(s), progress: quiet)
        #expect(first.models.map(\.fromCache) == [false, false])
        #expect(first.labels == (0..<20).map { $0 % 3 })
        let second = try ExtractJob.run(config(s), progress: quiet)
        #expect(second.models.map(\.fromCache) == [true, true])
        for (x, y) in zip(first.models, second.models) {
            #expect(try FeatureFile.readMatrix(at: x.featuresURL) == FeatureFile.readMatrix(at: y.featuresURL))
        }
        #expect(try FeatureCache(directory: s.cache).entries().count == 2)
    }

    @Test("features in the cache equal a direct forward of the whole dataset")
    func matchesDirectForward() throws {
        let s = try setUp(["a"], samples: 13)
        defer { cleanup(s.root) }
        let result = try ExtractJob.run(config(s, batchSize: 5), progress: quiet)
        let images = try FeatureFile.readArray(at: s.data.appendingPathComponent("images.npy"))
        let module = try ScriptModule(contentsOf: s.hub.appendingPathComponent("a.pt").path)
        let x = try Tensor(images.values.map(Float.init), shape: [13, 3, 4, 4])
        let direct = try module.run(method: "features", [.tensor(x)]).tensor().toArray(of: Float.self)
        let cached = try FeatureFile.readArray(at: result.models[0].featuresURL)
        #expect(cached.shape == [13, 4])
        #expect(zip(cached.values, direct).allSatisfy { abs($0 - Double($1)) <= 1e-5 * max(1, abs(Double($1))) })
        let probs = try FeatureFile.readArray(at: try #require(result.models[0].probabilitiesURL))
        #expect(probs.shape == [13, 3])
    }

    @Test("a changed model file is a new key: it is extracted again, the other model is not")
    func modelChangeInvalidates() throws {
        let s = try setUp(["a", "b"])
        defer { cleanup(s.root) }
        _ = try ExtractJob.run(config(s), progress: quiet)
        try TinyModels.save(inputCount: Self.inputCount, to: s.hub.appendingPathComponent("b.pt"), seed: 99)
        let again = try ExtractJob.run(config(s), progress: quiet)
        #expect(again.models.map(\.fromCache) == [true, false])
    }

    @Test("adding a model to the hub extracts only that model")
    func addingOneModel() throws {
        let s = try setUp(["a", "b"])
        defer { cleanup(s.root) }
        _ = try ExtractJob.run(config(s), progress: quiet)
        try addModel("c", to: s.hub, seed: 7)
        let again = try ExtractJob.run(config(s), progress: quiet)
        #expect(again.models.map(\.name) == ["a", "b", "c"])
        #expect(again.models.map(\.fromCache) == [true, true, false])
    }

    @Test("a truncated or bit-flipped cached file is detected, dropped and re-extracted")
    func corruptionRecovery() throws {
        let s = try setUp(["a", "b"])
        defer { cleanup(s.root) }
        let first = try ExtractJob.run(config(s), progress: quiet)
        // Truncate a's features; flip one byte of b's source probabilities (same size).
        let a = first.models[0].featuresURL
        let bytes = try Data(contentsOf: a)
        try bytes.prefix(bytes.count - 7).write(to: a)
        let b = try #require(first.models[1].probabilitiesURL)
        var probs = try Data(contentsOf: b)
        probs[probs.count - 1] ^= 0x40
        try probs.write(to: b)
        let second = try ExtractJob.run(config(s), progress: quiet)
        #expect(second.models.map(\.fromCache) == [false, false])
        #expect(second.models[0].invalidation?.contains("truncated") == true)
        #expect(second.models[1].invalidation?.contains("SHA-256") == true)
        #expect(try FeatureFile.readMatrix(at: second.models[0].featuresURL) == FeatureFile.readMatrix(at: first.models[1 - 1].featuresURL))
        let third = try ExtractJob.run(config(s), progress: quiet)
        #expect(third.models.map(\.fromCache) == [true, true])
    }

    @Test("an interrupted run keeps its finished models: the re-run extracts only the rest")
    func resumeAfterInterruption() throws {
        let s = try setUp(["a", "b", "c"])
        defer { cleanup(s.root) }
        let hooks = ExtractHooks(afterModel: { model in if model.name == "a" { throw SimulatedKill() } })
        #expect(throws: SimulatedKill.self) { try ExtractJob.run(config(s), progress: quiet, hooks: hooks) }
        // A file written without its row (a kill between the two) is cleaned up, not trusted.
        let stray = s.cache.appendingPathComponent("features/.stray.npy.tmp-1")
        try Data("partial".utf8).write(to: stray)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stray.path)
        let young = s.cache.appendingPathComponent("features/young.npy")
        try Data("another process, row not yet inserted".utf8).write(to: young)
        let resumed = try ExtractJob.run(config(s), progress: quiet)
        #expect(resumed.models.map(\.fromCache) == [true, false, false])
        #expect(!FileManager.default.fileExists(atPath: stray.path))
        #expect(FileManager.default.fileExists(atPath: young.path))
    }

    @Test("broken cards and a wrong-rank model are skipped; the others are extracted")
    func problemsSkipped() throws {
        let s = try setUp(["a"])
        defer { cleanup(s.root) }
        try writeCard(
            #"{"name": "flat", "file": "a.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "spatial"}}"#,
            to: s.hub.appendingPathComponent("flat.json"))
        try writeCard(#"{"name": "typo", "file": "a.pt", "reprsentation": {}}"#, to: s.hub.appendingPathComponent("typo.json"))
        let result = try ExtractJob.run(config(s), progress: quiet)
        #expect(result.models.map(\.name) == ["a"])
        #expect(Set(result.failed.map(\.name)) == ["flat", "typo"])
        #expect(result.failed.first { $0.name == "flat" }?.error.contains("shape [8, 3, 4, 4]") == true)
    }

    @Test("MNIST idx files and an image folder of PNGs are extracted at the card's size")
    func otherFormats() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        try TinyModels.save(inputCount: 3 * 4 * 4, to: hub.appendingPathComponent("m.pt"))
        try writeCard(
            #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}, "representation": {"method": "features"}}"#,
            to: hub.appendingPathComponent("m.json"))
        let mnist = root.appendingPathComponent("mnist")
        try makeMNIST(mnist, count: 6, rows: 6, columns: 6)
        let folder = root.appendingPathComponent("folder")
        try makeImageFolder(folder, classes: ["cat", "dog"], perClass: 3, size: 8)
        for data in [mnist, folder] {
            let result = try ExtractJob.run(
                ExtractConfiguration(
                    hub: hub, data: data, batchSize: 4,
                    cacheDirectory: root.appendingPathComponent("cache"), threads: 2),
                progress: quiet)
            #expect(result.failed.isEmpty, "\(result.failed)")
            #expect(result.models.first?.rows == 6 && result.models.first?.columns == 4)
        }
    }

    @Test("rank from a hub: extraction, then LogME and LEEP on the dataset's labels")
    func rankFromHub() throws {
        let s = try setUp(["a", "b"], samples: 30)
        defer { cleanup(s.root) }
        let rank = RankConfiguration(
            featuresDirectory: s.root, labelsFile: s.root,
            metrics: try MetricRegistry.metrics(named: "logme,leep"), threads: 2)
        let (result, extraction) = try HubRankJob.run(extract: config(s), rank: rank, progress: quiet)
        #expect(extraction.models.count == 2)
        #expect(result.models.count == 2)
        #expect(result.metricNames == ["logme", "leep"])
        #expect(result.models.allSatisfy { $0.metrics["leep"] != nil })
    }

    @Test("the default cache directory follows HUBMINER_CACHE_DIR, then XDG_CACHE_HOME, then HOME")
    func defaultDirectory() {
        #expect(FeatureCache.defaultDirectory(environment: ["HUBMINER_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"]).path == "/c")
        #expect(FeatureCache.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/h"]).path == "/x/hubminer")
        #expect(FeatureCache.defaultDirectory(environment: ["HOME": "/h"]).path == "/h/.cache/hubminer")
    }
}
