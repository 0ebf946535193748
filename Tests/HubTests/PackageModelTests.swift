import Foundation
import Testing
import Torch
@testable import Hub

/// The AOTInductor package of the Torch fixtures (made by
/// scripts/fixtures/make_modern_torch_fixtures.py with the pinned PyTorch).
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../TorchTests/Fixtures/modern").standardizedFileURL

@Suite("AOTInductor packages (.pt2) as hub models")
struct PackageModelTests {
    func hub(card: String) throws -> (URL, HubManifest) {
        let dir = try makeTempDir()
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("tiny_cnn.pt2"), to: dir.appendingPathComponent("cnn.pt2"))
        try Data(card.utf8).write(to: dir.appendingPathComponent("cnn.json"))
        return (dir, try HubManifest.load(dir))
    }

    func reference() throws -> (input: [Float], shape: [Int], features: [Double], logits: [Double]) {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("expected.json"))) as? [String: Any]
        let entry = try #require(json?["tiny_cnn.pt2"] as? [String: Any])
        func record(_ key: String) throws -> ([Int], [Double]) {
            let r = try #require(entry[key] as? [String: Any])
            return (try #require(r["shape"] as? [Int]), try #require(r["values"] as? [Double]))
        }
        let inputs = try #require(json?["inputs"] as? [String: Any])
        let r = try #require(inputs["small_image"] as? [String: Any])
        let (shape, input) = (try #require(r["shape"] as? [Int]), try #require(r["values"] as? [Double]))
        return (input.map(Float.init), shape, try record("output").1, try record("logits").1)
    }

    @Test("features and source probabilities come from the outputs the card names, matching PyTorch")
    func extractionMatchesPyTorch() throws {
        let (dir, manifest) = try hub(
            card:
                #"{"name": "cnn", "file": "cnn.pt2", "input": {"height": 16, "width": 16, "resize": "none"}, "representation": {"output": 0}, "source_head": {"output": 1}}"#
        )
        defer { cleanup(dir) }
        #expect(manifest.problems.isEmpty)
        let entry = try #require(manifest.entry(named: "cnn"))
        #expect(entry.card.format == .aotInductor)
        let ref = try reference()
        let extractor = try FeatureExtractor(entry: entry)
        let batch = try extractor.extract(values: ref.input, shape: ref.shape)
        #expect(batch.rows == 3 && batch.dimension == 16 && batch.sourceClasses == 5)
        let scale = ref.features.map(Swift.abs).max()!
        for (a, b) in zip(batch.features, ref.features) { #expect(Swift.abs(Double(a) - b) <= 1e-5 * scale) }
        // Probabilities: softmax of PyTorch's logits, row by row.
        for row in 0..<3 {
            let l = Array(ref.logits[(row * 5)..<(row * 5 + 5)])
            let m = l.max()!, e = l.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
            for c in 0..<5 { #expect(Swift.abs(Double(batch.probabilities![row * 5 + c]) - e[c] / z) <= 1e-5) }
        }
        #expect(try extractor.probe().dimension == 16)
    }

    @Test("a package card naming submodules, methods or hints is refused with the field")
    func packageCardsAreChecked() throws {
        let (dir, manifest) = try hub(card: #"{"name": "cnn", "file": "cnn.pt2", "representation": {"submodule": "conv2"}}"#)
        defer { cleanup(dir) }
        #expect(manifest.entries.isEmpty)
        #expect(manifest.problems.first?.message.contains("representation.submodule") == true)
        let card = try HubManifest.decodeCard(Data(#"{"name": "c", "file": "c.pt2", "source_head": {"method": "forward"}}"#.utf8), cardName: "c.json")
        #expect(card.validationProblem()?.field == "source_head.output")
    }

    @Test("two outputs and no 'output' in the card is an error naming the field")
    func ambiguousOutputIsAnError() throws {
        let (dir, manifest) = try hub(card: #"{"name": "cnn", "file": "cnn.pt2", "input": {"height": 16, "width": 16, "resize": "none"}}"#)
        defer { cleanup(dir) }
        let extractor = try FeatureExtractor(entry: try #require(manifest.entry(named: "cnn")))
        let error = #expect(throws: HubError.self) { try extractor.probe() }
        #expect(error?.description.contains("representation.output") == true)
    }

    @Test("a package loaded as TorchScript (tuning's loader) says it is inference-only")
    func scriptLoaderRefusesPackages() throws {
        let (dir, manifest) = try hub(card: #"{"name": "cnn", "file": "cnn.pt2", "representation": {"output": 0}}"#)
        defer { cleanup(dir) }
        let error = #expect(throws: HubError.self) { try StageRunner.loadModule(try #require(manifest.entry(named: "cnn"))) }
        #expect(error?.description.contains("inference-only") == true)
    }
}
