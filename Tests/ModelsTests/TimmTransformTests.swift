import Data
import Foundation
import Hub
import Testing
@testable import Models

/// Cards derived from timm checkpoints apply timm's evaluation transform
/// (`pretrained_cfg` crop_pct and crop_mode), checked against timm's own
/// `resolve_data_config` / `create_transform` (`scripts/fixtures/make_timm_transform_fixtures.py`).
struct TimmTransformTests {
    struct Golden: Decodable {
        struct Model: Decodable { let crop_pct: Double, crop_mode: String, resize_shorter: Int, crop: [Int] }
        struct Pixels: Decodable { let model: String, shape: [Int], image: [Float], output_shape: [Int], output: [Float] }
        let models: [String: Model]
        let pixels: Pixels
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: try CheckpointFixtureTests.fixture("timm_transforms.json")))
    }

    static func card(_ name: String) throws -> ModelCard {
        try CheckpointEntries.derivedCard(name: name, file: name, folder: try CheckpointFixtureTests.fixture(name))
    }

    @Test("every timm fixture: the resize and crop sizes of timm's transform")
    func sizes() throws {
        let g = try Self.golden()
        #expect(g.models.count == 6)
        for (name, want) in g.models {
            let card = try Self.card(name)
            #expect(card.input.resize == .resizeCrop, "\(name)")
            #expect(card.input.cropPercentage == want.crop_pct, "\(name)")
            let steps = try #require((card.transform() as? Compose)?.transforms, "\(name)")
            let resize = try #require(steps.compactMap { $0 as? Resize }.first)
            let crop = try #require(steps.compactMap { $0 as? CenterCrop }.first)
            #expect(resize.shorter == want.resize_shorter, "\(name): \(resize.shorter ?? -1) vs \(want.resize_shorter)")
            #expect([crop.height, crop.width] == want.crop, "\(name)")
        }
    }

    @Test("the pixels of timm's transform (bilinear) on a 40 x 52 image, to 1e-5")
    func pixels() throws {
        let p = try Self.golden().pixels
        let card = try Self.card(p.model)
        let transform = try #require(card.transform())
        let out = try transform.apply(Sample(values: p.image, shape: p.shape, label: nil))
        #expect(out.shape == p.output_shape)
        let worst = zip(out.values, p.output).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test("crop_pct in a written card: squash mode, bounds, and a clear error outside (0, 1]")
    func writtenCards() throws {
        var input = InputSpec(kind: .image, channels: 3, height: 32, width: 24, resize: .resize, cropPercentage: 0.8)
        let card = ModelCard(name: "m", file: "m.pt", input: input)
        let steps = try #require((card.transform() as? Compose)?.transforms)
        let resize = try #require(steps.compactMap { $0 as? Resize }.first)
        #expect(resize.height == 40 && resize.width == 30)
        #expect(steps.contains { ($0 as? CenterCrop).map { $0.height == 32 && $0.width == 24 } ?? false })
        input.cropPercentage = 1.5
        let bad = ModelCard(name: "m", file: "m.pt", input: input)
        #expect(bad.validationProblem()?.field == "input.crop_pct")
        let json = #"{"name": "m", "file": "m.pt", "input": {"crop_pct": 0.9}}"#
        let decoded = try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8))
        #expect(decoded.input.cropPercentage == 0.9)
    }
}
