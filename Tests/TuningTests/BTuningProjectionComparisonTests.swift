import Foundation
import Testing
import Torch
@testable import Tuning

/// The degenerate-m_s pitfall on a linear student, trained full-batch with SGD
/// (lr 0.01, momentum 0.9) on CE + 100 · btuning_mse: the student reads the label
/// information only through a weak input component (weight 0.1 against 1 for noise),
/// so LogME's m_s reaches the teachers' target only with a large feature change.
@Suite("B-Tuning projection comparison")
struct BTuningProjectionComparisonTests {
    struct Outcome { let accuracy: Double; let finalMSE: Double }

    static func train(_ fixture: FakeHubFixture, initialWeight: Tensor, projection: String?) throws -> Outcome {
        let weight = try initialWeight.clone().requiresGrad(true)
        let head = try (Tensor.randn([5, 3], generator: try Generator(seed: 1)) * 0.1).requiresGrad(true)
        let term = try projection.map {
            try #require(
                try BTuningMethod.makeTerms(
                    try fixture.context(
                        method: "btuning", student: "student",
                        options: ["projection": .string($0)]))[0] as? BTuningTerm)
        }
        let optimizer = try SGD(
            [ParameterGroup([weight, head] + (term?.trainableParameters ?? []))],
            options: .init(learningRate: 0.01, momentum: 0.9))
        let labels = try Tensor(fixture.labels.map { Int64($0) })
        var mse = 0.0
        for _ in 0..<300 {
            try optimizer.zeroGrad()
            let features = try fixture.inputs.matmul(weight)
            let logits = try features.matmul(head)
            var loss = try Loss.crossEntropy(logits, labels)
            if let term {
                let step = TrainingStep(
                    inputs: fixture.inputs, labels: labels, indices: Array(fixture.labels.indices), augmented: false,
                    student: ModelOutputs(features: features), logits: logits, classCount: 3)
                let termLoss = try term.loss(step)
                mse = try termLoss.item()
                loss = try loss + termLoss * term.weight
            }
            try loss.backward()
            try optimizer.step()
        }
        let predicted = try fixture.inputs.matmul(weight).matmul(head).argmax(dim: 1)
        return Outcome(accuracy: try predicted.eq(labels).to(.float32).mean().item(), finalMSE: mse)
    }

    @Test("frozen m_s diverges to chance accuracy where the learnable projection trains")
    func frozenVersusLearnable() throws {
        let (x, labels) = try FakeHubFixture.make()
        let g = try Generator(seed: 11)
        let teachers = try [("alpha", 4), ("beta", 7), ("gamma", 3), ("delta", 2)].map {
            FakeLinearRunner(name: $0.0, weight: try Tensor.randn([10, $0.1], generator: g))
        }
        let weak = try Tensor((0..<10).map { Float($0 >= 6 ? 1 : 0.1) }, shape: [10, 1])
        let initial = try Tensor.randn([10, 5], generator: g) * weak
        let fixture = try FakeHubFixture(
            inputs: x, labels: labels, classCount: 3,
            models: [FakeLinearRunner(name: "student", weight: initial)] + teachers)
        defer { fixture.cleanup() }
        let auto = try #require(try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student"))[0] as? BTuningTerm)
        #expect(try #require(auto.reach).isDegenerate())
        #expect(auto.projectionKind == .learnable)

        let plain = try Self.train(fixture, initialWeight: initial, projection: nil)
        let frozen = try Self.train(fixture, initialWeight: initial, projection: "frozen")
        let learnable = try Self.train(fixture, initialWeight: initial, projection: "learnable")
        #expect(plain.accuracy == 1)
        // Frozen: the features are driven along m_s until the loss is no longer finite.
        #expect(!frozen.finalMSE.isFinite || frozen.accuracy < 0.5)
        #expect(learnable.finalMSE.isFinite && learnable.finalMSE < 1e-4 && learnable.accuracy == 1)
    }
}
