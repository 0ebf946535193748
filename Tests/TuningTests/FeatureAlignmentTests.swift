import Foundation
import Linalg
import Ranking
import Testing
import Torch
@testable import Tuning

/// The feature-alignment ablation: B-Tuning's target with uniform teacher weights.
@Suite("Feature alignment")
struct FeatureAlignmentTests {
    static func term(_ terms: [any LossTerm]) throws -> BTuningTerm {
        try #require(terms.count == 1)
        return try #require(terms[0] as? BTuningTerm)
    }

    @Test("loss on tiny tensors: MSE(f_s m_sᵀ, (f_1 m_1ᵀ + f_2 m_2ᵀ) / 2), computed by hand")
    func handComputedLoss() throws {
        // Teacher 1: f_1 = I (2 x 2), m_1 = [[1, 2], [3, 4]]    → f_1 m_1ᵀ = [[1, 3], [2, 4]]
        // Teacher 2: f_2 = [[2], [1]] (D = 1), m_2 = [[1], [0]] → f_2 m_2ᵀ = [[2, 0], [1, 0]]
        // Uniform target = [[1.5, 1.5], [1.5, 2]].
        // Student: f_s = [[1, 1], [0, 2]], m_s = I              → f_s m_sᵀ = [[1, 1], [0, 2]]
        // Differences [[-0.5, -0.5], [-1.5, 0]]: squares 0.25 + 0.25 + 2.25 + 0 = 2.75, mean 0.6875.
        var m1 = Matrix(rows: 2, columns: 2)
        (m1[0, 0], m1[0, 1], m1[1, 0], m1[1, 1]) = (1, 2, 3, 4)
        var m2 = Matrix(rows: 2, columns: 1)
        m2[0, 0] = 1
        let f1 = try Tensor([1, 0, 0, 1] as [Float], shape: [2, 2])
        let f2 = try Tensor([2, 1] as [Float], shape: [2, 1])
        let target = try BTuningBuilder.weightedTarget(
            [(f1, try PosteriorProjection(mean: m1)), (f2, try PosteriorProjection(mean: m2))], weights: [0.5, 0.5])
        #expect(try target.to(.float32).toArray(of: Float.self) == [1.5, 1.5, 1.5, 2])
        var identity = Matrix(rows: 2, columns: 2)
        (identity[0, 0], identity[1, 1]) = (1, 1)
        let term = try BTuningTerm(
            name: ProjectionMatchingVariant.featureAlignment.termName, method: "feature-alignment", weight: 100, projection: .frozen,
            studentMean: try PosteriorProjection(mean: identity), featureScale: 1, cachedTarget: try target.to(.float32),
            liveTeachers: [], teacherNames: ["t1", "t2"], teacherWeights: [0.5, 0.5], reach: nil, notes: [], warnings: [])
        let fs = try Tensor([1, 1, 0, 2] as [Float], shape: [2, 2]).requiresGrad(true)
        let step = TrainingStep(
            inputs: fs, labels: try Tensor([0, 1] as [Int64]), indices: [0, 1], augmented: false,
            student: ModelOutputs(features: fs), logits: fs, classCount: 2)
        let loss = try term.loss(step)
        #expect(Swift.abs(try loss.item() - 0.6875) < 1e-6)
        #expect(term.name == "feature_alignment_mse")
        // Gradient: 2 / (B C) · (f_s m_sᵀ − T) m_s = 0.5 · [[-0.5, -0.5], [-1.5, 0]].
        try loss.backward()
        #expect(try #require(fs.grad).toArray(of: Float.self) == [-0.25, -0.25, -0.75, 0])
    }

