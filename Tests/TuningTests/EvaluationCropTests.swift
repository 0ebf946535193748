import Data
import Foundation
import Hub
import Testing
import Torch
@testable import Tuning

/// Images held in memory (the trainer's datasets in these tests).
private struct MemoryImages: Dataset {
    let images: [[Float]]
    let labels: [Int]
    let side: Int
    var count: Int { images.count }
    var classNames: [String] { ["a", "b"] }
    var kind: SampleKind { .image }
    var fingerprint: String { "memory-\(images.count)-\(images.first?.count ?? 0)" }
    func sample(at index: Int) throws -> Sample {
        Sample(values: images[index], shape: [1, side, side], label: labels[index], source: "mem/\(index)")
    }
}

@Suite("Evaluation crops")
struct EvaluationCropTests {
    static func card(_ json: String) throws -> ModelCard {
        try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8))
    }

    @Test("centre crop: the image is resized so the model's input is 0.875 of it (256 for 224), then centre-cropped")
    func centreGeometry() throws {
        let card = try Self.card(
            #"{"name": "m", "file": "m.pt", "input": {"channels": 3, "height": 224, "width": 224, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}}"#
        )
        let transform = try #require(TrainingTransforms.evaluation(card, crop: .center))
        #expect(transform.description.contains("Resize(shorter=256") && transform.description.hasSuffix("CenterCrop(224x224)]"))
        // A 300 x 400 image: shorter side 300 → 256 (longer 341), then the centre 224 x 224.
        let count = 3 * 300 * 400
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = Float((i * 7919) % 256) / 255 }
        let sample = Sample(values: values, shape: [3, 300, 400], label: 0)
        let out = try transform.apply(sample)
        #expect(out.shape == [3, 224, 224])
        let byHand = try Compose([
            Resize(shorter: 256), Normalize(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]), CenterCrop(height: 224, width: 224),
        ]).apply(sample)
        #expect(out.values == byHand.values)
        // Top of the crop: round((256 − 224) / 2) = 16 rows, left round((341 − 224) / 2) = 58 (ties to even).
        let resized = try Compose([Resize(shorter: 256), Normalize(mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])]).apply(sample)
        #expect(resized.shape == [3, 256, 341])
        #expect(out.values[0] == resized.values[16 * 341 + 58])
        // `none` keeps the card's own transform; a card that resizes both sides gets 256 x 256.
        #expect(TrainingTransforms.evaluation(card, crop: .none)?.description == card.transform()?.description)
        let stretch = try Self.card(#"{"name": "m", "file": "m.pt", "input": {"height": 8, "width": 8, "resize": "resize"}}"#)
        #expect(try #require(TrainingTransforms.evaluation(stretch, crop: .ten)).description.contains("Resize(9x9"))
    }

    /// A hub with "mean16": features(x) = 16 · mean(x) (one feature), input 1 x 4 x 4.
    static func hub(in root: URL) throws -> URL {
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let net = try ScriptModule(name: "Mean16")
        try net.registerParameter("unused", try Tensor.zeros([1]))
        try net.define(
            """
            def features(self, x):
                return torch.mean(torch.flatten(x, 1), 1, keepdim=True) * 16.0 + self.unused * 0.0

            def forward(self, x):
                return self.features(x)
            """)
        try net.save(to: hub.appendingPathComponent("mean16.pt").path)
        try Data(
            #"{"name": "mean16", "file": "mean16.pt", "input": {"channels": 1, "height": 4, "width": 4, "resize": "none"}, "representation": {"method": "features"}}"#
                .utf8
        ).write(to: hub.appendingPathComponent("mean16.json"))
        return hub
    }

    @Test("ten-crop averages the softmax over the ten views: a hand-computed loss; the centre crop's differs as computed")
    func tenCropByHand() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try Self.hub(in: root)
        let manifest = try HubManifest.load(hub)
        // 5 x 5 images (the 4 x 4 model's input is 0.875 of 5 after rounding, so the
        // resize keeps them as they are): one bright pixel at the top-left corner.
        var bright = [Float](repeating: 0, count: 25)
        bright[0] = 1
        let validation = MemoryImages(images: [bright], labels: [0], side: 5)
        let train = MemoryImages(images: [bright, [Float](repeating: 0, count: 25)], labels: [0, 1], side: 5)

        func metrics(_ crop: EvaluationCrop) throws -> ClassificationMetrics {
            var config = TuneConfiguration()
            config.hub = hub.path
            config.data = root.path
            config.target = "mean16"
            config.out = root.appendingPathComponent("out-\(crop.rawValue)").path
            config.evalCrop = crop.rawValue
            config = try config.resolved(source: "test")
            let student = try HubModel(entry: try #require(manifest.entry(named: "mean16")))
            let trainer = try Trainer(
                config: config, student: student, train: train, validation: validation, methodTerms: [],
                output: URL(fileURLWithPath: config.out))
            // Head: logits [f, 0].
            try withNoGrad {
                _ = try trainer.head.weight.copy_(try Tensor([1, 0] as [Float], shape: [2, 1]))
                _ = try trainer.head.bias.fill_(0)
            }
            return try trainer.evaluate()
        }
        func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        // Ten views of 4 x 4: the bright pixel is in the top-left and centre crops
        // (centre offset round(0.5) = 0) and, mirrored to (0, 4), in the top-right
        // crop: 3 views with f = 16 / 16 = 1, p_a = sigmoid(1); 7 with f = 0, p_a = 1/2.
        let ten = try metrics(.ten)
        let pTen = (3 * sigmoid(1) + 7 * 0.5) / 10
        #expect(Swift.abs(try #require(ten.loss) - -Foundation.log(pTen)) < 1e-5)
        #expect(ten.top1 == 1 && ten.samples == 1)
        // Centre crop: one view, at (0, 0): f = 1.
        let centre = try metrics(.center)
        #expect(Swift.abs(try #require(centre.loss) - -Foundation.log(sigmoid(1))) < 1e-5)
        // None: the card's transform (resize none) passes the 5 x 5 image as it is,
        // which this 4 x 4 card refuses.
        do {
            _ = try metrics(.none)
            Issue.record("a 5 x 5 image reached a 4 x 4 model without a crop")
        } catch {
            #expect("\(error)".contains("[B, 1, 4, 4]"))
        }
    }

    @Test("eval_crop is checked: an unknown value names the field; the command line sets it")
    func badValues() throws {
        var config = TuneConfiguration()
        config.hub = "h"
        config.data = "d"
        config.target = "t"
        config.evalCrop = "tencrop"
        #expect(throws: TuningError.invalidConfiguration(file: "tune.json", field: "eval_crop", message: "'tencrop' is not one of none, center, ten"))
        {
            _ = try config.resolved(source: "tune.json")
        }
        var overrides = TuneOverrides()
        overrides.evalCrop = "ten"
        #expect(TuneConfiguration().applying(overrides).evalCrop == "ten")
    }
}
