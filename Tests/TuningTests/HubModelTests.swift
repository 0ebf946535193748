import Foundation
import Hub
import Testing
import Torch
@testable import Tuning

@Suite("Hub model runner and export")
struct HubModelTests {
    @Test("features equal feature extraction's; hints and source logits come from the card; freeze stops gradients")
    func outputsMatchExtraction() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try HubManifest.load(try TuningFixtures.hub(in: root))
        let entry = try #require(hub.entry(named: "tiny"))
        let model = try HubModel(entry: entry)
        #expect(model.featureDimension == 16 && model.sourceClasses == 5 && model.hintCount == 2)
        let values = (0..<(4 * 48)).map { Float(($0 * 13) % 17) / 17 }
        let x = try Tensor(values, shape: [4, 3, 4, 4])
        let out = try withNoGrad { try model.outputs(x, needs: [.hints, .sourceLogits]) }
        let extracted = try FeatureExtractor(entry: entry).extract(values: values, shape: [4, 3, 4, 4])
        #expect(try out.features.toArray(of: Float.self) == extracted.features)
        #expect(out.hints.map(\.shape) == [[4, 16], [4, 16]])
        #expect(out.sourceLogits?.shape == [4, 5])

        try model.train()
        let trained = try model.outputs(x, needs: [])
        #expect(trained.features.requiresGrad)
        #expect(try model.namedParameters().map(\.name) == ["w", "b", "head"])
        #expect(try model.namedBuffers().map(\.name) == ["running"])
        try model.freeze()
        #expect(!model.isTraining)
        #expect(try !model.outputs(x, needs: []).features.requiresGrad)
    }

    @Test("a card without hints: asking for them is a clear error")
    func missingHints() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try HubManifest.load(try TuningFixtures.hub(in: root, hints: false))
        let model = try HubModel(entry: try #require(hub.entry(named: "tiny")))
        #expect(!model.supports(.hints) && model.supports(.sourceLogits))
        #expect(throws: TuningError.model(name: "tiny", message: "its card has no 'hints' stage, which this method needs")) {
            _ = try model.outputs(try Tensor.zeros([1, 3, 4, 4]), needs: .hints)
        }
    }

    @Test("the exported entry loads as a hub model whose source head gives the trained head's logits")
    func exportRoundTrip() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        var config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("out"), epochs: 2)
        config.export.weights = "last"
        let result = try TuneJob.run(config: config, source: "test", resume: false)
        let exportDir = try #require(result.exportedModel)
        let exported = try HubManifest.load(exportDir)
        #expect(exported.problems.isEmpty)
        let entry = try #require(exported.entry(named: "tiny-finetune"))
        #expect(entry.card.hints == Stage(method: "hints"))
        #expect(entry.card.metadata.sourceClasses == 3)

        // Re-create the trainer's view from the checkpoint: last weights and head.
        let store = CheckpointStore(directory: root.appendingPathComponent("out/checkpoint"))
        let position = try store.load()
        let saved = try store.loadTensors(position.tensorsFile, names: position.tensorNames)
        let x = try Tensor((0..<(5 * 48)).map { Float(($0 * 7) % 11) / 11 }, shape: [5, 3, 4, 4])
        let tuned = try HubModel(entry: entry)
        let viaCard = try withNoGrad { try tuned.outputs(x, needs: .sourceLogits) }
        let original = try HubModel(entry: try #require(try HubManifest.load(hub).entry(named: "tiny")))
        try restore(try original.namedParameters().map { (name: "model.\($0.name)", tensor: $0.tensor) }, from: saved, file: "checkpoint")
        let features = try withNoGrad { try original.outputs(x, needs: []).features }
        let logits = try Functional.linear(features, weight: try #require(saved["head.weight"]), bias: try #require(saved["head.bias"]))
        #expect(try viaCard.features.toArray(of: Float.self) == features.toArray(of: Float.self))
        #expect(try viaCard.sourceLogits!.isClose(to: logits, rtol: 1e-6, atol: 1e-6))
        #expect(try FeatureExtractor(entry: entry).probe().sourceClasses == 3)
    }
}
