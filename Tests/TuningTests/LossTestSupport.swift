import Testing
import Torch
@testable import Tuning

/// A float64 tensor from a golden array.
func goldenTensor(_ values: [Double], _ shape: [Int]) throws -> Tensor { try Tensor(values, shape: shape) }

func expectNear(_ a: Double, _ b: Double, tolerance: Double = 1e-10, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(b)), "\(a) vs \(b)", sourceLocation: sourceLocation)
}

/// Autograd's gradient of the scalar `f` at `point` (float64) against central
/// finite differences, element by element.
func lossGradientCheck(
    _ point: Tensor, eps: Double = 1e-6, tolerance: Double = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation, _ f: (Tensor) throws -> Tensor
) throws {
    let values = try point.to(.float64).toArray(of: Double.self)
    let shape = point.shape
    let x = try Tensor(values, shape: shape).requiresGrad(true)
    try f(x).backward()
    guard let grad = x.grad else {
        Issue.record("no gradient reached the input", sourceLocation: sourceLocation)
        return
    }
    let analytic = try grad.toArray(of: Double.self)
    for i in values.indices {
        var plus = values, minus = values
        plus[i] += eps
        minus[i] -= eps
        let up = try withNoGrad { try f(Tensor(plus, shape: shape)).item() }
        let down = try withNoGrad { try f(Tensor(minus, shape: shape)).item() }
        let numeric = (up - down) / (2 * eps)
        #expect(
            Swift.abs(analytic[i] - numeric) <= tolerance * Swift.max(1, Swift.abs(numeric)),
            "d/dx[\(i)]: autograd \(analytic[i]), finite difference \(numeric)", sourceLocation: sourceLocation)
    }
}

/// Runs `body` and returns the `TuningError` it threw (nil when it did not throw one).
func tuningError(_ body: () throws -> Void) -> TuningError? {
    do { try body() } catch let error as TuningError { return error } catch { Issue.record("unexpected error \(error)") }
    return nil
}

/// A small convolutional "model": each hint stage is a 1x1 convolution and ReLU
/// (stages after the first halve the size by average pooling), features are the
/// last map's spatial mean times `projection`, source logits a linear head on them.
/// Every weight requires gradients, so a test can see whether any reached it.
final class FakeConvModel: ModelRunner {
    let name: String
    let stages: [Tensor]
    let projection: Tensor
    let sourceHead: Tensor?
    let hasHints: Bool
    var calls = 0

    init(
        name: String, inputChannels: Int = 2, hintChannels: [Int], featureDimension: Int, sourceClasses: Int?,
        hasHints: Bool = true, seed: UInt64
    ) throws {
        let g = try Generator(seed: seed)
        var stages: [Tensor] = []
        var channels = inputChannels
        for c in hintChannels {
            stages.append(try (Tensor.randn([c, channels, 1, 1], generator: g) * 0.7).requiresGrad(true))
            channels = c
        }
        self.name = name
        self.stages = stages
        self.projection = try (Tensor.randn([channels, featureDimension], generator: g) * 0.5).requiresGrad(true)
        self.sourceHead = try sourceClasses.map { try (Tensor.randn([featureDimension, $0], generator: g) * 0.5).requiresGrad(true) }
        self.hasHints = hasHints
    }

    /// A copy with the same values and independent tensors (a "frozen copy").
    init(copying other: FakeConvModel, name: String? = nil) throws {
        self.name = name ?? other.name
        stages = try other.stages.map { try $0.detach().clone().requiresGrad(true) }
        projection = try other.projection.detach().clone().requiresGrad(true)
        sourceHead = try other.sourceHead.map { try $0.detach().clone().requiresGrad(true) }
        hasHints = other.hasHints
    }

    var parameters: [Tensor] { stages + [projection] + (sourceHead.map { [$0] } ?? []) }
    var featureDimension: Int { projection.shape[1] }
    var sourceClasses: Int? { sourceHead?.shape[1] }

