import Testing
import Torch
@testable import Tuning

/// Terms over fake models: gradients reach the student (and the FitNet regressor),
/// never a teacher or a frozen pre-trained copy.
@Suite("Distillation and regulariser terms")
struct LossTermTests {
    let inputs: Tensor
    init() throws { inputs = try Tensor.randn([4, 2, 8, 8], generator: Generator(seed: 3)) }

    func model(_ name: String, hints: [Int] = [3, 4], features: Int = 5, source: Int? = 3, seed: UInt64) throws -> FakeConvModel {
        try FakeConvModel(name: name, hintChannels: hints, featureDimension: features, sourceClasses: source, seed: seed)
    }

    /// Backpropagates every term and checks where gradients arrived.
    func expectGradients(
        _ terms: [any LossTerm], student: FakeConvModel, frozen: [FakeConvModel], needs: OutputNeeds = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let step = try fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: needs.union(terms.reduce([]) { $0.union($1.studentNeeds) }))
        for term in terms {
            for p in student.parameters + term.trainableParameters { try p.zeroGrad() }
            let loss = try term.loss(step)
            #expect(try loss.item().isFinite, "\(term.name)", sourceLocation: sourceLocation)
            try loss.backward(retainGraph: true)
            #expect(student.stages[0].grad != nil, "\(term.name): no gradient reached the student", sourceLocation: sourceLocation)
            for p in term.trainableParameters {
                #expect(p.grad != nil, "\(term.name): no gradient reached a term parameter", sourceLocation: sourceLocation)
            }
        }
        for model in frozen {
            #expect(model.parameters.allSatisfy { $0.grad == nil }, "a gradient reached '\(model.name)'", sourceLocation: sourceLocation)
        }
    }

    @Test("logit and feature distillation terms")
    func distillation() throws {
        let student = try model("student", features: 5, seed: 1)
        let teacherModel = try model("teacher", hints: [6, 2], features: 7, seed: 2)
        let teacher = Teacher(teacherModel)
        let terms: [any LossTerm] = [
            KDTerm(teacher: teacher, temperature: 4, weight: 0.9),
            DKDTerm(teacher: teacher, alpha: 1, beta: 8, temperature: 4, warmupEpochs: 20),
            AttentionTransferTerm(teacher: teacher, p: 2, weight: 1000),
            FeatureRelationTerm(name: "sp", teacher: teacher, weight: 1) { try FeatureDistillation.similarityPreserving(student: $0, teacher: $1) },
            FeatureRelationTerm(name: "rkd_angle", teacher: teacher, weight: 1) { try FeatureDistillation.rkdAngle(student: $0, teacher: $1) },
            FeatureRelationTerm(name: "pkt", teacher: teacher, weight: 1) { try FeatureDistillation.pkt(student: $0, teacher: $1) },
            FitNetTerm(
                teacher: teacher, hintIndex: 0,
                regressor: try HintRegressor(student: [3, 8, 8], teacher: [6, 8, 8], generator: Generator(seed: 0)), weight: 100),
        ]
        try expectGradients(terms, student: student, frozen: [teacherModel])
    }

    @Test("DKD's warm-up scales the term by epoch")
    func dkdWarmup() throws {
        let student = try model("student", seed: 1)
        let term = DKDTerm(teacher: Teacher(try model("teacher", seed: 2)), alpha: 1, beta: 8, temperature: 4, warmupEpochs: 4)
        let early = try term.loss(fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: [], epoch: 0)).item()
        let late = try term.loss(fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: [], epoch: 7)).item()
        expectNear(early * 4, late, tolerance: 1e-5)
    }

    @Test("regulariser terms")
    func regularisers() throws {
        let student = try model("student", seed: 1)
        let copy = try FakeConvModel(copying: student)
        // Move the student away from its copy so every distance is non-zero.
        try withNoGrad { for p in student.parameters { try p.add_(0.05) } }
        let relationship = try Tensor([Float(0.2), 0.3, 0.5, 0.6, 0.2, 0.2, 0.1, 0.1, 0.8], shape: [3, 3])
        let terms: [any LossTerm] = [
            L2SPTerm(parameters: student.parameters, initial: copy.parameters, weight: 0.01),
            DeltaTerm(pretrained: Teacher(copy), attention: nil, weight: 0.01),
            DeltaTerm(pretrained: Teacher(copy), attention: try Tensor.full([4], value: 0.25), weight: 0.01),
            BSSTerm(k: 1, weight: 0.001),
            LwFTerm(original: Teacher(copy), temperature: 2, weight: 1),
            CoTuningTerm(relationship: relationship, weight: 2.3),
        ]
        try expectGradients(terms, student: student, frozen: [copy])
        // Attention over a width no hint map has is an error, not a silent no-op.
        let wrongWidth = DeltaTerm(pretrained: Teacher(copy), attention: try Tensor.full([5], value: 0.2), weight: 0.01)
        let step = try fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: .hints)
        #expect(tuningError { _ = try wrongWidth.loss(step) }?.description.contains("no hint map has 5 channels") == true)
    }

    @Test("FitNet regressor sizes follow RepDistiller's rules")
    func regressorShapes() throws {
        let g = try Generator(seed: 0)
        #expect(try HintRegressor(student: [3, 8, 8], teacher: [6, 8, 8], generator: g).kind == .convolution(kernel: 1, stride: 1, padding: 0))
        #expect(try HintRegressor(student: [3, 8, 8], teacher: [6, 4, 4], generator: g).kind == .convolution(kernel: 3, stride: 2, padding: 1))
        #expect(
            try HintRegressor(student: [3, 8, 8], teacher: [6, 5, 6], generator: g).kind == .convolution(kernel: Size2(4, 3), stride: 1, padding: 0))
        #expect(try HintRegressor(student: [3], teacher: [6], generator: g).kind == .linear)
        let regressor = try HintRegressor(student: [3, 8, 8], teacher: [6, 5, 6], generator: g)
        #expect(try regressor(Tensor.randn([2, 3, 8, 8], generator: g)).shape == [2, 6, 5, 6])
        // Default PyTorch initialisation bound 1/√fan_in.
        let bound = 1 / (3.0 * 4 * 3).squareRoot()
        #expect(try regressor.weight.abs().max().item() <= bound)
        #expect(throws: TuningError.self) { try HintRegressor(student: [3, 4, 4], teacher: [6, 8, 8], generator: g) }
    }

    @Test("a missing hint or source output is an error naming the term")
    func missingOutputs() throws {
        let student = try model("student", seed: 1)
        let step = try fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: [])
        let at = AttentionTransferTerm(teacher: Teacher(try model("teacher", seed: 2)), p: 2, weight: 1)
        #expect(tuningError { _ = try at.loss(step) }?.description.contains("no hint maps") == true)
        let cotuning = CoTuningTerm(relationship: try Tensor.full([3, 3], value: 1.0 / 3), weight: 1)
        var noSource = step
        noSource.student.sourceLogits = nil
        #expect(tuningError { _ = try cotuning.loss(noSource) }?.description.contains("no source-head logits") == true)
        let fewer = AttentionTransferTerm(teacher: Teacher(try model("teacher", hints: [4], seed: 2)), p: 2, weight: 1)
        let hinted = try fakeStep(student, inputs, labels: [0, 1, 2, 1], needs: .hints)
        #expect(tuningError { _ = try fewer.loss(hinted) }?.description.contains("the student gives 2 hint maps and teacher 'teacher' 1") == true)
    }
}
