import FeatureIO
import Foundation
import TestSupport
import Testing
import Torch
@testable import Models

/// Bad checkpoints: every problem named with the file, the tensor and what was expected.
struct CheckpointErrorTests {
    /// A copy of fixture `name` in a fresh temporary folder, for editing.
    static func copy(_ name: String) throws -> URL {
        let target = try TemporaryDirectory.make("hubminer-models")
        let source = try CheckpointFixtureTests.fixture(name)
        for item in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: target.appendingPathComponent(item))
        }
        return target
    }

    static func tensors(_ folder: URL) throws -> [(String, NumericArray)] {
        let file = folder.appendingPathComponent("model.safetensors")
        return try FeatureFile.keys(at: file).map { ($0, try FeatureFile.readArray(at: file, key: $0)) }
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test func shardedCheckpointLoadsLikeTheSingleFile() throws {
        let folder = try Self.copy("bert")
        defer { TemporaryDirectory.remove(folder) }
        let all = try Self.tensors(folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        let half = all.count / 2
        var map = [String: String]()
        for (i, part) in [Array(all[..<half]), Array(all[half...])].enumerated() {
            let shard = "model-0000\(i + 1)-of-00002.safetensors"
            try FeatureFile.writeSafetensors(part, to: folder.appendingPathComponent(shard))
            for (key, _) in part { map[key] = shard }
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
        try index.write(to: folder.appendingPathComponent("model.safetensors.index.json"))
        let sharded = try Checkpoint.load(folder)
        let single = try Checkpoint.load(try CheckpointFixtureTests.fixture("bert"))
        let ids = try Tensor([Int64(5), 7, 9, 11], shape: [1, 4])
        let a = try sharded.module.forward(ids).toArray(of: Float.self)
        let b = try single.module.forward(ids).toArray(of: Float.self)
        #expect(a == b)
    }

    @Test func wrongShapeMissingAndUnexpectedTensorsAreAllNamed() throws {
        let folder = try Self.copy("distilbert")
        defer { TemporaryDirectory.remove(folder) }
        var all = try Self.tensors(folder).filter { $0.0 != "transformer.layer.1.ffn.lin2.bias" }
        let i = try #require(all.firstIndex { $0.0 == "embeddings.LayerNorm.weight" })
        all[i].1 = NumericArray(shape: [31], dtype: .float32, values: [Double](repeating: 1, count: 31))
        all.append(("transformer.layer.7.extra", NumericArray(shape: [2], dtype: .float32, values: [1, 2])))
        try FeatureFile.writeSafetensors(all, to: folder.appendingPathComponent("model.safetensors"))
        let text = Self.message { _ = try Checkpoint.load(folder) }
        #expect(text.contains("tensor 'embeddings.LayerNorm.weight' in model.safetensors has shape [31], expected [32]"), "\(text)")
        #expect(text.contains("missing tensor 'transformer.layer.1.ffn.lin2.bias' (expected shape [32])"), "\(text)")
        #expect(text.contains("unexpected tensor 'transformer.layer.7.extra'"), "\(text)")
        #expect(text.hasPrefix(folder.path), "\(text)")
    }

    @Test func unsupportedModelTypeIsOneLineListingTheFamilies() throws {
        let folder = try Self.copy("bert")
        defer { TemporaryDirectory.remove(folder) }
        try Data(#"{"model_type": "gpt2", "n_embd": 32}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let text = Self.message { _ = try Checkpoint.load(folder) }
        #expect(text.contains("model_type 'gpt2' is not supported (supported: bert, roberta, xlm-roberta, electra, distilbert, vit, deit"), "\(text)")
        #expect(!text.contains("\n"))
    }

    @Test func badConfigFieldIsNamed() throws {
        let folder = try Self.copy("bert")
        defer { TemporaryDirectory.remove(folder) }
        let url = folder.appendingPathComponent("config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object["num_attention_heads"] = 5
        object["hidden_act"] = "swish"
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        let text = Self.message { _ = try Checkpoint.load(folder) }
        #expect(text.contains("config.json: field 'hidden_act': activation 'swish' is not supported"), "\(text)")
    }

    @Test func folderWithoutWeightsIsNamed() throws {
        let folder = try Self.copy("bert")
        defer { TemporaryDirectory.remove(folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        #expect(!Checkpoint.isCheckpointFolder(folder))
        let text = Self.message { _ = try Checkpoint.load(folder) }
        #expect(text.contains("no model.safetensors or model.safetensors.index.json"), "\(text)")
    }
}
