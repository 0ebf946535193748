import FeatureIO
import Foundation
import Testing
import Torch
@testable import Models

/// Every family against the outputs of `transformers`, `timm` and
/// sentence-transformers on the same tiny random weights
/// (scripts/fixtures/make_model_fixtures.py): every layer's hidden states and the
/// pooled representation, to 1e-4 relative (max-norm of the difference over the
/// max-norm of the reference).
struct CheckpointFixtureTests {
    static let textFixtures = ["bert", "bert-bf16", "bert-fp16", "roberta", "xlm-roberta", "distilbert", "electra", "minilm-st"]
    static let visionFixtures = [
        "hf-vit", "hf-deit", "timm-vit", "timm-deit", "hf-resnet", "hf-resnet50", "timm-resnet", "timm-resnet50",
        "hf-convnext", "timm-convnext", "timm-convnext-atto",
    ]

    static func fixture(_ name: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(name)
    }

    static func expected(_ name: String, _ key: String) throws -> NumericArray {
        try FeatureFile.readArray(at: try fixture(name).appendingPathComponent("expected.safetensors"), key: key)
    }

    static func tensor(_ array: NumericArray, integer: Bool = false) throws -> Tensor {
        integer
            ? try Tensor(array.values.map { Int64($0) }, shape: array.shape)
            : try Tensor(array.values.map { Float($0) }, shape: array.shape)
    }

    /// max |actual - expected| / max |expected|, after checking the shapes agree.
    static func relativeError(_ actual: Tensor, _ expected: NumericArray, _ what: String) throws -> Double {
        #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) vs \(expected.shape)")
        let a = try actual.to(.float64).toArray(of: Double.self)
        let scale = expected.values.map(abs).max() ?? 0
        let diff = zip(a, expected.values).map { abs($0 - $1) }.max() ?? 0
        return diff / max(scale, 1e-30)
    }

    func check(_ name: String, arguments: [ScriptValue], layers: Int) throws {
        let loaded = try Checkpoint.load(try Self.fixture(name))
        #expect(loaded.layers == layers)
        let states = try loaded.module.run(method: "hidden_states", arguments).elements()
        #expect(states.count == layers + 1, "\(name): \(states.count) hidden states")
        for (i, state) in states.enumerated() {
            let error = try Self.relativeError(try state.tensor(), try Self.expected(name, "hidden.\(i)"), "\(name) hidden.\(i)")
            #expect(error < 1e-4, "\(name): hidden state \(i) differs by \(error) relative")
        }
        let pooled = try loaded.module.run(method: "forward", arguments).tensor()
        let error = try Self.relativeError(pooled, try Self.expected(name, "pooled"), "\(name) pooled")
        #expect(error < 1e-4, "\(name): pooled representation differs by \(error) relative")
        #expect(pooled.shape == [arguments.count > 1 ? 3 : 2, loaded.featureDimension])
    }

    @Test(arguments: textFixtures)
    func textModelMatchesTransformers(_ name: String) throws {
        let ids = try Self.tensor(try Self.expected(name, "input_ids"), integer: true)
        let mask = try Self.tensor(try Self.expected(name, "attention_mask"), integer: true)
        try check(name, arguments: [.tensor(ids), .tensor(mask)], layers: 2)
    }

    @Test(arguments: visionFixtures)
    func visionModelMatchesReference(_ name: String) throws {
        let pixels = try Self.tensor(try Self.expected(name, "pixel_values"))
        // the tiny CNNs: 2 stages (transformers), 4 (timm, which needs 4); the transformers: 2 blocks
        let timmCNN = name.hasPrefix("timm-resnet") || name.hasPrefix("timm-convnext")
        try check(name, arguments: [.tensor(pixels)], layers: timmCNN ? 4 : 2)
    }

    @Test func parametersCarryTheCheckpointNames() throws {
        let loaded = try Checkpoint.load(try Self.fixture("bert"))
        let names = Set(try loaded.module.namedParameters().map(\.name))
        #expect(names.contains("encoder.layer.1.attention.self.query.weight"))
        #expect(names.contains("embeddings.LayerNorm.bias"))
        let timm = Set(try Checkpoint.load(try Self.fixture("timm-vit")).module.namedParameters().map(\.name))
        #expect(timm.contains("blocks.1.attn.qkv.weight"))
        #expect(timm.contains("pos_embed"))
        // the task-model prefix is handled: ELECTRA's keys sit under "electra."
        let electra = Set(try Checkpoint.load(try Self.fixture("electra")).module.namedParameters().map(\.name))
        #expect(electra.contains("embeddings_project.weight"))
    }

    @Test func missingMaskMeansPaddingIdsArePadding() throws {
        // RoBERTa pads with id 1: without a mask the module derives it from the ids.
        let loaded = try Checkpoint.load(try Self.fixture("roberta"))
        let ids = try Self.tensor(try Self.expected("roberta", "input_ids"), integer: true)
        let pooled = try loaded.module.run(method: "forward", [.tensor(ids)]).tensor()
        let error = try Self.relativeError(pooled, try Self.expected("roberta", "pooled"), "roberta pooled")
        #expect(error < 1e-4)
    }

    @Test func sentenceTransformersPoolingIsRead() throws {
        let pooling = try Checkpoint.sentenceTransformersPooling(try Self.fixture("minilm-st"))
        #expect(pooling == TextPooling(mode: .mean, normalize: true))
        #expect(try Checkpoint.sentenceTransformersPooling(try Self.fixture("bert")) == TextPooling())
    }

    @Test func derivedInputs() throws {
        let text = try Checkpoint.describe(try Self.fixture("roberta"))
        #expect(text.input == .tokens(maxLength: 38, padTokenId: 1, tokenizer: nil))
        let vit = try Checkpoint.describe(try Self.fixture("hf-vit"))
        #expect(
            vit.input
                == .image(height: 32, width: 32, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], centerCrop: false, cropPercentage: nil))
        let timm = try Checkpoint.describe(try Self.fixture("timm-deit"))
        #expect(timm.family == "timm deit_tiny_distilled_patch16_224")
        #expect(timm.featureDimension == 32)
    }
}
