import Foundation
import Testing
import Torch
@testable import Tuning

@Suite("Regulariser losses")
struct RegulariserTests {
    @Test("L2-SP: half the squared distance to the start, gradient w - w0, none to the start")
    func l2sp() throws {
        let w = try Tensor([1.0, 2], shape: [2]).requiresGrad(true)
        let v = try Tensor([3.0], shape: [1, 1]).requiresGrad(true)
        let w0 = try Tensor([0.0, 1], shape: [2]).requiresGrad(true)
        let v0 = try Tensor([1.0], shape: [1, 1])
        let loss = try Regularisers.l2sp(parameters: [w, v], initial: [w0, v0])
        expectNear(try loss.item(), 0.5 * (1 + 1 + 4))
        try loss.backward()
        #expect(try w.grad!.toArray(of: Double.self) == [1, 1])
        #expect(try v.grad!.toArray(of: Double.self) == [2])
        #expect(w0.grad == nil)
        #expect(throws: TorchError.self) { try Regularisers.l2sp(parameters: [w], initial: [v0]) }
    }

    @Test("BSS: smallest squared singular values, by hand and against PyTorch, with a finite-difference gradient")
    func bss() throws {
        let diagonal = try Tensor([3.0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0], shape: [4, 3])
        expectNear(try Regularisers.bss(features: diagonal, k: 1).item(), 1)
        expectNear(try Regularisers.bss(features: diagonal, k: 2).item(), 1 + 4)
        let f = try goldenTensor(LossGoldens.bssFeatures, LossGoldens.bssFeaturesShape)
        expectNear(try Regularisers.bss(features: f, k: 1).item(), LossGoldens.bssK1)
        expectNear(try Regularisers.bss(features: f, k: 2).item(), LossGoldens.bssK2)
        try lossGradientCheck(f) { try Regularisers.bss(features: $0, k: 2) }
        #expect(throws: TorchError.invalidArgument(operation: "Regularisers.bss", message: "k must be in 1...3 for features [4, 3], got 4")) {
            try Regularisers.bss(features: diagonal, k: 4)
        }
    }

    @Test("DELTA: uniform and channel-weighted feature-map distances by hand")
    func delta() throws {
        let base = try Tensor.zeros([2, 3, 2, 2], dtype: .float64)
        let moved = try (base + 1.0).requiresGrad(true)
        // Uniform: ½ · 24 ones.
        expectNear(try Regularisers.delta(student: [moved], pretrained: [base]).item(), 12)
        // All weight on channel 0: ½ · C · 1 · ‖Δ₀‖² / (H·W) = ½ · 3 · 8 / 4.
        let weights = try Tensor([1.0, 0, 0], shape: [3])
        expectNear(try Regularisers.delta(student: [moved], pretrained: [base], channelWeights: [weights]).item(), 3)
        // Uniform attention (1/C) is the per-position form: ½ · 24 / 4.
        let uniform = try Tensor.full([3], value: 1.0 / 3, dtype: .float64)
        expectNear(try Regularisers.delta(student: [moved], pretrained: [base], channelWeights: [uniform]).item(), 3)
        let reference = try base.requiresGrad(true)
        try Regularisers.delta(student: [moved], pretrained: [reference]).backward()
        #expect(moved.grad != nil)
        #expect(reference.grad == nil)
    }

    @Test("DELTA channel attention favours the channel the labels depend on")
    func deltaAttention() throws {
        // Channel 0 separates the classes, channels 1-3 are noise.
        let g = try Generator(seed: 5)
        let labels = (0..<60).map { $0 % 2 }
        let noise = try Tensor.randn([60, 4], generator: g)
        let signal = try Tensor(labels.map { Float($0 == 0 ? -2 : 2) }, shape: [60, 1])
        let features = try noise + Tensor.cat([signal, Tensor.zeros([60, 3])], dim: 1)
        let weights = try DeltaAttention.channelWeights(features: features, labels: labels, classCount: 2).toArray(of: Float.self)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-5)
        #expect(weights[0] == weights.max())
        // One informative channel among four, the others (almost) useless: standardised
        // increases √3 and -1/√3, so softmax(/5) puts exp(4 / (5√3)) times more on it.
        let others = (weights[1] + weights[2] + weights[3]) / 3
        #expect(abs(Double(weights[0] / others) - exp(4 / (5 * 3.0.squareRoot()))) < 0.03)
    }

    @Test("LwF: softened KL without T², zero for the recorded outputs")
    func lwf() throws {
        let s = try Tensor([0.0, 0.0], shape: [1, 2]).requiresGrad(true)
        let original = try Tensor([2 * log(3.0), 0], shape: [1, 2]).requiresGrad(true)
        let loss = try Regularisers.lwf(student: s, original: original, temperature: 2)
        expectNear(try loss.item(), 0.75 * log(1.5) + 0.25 * log(0.5))
        try loss.backward()
        #expect(s.grad != nil)
        #expect(original.grad == nil)
        expectNear(try Regularisers.lwf(student: original, original: original, temperature: 2).item(), 0, tolerance: 1e-15)
    }

    @Test("Co-Tuning: relationship is the per-class mean of source probabilities, empty classes get the marginal")
    func coTuningRelationship() throws {
        let rows: [[Double]] = [[0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6]]
        let logits = try Tensor(rows.flatMap { $0.map { log($0) } }, shape: [3, 3])
        let r = try CoTuningRelationship.direct(sourceLogits: logits, labels: [0, 0, 1], classCount: 3)
        #expect(r.shape == [3, 3])
        let v = try r.toArray(of: Float.self).map(Double.init)
        let expected = [0.3, 0.175, 0.525, 0.2, 0.2, 0.6, 0.8 / 3, 0.55 / 3, 1.65 / 3]
        for (a, b) in zip(v, expected) { expectNear(a, b, tolerance: 1e-6) }
        // Temperature 2 flattens: class 1's row is softmax(log p / 2) = √p normalised.
        let t2 = try CoTuningRelationship.direct(sourceLogits: logits, labels: [0, 0, 1], classCount: 2, temperature: 2)
        let root = [0.2, 0.2, 0.6].map { sqrt($0) }
        let norm = root.reduce(0, +)
        for (a, b) in zip(try t2[1].toArray(of: Float.self).map(Double.init), root.map { $0 / norm }) { expectNear(a, b, tolerance: 1e-6) }
        #expect(throws: TorchError.invalidArgument(operation: "CoTuningRelationship.direct", message: "label 3 is outside 0..<3")) {
            try CoTuningRelationship.direct(sourceLogits: logits, labels: [0, 3, 1], classCount: 3)
        }
    }

    @Test("Co-Tuning loss: cross-entropy against the label's relationship row")
    func coTuningLoss() throws {
        let relationship = try Tensor([0.5, 0.5, 0, 0, 0, 1], shape: [2, 3])
        // Uniform logits: every log-probability is -ln 3, whatever the row.
        let uniform = try Tensor.zeros([2, 3], dtype: .float64)
        let labels = try Tensor([Int64(0), 1], shape: [2])
        expectNear(try Regularisers.coTuning(sourceLogits: uniform, labels: labels, relationship: relationship).item(), log(3.0))
        // Row 1 is one-hot on class 2: plain cross-entropy of that sample.
        let logits = try Tensor([0.0, 0, 0, 1, 2, 3], shape: [2, 3])
        let second = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3
        expectNear(try Regularisers.coTuning(sourceLogits: logits, labels: labels, relationship: relationship).item(), (log(3.0) + second) / 2)
    }
}
