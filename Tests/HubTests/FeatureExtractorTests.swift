import Foundation
import Testing
import Torch
@testable import Hub

@Suite("Feature extraction from TorchScript models")
struct FeatureExtractorTests {
    static let inputCount = 3 * 4 * 4

    func entry(_ json: String, in hub: URL, model: String = "m.pt") throws -> HubEntry {
        let card = try HubManifest.decodeCard(Data(json.utf8), cardName: "hub/m.json")
        return HubEntry(card: card, cardName: "hub/m.json", modelFile: hub.appendingPathComponent(model))
    }

    func batch(_ n: Int) -> [Float] { (0..<(n * Self.inputCount)).map { Float(($0 * 7) % 11) / 11 } }

    @Test("features from a method equal a direct ScriptModule call on the same batch")
    func methodMatchesDirectForward() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let extractor = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "features"}, "source_head": {"method": "forward"}}"#,
                in: hub))
        let values = batch(5)
        let out = try extractor.extract(values: values, shape: [5, 3, 4, 4])
        let direct = try ScriptModule(contentsOf: hub.appendingPathComponent("m.pt").path)
        let x = try Tensor(values, shape: [5, 3, 4, 4])
        let expected = try direct.run(method: "features", [.tensor(x)]).tensor().toArray(of: Float.self)
        #expect(out.rows == 5 && out.dimension == 4)
        #expect(out.features == expected)
        let logits = try direct.forward(x)
        let probs = try logits.softmax(dim: 1).toArray(of: Float.self)
        #expect(out.sourceClasses == 3)
        #expect(zip(out.probabilities ?? [], probs).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test("tuple and dict outputs: the card names the element")
    func selectors() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let values = batch(2)
        let plain = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "features"}}"#, in: hub))
        let tuple = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "both", "output": 0}, "source_head": {"method": "both", "output": 1}}"#,
                in: hub))
        let dict = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "named", "output": "emb"}}"#, in: hub
            ))
        let reference = try plain.extract(values: values, shape: [2, 3, 4, 4]).features
        #expect(try tuple.extract(values: values, shape: [2, 3, 4, 4]).features == reference)
        #expect(try tuple.extract(values: values, shape: [2, 3, 4, 4]).sourceClasses == 3)
        #expect(try dict.extract(values: values, shape: [2, 3, 4, 4]).features == reference)
        let missing = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "named", "output": "nope"}}"#,
                in: hub))
        let error = #expect(throws: HubError.self) { try missing.extract(values: values, shape: [2, 3, 4, 4]) }
        #expect(error?.description.contains("no key 'nope' in the result (keys: emb, logits)") == true)
    }

    @Test("a submodule with average pooling, and a submodule source head on the pooled features")
    func submodulePooling() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let extractor = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"submodule": "backbone", "after": {"method": "spatial"}, "pooling": "avg"}, "source_head": {"submodule": "fc"}}"#,
                in: hub))
        let values = batch(3)
        let out = try extractor.extract(values: values, shape: [3, 3, 4, 4])
        #expect(out.dimension == 3)
        // backbone: relu(2x - 0.25), then the mean over the 16 pixels of each channel.
        for n in 0..<3 {
            for c in 0..<3 {
                let pixels = (0..<16).map { values[(n * 3 + c) * 16 + $0] }
                let expected = pixels.map { max(2 * $0 - 0.25, 0) }.reduce(0, +) / 16
                #expect(abs(out.features[n * 3 + c] - expected) < 1e-5)
            }
        }
        #expect(out.sourceClasses == 3)
        let maxPooled = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "spatial", "pooling": "max"}}"#,
                in: hub))
        let m = try maxPooled.extract(values: values, shape: [3, 3, 4, 4])
        #expect(m.features[0] == (0..<16).map { values[$0] }.max())
        let flat = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "spatial", "pooling": "flatten"}}"#,
                in: hub))
        #expect(try flat.extract(values: values, shape: [3, 3, 4, 4]).features == values)
    }

    @Test("a model whose output is the wrong rank is an error naming the model and the shape")
    func wrongRank() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let extractor = try FeatureExtractor(
            entry: try entry(
                #"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "spatial"}}"#, in: hub))
        let error = #expect(throws: HubError.self) { try extractor.extract(values: batch(2), shape: [2, 3, 4, 4]) }
        #expect(
            error?.description.hasPrefix("m: representation has shape [2, 3, 4, 4]: features must be rank 2") == true, "\(String(describing: error))")
    }

    @Test("a submodule or method the model lacks is a card error listing what exists")
    func missingPoints() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let sub = #expect(throws: HubError.self) {
            try FeatureExtractor(entry: try entry(#"{"name": "m", "file": "m.pt", "representation": {"submodule": "layer9"}}"#, in: hub))
        }
        #expect(sub?.description == "hub/m.json: field 'representation.submodule': 'layer9' is not a submodule of m.pt (submodules: backbone, fc)")
        let method = #expect(throws: HubError.self) {
            try FeatureExtractor(entry: try entry(#"{"name": "m", "file": "m.pt", "source_head": {"method": "logits"}}"#, in: hub))
        }
        #expect(method?.description.hasPrefix("hub/m.json: field 'source_head.method': m.pt has no method 'logits'") == true)
    }

    @Test("a broken model file and a batch of the wrong size are reported, not crashed on")
    func brokenModel() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try Data("not a zip archive".utf8).write(to: hub.appendingPathComponent("m.pt"))
        let broken = #expect(throws: HubError.self) {
            try FeatureExtractor(entry: try entry(#"{"name": "m", "file": "m.pt"}"#, in: hub))
        }
        #expect(broken?.description.hasPrefix("m: m.pt does not load as TorchScript") == true)
        try TinyModels.save(inputCount: Self.inputCount, to: hub.appendingPathComponent("m.pt"))
        let extractor = try FeatureExtractor(
            entry: try entry(#"{"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4}, "representation": {"method": "features"}}"#, in: hub)
        )
        let error = #expect(throws: HubError.self) { try extractor.extract(values: Array(repeating: 0, count: 2 * 3 * 5 * 5), shape: [2, 3, 5, 5]) }
        #expect(error?.description.contains("the card expects [B, 3, 4, 4]") == true)
        #expect(try extractor.probe().dimension == 4)
    }

    @Test("the thread plan leaves cores to decoding only when decoding is heavy and there are 4 cores or more")
    func threads() {
        #expect(ExtractionThreads.plan(cores: 8, heavyDecoding: false) == ExtractionThreads(torch: 8, loaderWorkers: 1))
        #expect(ExtractionThreads.plan(cores: 8, heavyDecoding: true) == ExtractionThreads(torch: 6, loaderWorkers: 2))
        #expect(ExtractionThreads.plan(cores: 16, heavyDecoding: true) == ExtractionThreads(torch: 12, loaderWorkers: 4))
        #expect(ExtractionThreads.plan(cores: 4, heavyDecoding: true) == ExtractionThreads(torch: 3, loaderWorkers: 1))
        #expect(ExtractionThreads.plan(cores: 2, heavyDecoding: true) == ExtractionThreads(torch: 2, loaderWorkers: 1))
        #expect(ExtractionThreads.plan(cores: 1, heavyDecoding: true) == ExtractionThreads(torch: 1, loaderWorkers: 1))
    }
}
