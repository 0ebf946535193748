import Testing
import Torch
@testable import Tuning

@Suite("Distillation methods")
struct DistillationMethodTests {
    func student(hints: Bool = true) throws -> FakeConvModel {
        try FakeConvModel(name: "student", hintChannels: [3, 4], featureDimension: 5, sourceClasses: 3, hasHints: hints, seed: 1)
    }
    func teacher(_ name: String = "teacher", classes: Int? = 3, hints: Bool = true) throws -> FakeConvModel {
        try FakeConvModel(name: name, hintChannels: [6, 2], featureDimension: 7, sourceClasses: classes, hasHints: hints, seed: 2)
    }

    @Test("every distillation method needs exactly one teacher")
    func teacherCount() throws {
        let methods: [any TuningMethod.Type] = [
            KDMethod.self, DKDMethod.self, FitNetMethod.self, ATMethod.self, SPMethod.self, RKDMethod.self, PKTMethod.self,
        ]
        for method in methods {
            let none = try fakeContext(method: method.name, student: student(), models: [teacher()])
            #expect(
                tuningError { _ = try method.makeTerms(none) }
                    == .incompatible(method: method.name, message: "distils from exactly one teacher, got none; name it with --teacher"))
            let two = try fakeContext(method: method.name, student: student(), models: [teacher("a"), teacher("b")], teacherNames: ["a", "b"])
            #expect(
                tuningError { _ = try method.makeTerms(two) }
                    == .incompatible(method: method.name, message: "distils from exactly one teacher, got 2 (a, b); name it with --teacher"))
        }
    }

    @Test("KD and DKD need a teacher over the target classes")
    func teacherOutputs() throws {
        for method in [KDMethod.self, DKDMethod.self] as [any TuningMethod.Type] {
            let wide = try fakeContext(method: method.name, student: student(), models: [teacher(classes: 10)], teacherNames: ["teacher"])
            let message = tuningError { _ = try method.makeTerms(wide) }?.description ?? ""
            #expect(message.contains("must output the 3 target classes, but its source head has 10"))
            let headless = try fakeContext(method: method.name, student: student(), models: [teacher(classes: nil)], teacherNames: ["teacher"])
            #expect(
                tuningError { _ = try method.makeTerms(headless) }?.description.contains("needs the source head of the teacher 'teacher'") == true)
        }
    }

    @Test("KD: defaults, the cross-entropy weight, typed option errors and unused keys")
    func kdOptions() throws {
        let context = try fakeContext(
            method: "kd", student: student(), models: [teacher()], teacherNames: ["teacher"],
            options: ["temprature": .number(2)])
        let terms = try KDMethod.makeTerms(context)
        let kd = try #require(terms.first as? KDTerm)
        #expect(kd.temperature == 4 && kd.weight == 0.9)
        #expect(try KDMethod.crossEntropyWeight(context.options) == 0.1)
        #expect(context.options.unusedKeys == ["temprature"])
        let bad = try fakeContext(
            method: "kd", student: student(), models: [teacher()], teacherNames: ["teacher"],
            options: ["temperature": .number(-1)])
        #expect(
            tuningError { _ = try KDMethod.makeTerms(bad) }
                == .invalidConfiguration(file: "tune.json", field: "method_options.temperature", message: "must be positive, got -1.0"))
    }

    @Test("DKD reads mdistiller's defaults")
    func dkdDefaults() throws {
        let context = try fakeContext(method: "dkd", student: student(), models: [teacher()], teacherNames: ["teacher"])
        let dkd = try #require(try DKDMethod.makeTerms(context).first as? DKDTerm)
        #expect(dkd.alpha == 1 && dkd.beta == 8 && dkd.temperature == 4 && dkd.warmupEpochs == 20)
    }

    @Test("hint methods need hints on both sides")
    func hintsRequired() throws {
        for method in [FitNetMethod.self, ATMethod.self] as [any TuningMethod.Type] {
            let noStudentHints = try fakeContext(method: method.name, student: student(hints: false), models: [teacher()], teacherNames: ["teacher"])
            #expect(
                tuningError { _ = try method.makeTerms(noStudentHints) }?.description
                    == "method '\(method.name)': needs hint maps from the student 'student', which has none; add a 'hints' stage to its model card")
            let noTeacherHints = try fakeContext(method: method.name, student: student(), models: [teacher(hints: false)], teacherNames: ["teacher"])
            #expect(tuningError { _ = try method.makeTerms(noTeacherHints) }?.description.contains("from the teacher 'teacher'") == true)
        }
    }

    @Test("FitNet sizes its regressor from the hint shapes and trains it")
    func fitnet() throws {
        let context = try fakeContext(method: "fitnet", student: student(), models: [teacher()], teacherNames: ["teacher"])
        let term = try #require(try FitNetMethod.makeTerms(context).first as? FitNetTerm)
        // Two hints each: the middle is index 0; student 3 channels at 8x8, teacher 6.
        #expect(term.hintIndex == 0)
        #expect(term.regressor.weight.shape == [6, 3, 1, 1])
        #expect(term.trainableParameters.count == 4)
        let last = try fakeContext(
            method: "fitnet", student: student(), models: [teacher()], teacherNames: ["teacher"],
            options: ["hint_layer": .number(1)])
        let deeper = try #require(try FitNetMethod.makeTerms(last).first as? FitNetTerm)
        #expect(deeper.regressor.weight.shape == [2, 4, 1, 1])
        let outOfRange = try fakeContext(
            method: "fitnet", student: student(), models: [teacher()], teacherNames: ["teacher"],
            options: ["hint_layer": .number(2)])
        #expect(tuningError { _ = try FitNetMethod.makeTerms(outOfRange) }?.description.contains("must be in 0..<2") == true)
    }

    @Test("feature methods accept teachers of another width; RKD makes two weighted terms")
    func featureMethods() throws {
        let context = try fakeContext(method: "rkd", student: student(), models: [teacher()], teacherNames: ["teacher"])
        let terms = try RKDMethod.makeTerms(context)
        #expect(terms.map(\.name) == ["rkd_distance", "rkd_angle"])
        #expect(terms.map(\.weight) == [25, 50])
        #expect(
            try SPMethod.makeTerms(fakeContext(method: "sp", student: student(), models: [teacher()], teacherNames: ["teacher"])).first?.weight
                == 3000)
        #expect(
            try PKTMethod.makeTerms(fakeContext(method: "pkt", student: student(), models: [teacher()], teacherNames: ["teacher"])).first?.weight
                == 30000)
    }
}
