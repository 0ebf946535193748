import Testing
import Torch
@testable import Tuning

/// A linear "model" whose forward calls are counted.
final class CountingRunner: ModelRunner {
    let name = "counting"
    let weight: Tensor
    var calls = 0
    init(weight: Tensor) { self.weight = weight }
    var featureDimension: Int { weight.shape[1] }
    var sourceClasses: Int? { nil }
    func supports(_ needs: OutputNeeds) -> Bool { needs.isEmpty }
    func outputs(_ input: ModelInput, needs: OutputNeeds) throws -> ModelOutputs {
        let inputs = try input.floatBatch()
        calls += 1
        return ModelOutputs(features: try inputs.matmul(weight))
    }
}

@Suite("Teacher")
struct TeacherTests {
    func step(_ x: Tensor, indices: [Int], augmented: Bool) throws -> TrainingStep {
        TrainingStep(
            inputs: x, labels: try Tensor.zeros([x.shape[0]], dtype: .int64), indices: indices, augmented: augmented,
            student: ModelOutputs(features: x), logits: x, classCount: 2)
    }

    @Test("runs without gradient and caches rows by dataset index when not augmented")
    func caching() throws {
        let w = try Tensor.randn([3, 2], generator: Generator(seed: 1)).requiresGrad(true)
        let runner = CountingRunner(weight: w)
        let teacher = Teacher(runner)
        let x = try Tensor.randn([4, 3], generator: Generator(seed: 2))
        let first = try teacher.outputs(for: try step(x, indices: [10, 11, 12, 13], augmented: false))
        #expect(!first.features.requiresGrad)
        // Reordered subset of cached rows: served from the cache, same values.
        let sub = try x.indexSelect(dim: 0, [2, 0])
        let again = try teacher.outputs(for: try step(sub, indices: [12, 10], augmented: false))
        #expect(runner.calls == 1)
        #expect(try again.features.isClose(to: try sub.matmul(w).detach(), rtol: 1e-6, atol: 1e-6))
        // Augmented inputs always run the model.
        _ = try teacher.outputs(for: try step(sub, indices: [12, 10], augmented: true))
        #expect(runner.calls == 2)
    }
}
