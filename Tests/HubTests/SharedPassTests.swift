import Cache
import FeatureIO
import Linalg
import Foundation
import HubMinerTorch
import Testing
import Torch
@testable import Hub
import Support

/// One pass over the data per input pipeline: the features of every model equal
/// those of the model extracted alone; failures, the cache and resume behave as in a
/// model-by-model run.
@Suite("Extraction: one shared pass per input pipeline")
struct SharedPassTests {
    let quiet = ProgressReporter(style: .silent)

    /// Models `plain` (resize none, no normalisation) and `normalised` (mean/std):
    /// two input pipelines.
    func setUp(plain: [String], normalised: [String], samples: Int = 23) throws -> (root: URL, hub: URL, data: URL) {
        let root = try makeTempDir()
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for (i, name) in (plain + normalised).enumerated() {
            try TinyModels.save(inputCount: 48, to: hub.appendingPathComponent("\(name).pt"), seed: UInt64(i + 3))
            let normalise = normalised.contains(name) ? #", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]"# : ""
            try writeCard(
                """
                {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"\(normalise)},
                 "representation": {"method": "features"}, "source_head": {"method": "forward"}}
                """, to: hub.appendingPathComponent("\(name).json"))
        }
        let data = root.appendingPathComponent("data")
        try makeNumpyDataset(data, count: samples)
        return (root, hub, data)
    }

    func config(
        _ s: (root: URL, hub: URL, data: URL), cache: String = "cache", models: [String]? = nil, chunkBytes: Int? = nil
    )
        -> ExtractConfiguration
    {
        var c = ExtractConfiguration(
            hub: s.hub, data: s.data, batchSize: 5, cacheDirectory: s.root.appendingPathComponent(cache), models: models, threads: 2)
        if let chunkBytes { c.chunkBytes = chunkBytes }
        return c
    }

    /// Each model's features extracted alone (its own cache), by name.
    func alone(_ s: (root: URL, hub: URL, data: URL), _ names: [String]) throws -> [String: Matrix] {
        var out = [String: Matrix]()
        for name in names {
            let r = try ExtractJob.run(config(s, cache: "alone-\(name)", models: [name]), progress: quiet)
            #expect(r.passes.isEmpty, "a model alone needs no shared pass")
            out[name] = try FeatureFile.readMatrix(at: r.models[0].featuresURL)
        }
        return out
    }

    @Test("two pipelines: two passes, each decoding every sample once; features equal each model's alone")
    func twoPipelines() throws {
        let s = try setUp(plain: ["a", "b", "c"], normalised: ["n1", "n2"])
        defer { cleanup(s.root) }
        // several chunks (one batch each), so the pass is really interleaved
        let result = try ExtractJob.run(config(s, chunkBytes: 1), progress: quiet)
        #expect(result.passes == [ExtractionPass(models: ["a", "b", "c"], samples: 23), ExtractionPass(models: ["n1", "n2"], samples: 23)])
        #expect(result.models.map(\.name) == ["a", "b", "c", "n1", "n2"])
        #expect(result.failed.isEmpty)
        let reference = try alone(s, ["a", "b", "c", "n1", "n2"])
        for model in result.models {
            #expect(try FeatureFile.readMatrix(at: model.featuresURL) == reference[model.name], "\(model.name)")
            #expect(model.rows == 23 && !model.fromCache)
        }
        // the pipelines really differ: the same weights under two normalisations give other features
        #expect(reference["n1"] != reference["a"])
        let again = try ExtractJob.run(config(s), progress: quiet)
        #expect(again.models.allSatisfy(\.fromCache) && again.passes.isEmpty)
    }