    func supports(_ needs: OutputNeeds) -> Bool {
        (!needs.contains(.hints) || hasHints) && (!needs.contains(.sourceLogits) || sourceHead != nil)
    }

    func outputs(_ input: ModelInput, needs: OutputNeeds) throws -> ModelOutputs {
        let inputs = try input.floatBatch()
        calls += 1
        var h = inputs
        var hints: [Tensor] = []
        for (i, w) in stages.enumerated() {
            h = try Functional.conv2d(h, weight: w).relu()
            if i > 0 { h = try Functional.avgPool2d(h, kernelSize: 2) }
            hints.append(h)
        }
        let features = try h.mean(dims: [2, 3]).matmul(projection)
        return ModelOutputs(
            features: features, hints: needs.contains(.hints) ? hints : [],
            sourceLogits: needs.contains(.sourceLogits) ? try sourceHead.map { try features.matmul($0) } : nil)
    }
}

extension FakeConvModel: HintShapeReporting {
    /// For an 8x8 input, as the tests use.
    func hintShapes() throws -> [[Int]] {
        let probe = try Tensor.zeros([1, stages[0].shape[1], 8, 8])
        return try withNoGrad { try outputs(probe, needs: .hints).hints.map { Array($0.shape.dropFirst()) } }
    }
}

/// A method context over fake models: `models` are what `loadModel` opens (a fresh
/// copy each time, as a frozen hub model would be); the student's own name opens a
/// copy of the student.
func fakeContext(
    method: String, student: FakeConvModel, models: [FakeConvModel] = [], teacherNames: [String] = [],
    classCount: Int = 3, options: [String: MethodOptions.Value] = [:],
    trainingInputs: Tensor? = nil, trainingLabels: [Int] = []
) throws -> MethodContext {
    let byName = Dictionary(uniqueKeysWithValues: (models + [student]).map { ($0.name, $0) })
    let parameters = student.parameters.enumerated().map { (name: "p\($0.offset)", tensor: $0.element) }
    let initial = Dictionary(uniqueKeysWithValues: try parameters.map { ($0.name, try $0.tensor.detach().clone()) })
    return MethodContext(
        method: method, student: student, studentParameters: parameters, initialParameters: initial,
        classCount: classCount, options: MethodOptions(options, source: "tune.json"), teacherNames: teacherNames, hub: nil,
        loadModel: { name in
            guard let model = byName[name] else { throw TuningError.model(name: name, message: "not in the test hub") }
            return try FakeConvModel(copying: model)
        },
        trainingOutputs: { runner, needs in
            guard let trainingInputs else { throw TuningError.model(name: runner.name, message: "no training data in this test") }
            return try withNoGrad { try runner.outputs(trainingInputs, needs: needs) }
        },
        trainingLabels: trainingLabels, augmented: false, configSource: "tune.json")
}

/// A training step of `student` on `inputs` with gradient, logits from its source head
/// (or features when it has none).
func fakeStep(_ student: FakeConvModel, _ inputs: Tensor, labels: [Int64], needs: OutputNeeds, epoch: Int = 0) throws -> TrainingStep {
    let outputs = try student.outputs(inputs, needs: needs.union(student.sourceHead != nil ? .sourceLogits : []))
    let logits = outputs.sourceLogits ?? outputs.features
    return TrainingStep(
        inputs: inputs, labels: try Tensor(labels, shape: [labels.count]), indices: Array(0..<labels.count),
        augmented: false, student: outputs, logits: logits, classCount: logits.shape[1], epoch: epoch)
}

extension ModelInput {
    /// The tensor of a float batch (the fake runners of these tests take no texts).
    func floatBatch() throws -> Tensor {
        guard case .tensor(let t) = self else { throw TuningError.model(name: "fake", message: "takes tensors, not texts") }
        return t
    }
}