    @Test("the target is (1/K) Σ f_k m_kᵀ over the top-K teachers by LogME; weights exactly 1/K; temperature not an option")
    func uniformTarget() throws {
        let fixture = try BTuningTests.fixture()
        defer { fixture.cleanup() }
        let context = try fixture.context(method: "feature-alignment", student: "student", options: ["k": .number(3)])
        let term = try Self.term(try FeatureAlignmentMethod.makeTerms(context))
        #expect(term.name == "feature_alignment_mse" && term.weight == 100)
        let third: Double = 1.0 / 3
        let uniform: [Double] = [third, third, third]
        #expect(term.teacherWeights == uniform)

        // Independent: LogME on every candidate, top 3 by score, equal weights.
        let targets = try TargetEncoder.encodeClasses(fixture.labels)
        var fits: [(name: String, features: Matrix, fit: LogMEFit)] = []
        for name in ["alpha", "beta", "delta", "gamma"] {
            let f = try Reference.matrix(try fixture.models[name]!.outputs(fixture.inputs, needs: []).features)
            fits.append((name, f, try LogME().fit(features: f, targets: targets)))
        }
        let top = fits.sorted { $0.fit.score > $1.fit.score }.prefix(3)
        #expect(term.teacherNames == top.map(\.name))
        var expected = Matrix(rows: fixture.labels.count, columns: 3)
        for teacher in top {
            let p = try teacher.features.multiplied(by: teacher.fit.posteriorMean, transposingOther: true)
            for i in expected.storage.indices { expected.storage[i] += p.storage[i] / 3 }
        }
        let cached = try Reference.matrix(try #require(term.cachedTarget))
        #expect(Reference.maxAbsDifference(cached, expected) <= 1e-6 * Swift.max(1, Reference.maxAbs(expected)))
        #expect(term.notes.contains { $0.contains("feature-alignment: teachers and weights pi = 1/K (uniform)") })

        // B-Tuning on the same fixture and teachers weights them unequally, so the two
        // targets differ: the ablation changes only the weights.
        let btuning = try BTuningTests.term(
            try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["k": .number(3)])))
        #expect(btuning.teacherNames == term.teacherNames)
        #expect(btuning.teacherWeights != term.teacherWeights)
        #expect(Reference.maxAbsDifference(try Reference.matrix(try #require(btuning.cachedTarget)), cached) > 1e-3)

        // `temperature` is B-Tuning's: left unread, so the trainer rejects it by name.
        let withTemperature = try fixture.context(method: "feature-alignment", student: "student", options: ["temperature": .number(0.5)])
        _ = try FeatureAlignmentMethod.makeTerms(withTemperature)
        #expect(withTemperature.options.unusedKeys == ["temperature"])
    }

    @Test("gradients reach the student's features, never the teachers or the frozen m_s")
    func gradients() throws {
        let fixture = try BTuningTests.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(
            try FeatureAlignmentMethod.makeTerms(
                try fixture.context(
                    method: "feature-alignment", student: "student", options: ["projection": .string("frozen")], augmented: true)))
        #expect(term.trainableParameters.isEmpty && term.liveTeachers.count == 3)
        let third: Double = 1.0 / 3
        #expect(term.liveTeachers.allSatisfy { $0.weight == third })
        let indices = [1, 2, 30, 31, 59]
        let step = try fixture.step(indices, student: fixture.models["student"]!, augmented: true)
        let f = try step.student.features.detach().requiresGrad(true)
        var leafStep = step
        leafStep.student = ModelOutputs(features: f)
        try term.loss(leafStep).backward()
        try term.loss(step).backward()
        #expect(fixture.models["student"]!.weight.grad != nil)
        for name in ["alpha", "beta", "gamma", "delta"] { #expect(fixture.models[name]!.weight.grad == nil) }
        let m = try term.studentPosteriorMean()
        #expect(!m.requiresGrad && m.grad == nil)
        let target = try term.target(for: step)
        let expected = try (f.detach().matmul(m.t()) - target).matmul(m) * (2.0 / Double(indices.count * 3))
        #expect(try #require(f.grad).isClose(to: expected, rtol: 1e-4, atol: 1e-6))
    }

    @Test("bad options are named: k too large, unknown projection, negative lambda, self as teacher")
    func badOptions() throws {
        let fixture = try BTuningTests.fixture()
        defer { fixture.cleanup() }
        func error(_ options: [String: MethodOptions.Value]) -> TuningError? {
            expectTuningError {
                _ = try FeatureAlignmentMethod.makeTerms(try fixture.context(method: "feature-alignment", student: "student", options: options))
            }
        }
        guard case let .invalidConfiguration(file, field, message)? = error(["k": .number(5)]) else {
            Issue.record("expected invalidConfiguration for k = 5"); return
        }
        #expect(file == "tune.json" && field == "method_options.k" && message.contains("only 4 models"))
        #expect(error(["projection": .string("frozn")])?.description.contains("method_options.projection") == true)
        #expect(error(["lambda": .number(-1)])?.description.contains("method_options.lambda") == true)
        #expect(
            error(["teachers": .list([.string("alpha"), .string("student")])])?.description.contains("'student' is the model being tuned")
                == true)
        let noHub = expectTuningError {
            _ = try FeatureAlignmentMethod.makeTerms(try fixture.context(method: "feature-alignment", student: "student", withHub: false))
        }
        guard case .incompatible(let method, _)? = noHub else { Issue.record("expected incompatible, got \(String(describing: noHub))"); return }
        #expect(method == "feature-alignment")
    }
}
