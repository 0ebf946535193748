import FeatureIO
import Foundation
import Hub
import TestSupport
import Testing
import Torch
@testable import Models

/// Checkpoint folders and Hugging Face caches as hub entries: derived cards, card
/// overrides, loading through the hub layer, the cache identity, a text model without a tokenizer.
struct CheckpointHubTests {
    static func makeHub() throws -> URL {
        let hub = try TemporaryDirectory.make("hubminer-models-hub")
        let fm = FileManager.default
        // a plain checkpoint folder
        try fm.copyItem(at: try CheckpointFixtureTests.fixture("hf-vit"), to: hub.appendingPathComponent("vit-tiny"))
        // a Hugging Face cache entry: refs/main names the snapshot
        let cached = hub.appendingPathComponent("models--timm--deit-tiny")
        try fm.createDirectory(at: cached.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
        try fm.createDirectory(at: cached.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try fm.copyItem(at: try CheckpointFixtureTests.fixture("timm-deit"), to: cached.appendingPathComponent("snapshots/abc123"))
        try Data("abc123".utf8).write(to: cached.appendingPathComponent("refs/main"))
        // a text model: listed; extraction needs its tokenizer
        try fm.copyItem(at: try CheckpointFixtureTests.fixture("minilm-st"), to: hub.appendingPathComponent("minilm"))
        // a folder that looks like a checkpoint but has no safetensors
        try fm.createDirectory(at: hub.appendingPathComponent("pickled"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: hub.appendingPathComponent("pickled/config.json"))
        return hub
    }

    @Test func foldersAndCacheEntriesGetDerivedCards() throws {
        let hub = try Self.makeHub()
        defer { TemporaryDirectory.remove(hub) }
        let manifest = try HubManifest.load(hub)
        #expect(manifest.entries.map(\.name) == ["minilm", "timm--deit-tiny", "vit-tiny"])
        let vit = try #require(manifest.entry(named: "vit-tiny"))
        #expect(
            vit.card.input
                == InputSpec(kind: .image, channels: 3, height: 32, width: 32, resize: .resize, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
        #expect(vit.card.metadata.featureDimension == 32)
        #expect(vit.card.hints == Stage(method: "hidden_states"))
        let deit = try #require(manifest.entry(named: "timm--deit-tiny"))
        #expect(deit.card.file == "models--timm--deit-tiny/snapshots/abc123")
        #expect(deit.card.input.resize == .resizeCrop)
        let text = try #require(manifest.entry(named: "minilm"))
        #expect(text.card.input.kind == .tokens)
        #expect(text.card.input.sequenceLength == 40)
        let problem = try #require(manifest.problems.first { $0.name == "pickled" })
        #expect(problem.message.contains("only safetensors checkpoints are read"), "\(problem.message)")
    }

    @Test func aWrittenCardOverridesTheDerivedFields() throws {
        let hub = try Self.makeHub()
        defer { TemporaryDirectory.remove(hub) }
        let card = #"{"name": "vit-imagenet-stats", "file": "vit-tiny", "input": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}}"#
        try Data(card.utf8).write(to: hub.appendingPathComponent("vit-imagenet-stats.json"))
        let manifest = try HubManifest.load(hub)
        let entry = try #require(manifest.entry(named: "vit-imagenet-stats"))
        #expect(entry.card.input.mean == [0.485, 0.456, 0.406])
        #expect(entry.card.input.height == 32) // not overridden: derived
        #expect(entry.card.representation.method == "forward")
        // the folder is described by the written card, so it is not listed twice
        #expect(manifest.entry(named: "vit-tiny") == nil)
    }

    @Test func extractorRunsCheckpointsAndNeedsATokenizerForText() throws {
        let hub = try Self.makeHub()
        defer { TemporaryDirectory.remove(hub) }
        let manifest = try HubManifest.load(hub)
        for name in ["vit-tiny", "timm--deit-tiny"] {
            let extractor = try FeatureExtractor(entry: try #require(manifest.entry(named: name)))
            let (dimension, classes) = try extractor.probe(batch: 2)
            #expect(dimension == 32)
            #expect(classes == nil)
        }
        // a text model runs on texts through its tokenizer (Tests/HubTests/TextExtractionTests);
        // this folder has none, which loading reports naming the model
        let text = try #require(manifest.entry(named: "minilm"))
        #expect { try FeatureExtractor(entry: text) } throws: { error in
            "\(error)".contains("minilm") && "\(error)".contains("no tokenizer")
        }
    }

    @Test func cacheIdentityFollowsWeightsAndConfiguration() throws {
        let hub = try Self.makeHub()
        defer { TemporaryDirectory.remove(hub) }
        let entry = try #require(try HubManifest.load(hub).entry(named: "vit-tiny"))
        let before = try entry.contentDigest()
        #expect(try entry.contentDigest() == before)
        let preprocessor = entry.modelFile.appendingPathComponent("preprocessor_config.json")
        try (try Data(contentsOf: preprocessor) + Data(" ".utf8)).write(to: preprocessor)
        #expect(try entry.contentDigest() != before)
    }
}
