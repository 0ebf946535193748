import Testing
import Torch
@testable import Tuning

@Suite("Regulariser methods")
struct RegulariserMethodTests {
    func student(source: Int? = 4, hints: Bool = true) throws -> FakeConvModel {
        try FakeConvModel(name: "student", hintChannels: [3, 5], featureDimension: 5, sourceClasses: source, hasHints: hints, seed: 1)
    }

    let trainingInputs: Tensor
    let labels = [0, 1, 2, 0, 1, 2, 0, 1]
    init() throws { trainingInputs = try Tensor.randn([8, 2, 8, 8], generator: Generator(seed: 9)) }

    @Test("L2-SP pairs live and initial parameters by name")
    func l2sp() throws {
        let model = try student()
        let context = try fakeContext(method: "l2sp", student: model)
        let term = try #require(try L2SPMethod.makeTerms(context).first as? L2SPTerm)
        #expect(term.weight == 0.01)
        #expect(try term.loss(fakeStep(model, trainingInputs, labels: [0, 1, 2, 0, 1, 2, 0, 1], needs: [])).item() == 0)
        var missing = context
        missing.initialParameters = [:]
        #expect(
            tuningError { _ = try L2SPMethod.makeTerms(missing) }?.description
                == "method 'l2sp': no pre-trained value for parameter 'p0' of 'student'")
    }

    @Test("DELTA: hints required; channel attention over the representation's width")
    func delta() throws {
        let noHints = try fakeContext(method: "delta", student: student(hints: false))
        #expect(tuningError { _ = try DeltaMethod.makeTerms(noHints) }?.description.contains("needs hint maps from the student") == true)
        let context = try fakeContext(method: "delta", student: student(), classCount: 3, trainingInputs: trainingInputs, trainingLabels: labels)
        let term = try #require(try DeltaMethod.makeTerms(context).first as? DeltaTerm)
        #expect(term.attention?.shape == [5])
        let uniform = try fakeContext(method: "delta", student: student(), options: ["attention": .string("uniform")])
        #expect(try #require(try DeltaMethod.makeTerms(uniform).first as? DeltaTerm).attention == nil)
        let typo = try fakeContext(method: "delta", student: student(), options: ["attention": .string("spatial")])
        #expect(
            tuningError { _ = try DeltaMethod.makeTerms(typo) }
                == .invalidConfiguration(file: "tune.json", field: "method_options.attention", message: "'spatial' is not one of channel, uniform"))
    }

    @Test("BSS: paper defaults, k bounded by the feature dimension")
    func bss() throws {
        let term = try #require(try BSSMethod.makeTerms(fakeContext(method: "bss", student: student())).first as? BSSTerm)
        #expect(term.k == 1 && term.weight == 0.001)
        let tooMany = try fakeContext(method: "bss", student: student(), options: ["k": .number(6)])
        #expect(
            tuningError { _ = try BSSMethod.makeTerms(tooMany) }
                == .invalidConfiguration(file: "tune.json", field: "method_options.k", message: "must be at most the feature dimension 5, got 6"))
    }

    @Test("LwF and Co-Tuning need a source head")
    func sourceHead() throws {
        for method in [LwFMethod.self, CoTuningMethod.self] as [any TuningMethod.Type] {
            let headless = try fakeContext(method: method.name, student: student(source: nil), trainingInputs: trainingInputs, trainingLabels: labels)
            #expect(
                tuningError { _ = try method.makeTerms(headless) }?.description
                    == "method '\(method.name)': needs the source head of the student 'student', which has none; set 'source_head' in its model card")
        }
        let lwf = try #require(try LwFMethod.makeTerms(fakeContext(method: "lwf", student: student())).first as? LwFTerm)
        #expect(lwf.temperature == 2 && lwf.weight == 1)
    }

    @Test("Co-Tuning learns the relationship from the pre-trained copy's source probabilities")
    func coTuning() throws {
        let model = try student()
        let context = try fakeContext(method: "cotuning", student: model, classCount: 3, trainingInputs: trainingInputs, trainingLabels: labels)
        let term = try #require(try CoTuningMethod.makeTerms(context).first as? CoTuningTerm)
        #expect(term.weight == 2.3)
        // Class 0 is rows 0, 3, 6: their mean source probability.
        let probabilities = try withNoGrad { try model.outputs(trainingInputs, needs: .sourceLogits).sourceLogits!.softmax(dim: 1) }
        let expected = try probabilities.indexSelect(dim: 0, [0, 3, 6]).mean(dim: 0)
        #expect(try term.relationship[0].isClose(to: expected, rtol: 1e-5, atol: 1e-6))
        #expect(term.relationship.shape == [3, 4])
    }
}