    @Test("a model that fails inside a pass is reported and skipped; the others of its pass are extracted")
    func failingModelInGroup() throws {
        let s = try setUp(plain: ["a", "b"], normalised: [])
        defer { cleanup(s.root) }
        // same pipeline, but its representation is rank 4: it fails on the first batch
        try writeCard(
            #"{"name": "flat", "file": "a.pt", "input": {"height": 4, "width": 4, "resize": "none"}, "representation": {"method": "spatial"}}"#,
            to: s.hub.appendingPathComponent("flat.json"))
        // same pipeline, file that is not TorchScript: fails to load
        try Data("not a model".utf8).write(to: s.hub.appendingPathComponent("junk.pt"))
        try writeCard(
            #"{"name": "junk", "file": "junk.pt", "input": {"height": 4, "width": 4, "resize": "none"}, "representation": {"method": "features"}}"#,
            to: s.hub.appendingPathComponent("junk.json"))
        let result = try ExtractJob.run(config(s, chunkBytes: 1), progress: quiet)
        #expect(result.models.map(\.name) == ["a", "b"])
        #expect(Set(result.failed.map(\.name)) == ["flat", "junk"])
        #expect(result.failed.first { $0.name == "flat" }?.error.contains("rank 2") == true)
        #expect(result.passes == [ExtractionPass(models: ["a", "b", "flat"], samples: 23)])
        let reference = try alone(s, ["a", "b"])
        for model in result.models { #expect(try FeatureFile.readMatrix(at: model.featuresURL) == reference[model.name]) }
    }

    @Test("killed in the middle of a pass: the re-run keeps the models already committed and extracts only the rest")
    func resumeMidGroup() throws {
        let s = try setUp(plain: ["a", "b", "c"], normalised: ["n1"])
        defer { cleanup(s.root) }
        let hooks = ExtractHooks(afterModel: { model in if model.name == "b" { throw SimulatedKill() } })
        #expect(throws: SimulatedKill.self) { try ExtractJob.run(config(s, chunkBytes: 1), progress: quiet, hooks: hooks) }
        #expect(try Set(FeatureCache(directory: s.root.appendingPathComponent("cache")).entries().map(\.model)) == ["a", "b"])
        let resumed = try ExtractJob.run(config(s, chunkBytes: 1), progress: quiet)
        #expect(resumed.models.map(\.name) == ["a", "b", "c", "n1"])
        #expect(resumed.models.map(\.fromCache) == [true, true, false, false])
        // c and n1 are in different pipelines: each runs alone now, no shared pass
        #expect(resumed.passes.isEmpty)
        let reference = try alone(s, ["c"])
        #expect(try FeatureFile.readMatrix(at: resumed.models[2].featuresURL) == reference["c"])
    }

    @Test("an unreadable image fails every model of its pass, each once, naming the file; no crash")
    func datasetErrorInPass() throws {
        let s = try setUp(plain: ["a", "b"], normalised: [])
        defer { cleanup(s.root) }
        let folder = s.root.appendingPathComponent("folder")
        try makeImageFolder(folder, classes: ["cat", "dog"], perClass: 6, size: 4)
        try Data("not a png".utf8).write(to: folder.appendingPathComponent("dog/img4.png"))
        var c = config(s, chunkBytes: 1)
        c.data = folder
        let result = try ExtractJob.run(c, progress: quiet)
        #expect(result.models.isEmpty)
        #expect(result.failed.map(\.name).sorted() == ["a", "b"])
        #expect(result.failed.allSatisfy { $0.error.contains("img4.png") }, "\(result.failed)")
    }

    @Test("chunks: at least one batch, at most all, bounded by the byte budget")
    func chunkSizes() {
        #expect(SharedPass.chunkBatches(batchSize: 64, sampleShape: [3, 224, 224], batchCount: 40, chunkBytes: 64 << 20) == 1)
        #expect(SharedPass.chunkBatches(batchSize: 16, sampleShape: [3, 224, 224], batchCount: 40, chunkBytes: 64 << 20) == 6)
        #expect(SharedPass.chunkBatches(batchSize: 8, sampleShape: [48], batchCount: 3, chunkBytes: 64 << 20) == 3)
        #expect(SharedPass.chunkBatches(batchSize: 8, sampleShape: [48], batchCount: 3, chunkBytes: 1) == 1)
    }
}
