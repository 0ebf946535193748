import Foundation
import Linalg
import Ranking
import Testing
import Torch
@testable import Tuning

@Suite("B-Tuning")
struct BTuningTests {
    static let inputColumns = 10 // 6 informative + 4 noise (FakeHubFixture.make)

    /// Student "student" (5 features, informative) and four candidate teachers of
    /// different feature dimensions. Teacher weights require gradient so a leak shows.
    static func fixture(studentInformative: Bool = true, seed: UInt64 = 11) throws -> FakeHubFixture {
        let (x, labels) = try FakeHubFixture.make()
        let g = try Generator(seed: seed)
        func runner(_ name: String, _ d: Int) throws -> FakeLinearRunner {
            FakeLinearRunner(name: name, weight: try Tensor.randn([inputColumns, d], generator: g).requiresGrad(true))
        }
        var studentWeight = try Tensor.randn([inputColumns, 5], generator: g)
        if !studentInformative {
            // Read only the 4 pure-noise input columns: features independent of the labels.
            let mask = try Tensor((0..<inputColumns).map { Float($0 >= 6 ? 1 : 0) }, shape: [inputColumns, 1])
            studentWeight = try studentWeight * mask
        }
        let student = FakeLinearRunner(name: "student", weight: try studentWeight.requiresGrad(true))
        return try FakeHubFixture(
            inputs: x, labels: labels, classCount: 3,
            models: [student, try runner("alpha", 4), try runner("beta", 7), try runner("gamma", 3), try runner("delta", 2)])
    }

    static func term(_ terms: [any LossTerm]) throws -> BTuningTerm {
        try #require(terms.count == 1)
        return try #require(terms[0] as? BTuningTerm)
    }

    @Test("the posterior projection f mᵀ equals LogMEFit.predict's mean on the same features")
    func projectionIsLogMEPredictiveMean() throws {
        let g = try Generator(seed: 3)
        for (n, d) in [(40, 6), (5, 9)] { // Gram route and SVD route
            let features = try Tensor.randn([n, d], dtype: .float64, generator: g) + 0.5
            let labels = (0..<n).map { $0 % 3 }
            let fit = try LogME().fit(features: try features.toMatrix(), targets: try TargetEncoder.encodeClasses(labels))
            let projection = try PosteriorProjection(mean: fit.posteriorMean)
            let expected = try fit.predict(try features.toMatrix()).mean
            let ours64 = try projection(features).toMatrix()
            #expect(Reference.maxAbsDifference(ours64, expected) <= 1e-12 * Swift.max(1, Reference.maxAbs(expected)))
            let ours32 = try Reference.matrix(try projection(features.to(.float32)))
            #expect(Reference.maxAbsDifference(ours32, expected) <= 1e-5 * Swift.max(1, Reference.maxAbs(expected)))
        }
    }

    @Test("teacher weights are softmax(score / t), stable for large scores")
    func teacherWeights() {
        let pi = TeacherWeights.softmax(scores: [0.30, 0.25, -0.10], temperature: 0.1)
        let e = [Foundation.exp(3.0), Foundation.exp(2.5), Foundation.exp(-1.0)]
        let s = e.reduce(0, +)
        for (a, b) in zip(pi, e.map { $0 / s }) { #expect(Swift.abs(a - b) < 1e-15) }
        let big = TeacherWeights.softmax(scores: [1000, 999], temperature: 0.1)
        #expect(big.allSatisfy { $0.isFinite })
        #expect(Swift.abs(big[0] - 1 / (1 + Foundation.exp(-10))) < 1e-15)
    }

    @Test("the cached target is Σ pi_k f_k m_kᵀ over the top-K teachers, computed independently")
    func targetIsWeightedTeacherProjection() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let context = try fixture.context(method: "btuning", student: "student", options: ["k": .number(2)])
        let term = try Self.term(try BTuningMethod.makeTerms(context))

        // Independent: LogME on every candidate, top 2 by score, softmax(score / 0.1).
        let targets = try TargetEncoder.encodeClasses(fixture.labels)
        var fits: [(name: String, features: Matrix, fit: LogMEFit)] = []
        for name in ["alpha", "beta", "delta", "gamma"] {
            let f = try Reference.matrix(try fixture.models[name]!.outputs(fixture.inputs, needs: []).features)
            fits.append((name, f, try LogME().fit(features: f, targets: targets)))
        }
        let top = fits.sorted { $0.fit.score > $1.fit.score }.prefix(2)
        #expect(term.teacherNames == top.map(\.name))
        #expect(!term.teacherNames.contains("student"))
        let pi = Reference.softmax(top.map { $0.fit.score / 0.1 })
        for (a, b) in zip(term.teacherWeights, pi) { #expect(Swift.abs(a - b) < 1e-12) }
        var expected = Matrix(rows: fixture.labels.count, columns: 3)
        for (teacher, w) in zip(top, pi) {
            let p = try teacher.features.multiplied(by: teacher.fit.posteriorMean, transposingOther: true)
            for i in expected.storage.indices { expected.storage[i] += w * p.storage[i] }
        }
        let cached = try Reference.matrix(try #require(term.cachedTarget))
        #expect(Reference.maxAbsDifference(cached, expected) <= 1e-6 * Swift.max(1, Reference.maxAbs(expected)))
        // The step's target is the cached rows of its indices.
        let step = try fixture.step([5, 0, 17], student: fixture.models["student"]!, augmented: false)
        let rows = try Reference.matrix(try term.target(for: step))
        #expect(Reference.maxAbsDifference(rows, expected.rows(at: [5, 0, 17])) <= 1e-6 * Swift.max(1, Reference.maxAbs(expected)))
        #expect(term.weight == 100)
        #expect(term.name == "btuning_mse")
        #expect(context.options.unusedKeys.isEmpty)
    }

    @Test("cached (no augmentation) and live (augmented) targets agree on the same inputs")
    func cachedAndLiveAgree() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let cached = try Self.term(try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student")))
        let live = try Self.term(try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", augmented: true)))
        #expect(cached.cachedTarget != nil && cached.liveTeachers.isEmpty)
        #expect(live.cachedTarget == nil && live.liveTeachers.count == 3)
        #expect(cached.teacherNames == live.teacherNames)
        let indices = [3, 7, 11, 42]
        let student = fixture.models["student"]!
        let a = try Reference.matrix(try cached.target(for: try fixture.step(indices, student: student, augmented: false)))
        let b = try Reference.matrix(try live.target(for: try fixture.step(indices, student: student, augmented: true)))
        #expect(Reference.maxAbsDifference(a, b) <= 1e-5 * Swift.max(1, Reference.maxAbs(a)))
        // Augmented batches run the teachers each time.
        let before = fixture.models["alpha"]!.calls
        _ = try live.target(for: try fixture.step(indices, student: student, augmented: true))
        #expect(fixture.models["alpha"]!.calls == before + 1)
    }

    @Test("gradients reach the student's features, never the teachers or the frozen m_s")
    func gradientsFrozen() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(
            try BTuningMethod.makeTerms(
                try fixture.context(method: "btuning", student: "student", options: ["projection": .string("frozen")], augmented: true)))
        #expect(term.trainableParameters.isEmpty)
        let indices = [1, 2, 30, 31, 59]
        let step = try fixture.step(indices, student: fixture.models["student"]!, augmented: true)
        // A leaf copy of the features, to compare its gradient with the closed form.
        let f = try step.student.features.detach().requiresGrad(true)
        var leafStep = step
        leafStep.student = ModelOutputs(features: f)
        try term.loss(leafStep).backward()
        try term.loss(step).backward()
        #expect(fixture.models["student"]!.weight.grad != nil)
        for name in ["alpha", "beta", "gamma", "delta"] { #expect(fixture.models[name]!.weight.grad == nil) }
        let m = try term.studentPosteriorMean()
        #expect(!m.requiresGrad)
        #expect(m.grad == nil)
        // d/dF mean((F mᵀ − T)²) = 2 / (B C) · (F mᵀ − T) m
        let target = try term.target(for: step)
        let expected = try (f.detach().matmul(m.t()) - target).matmul(m) * (2.0 / Double(indices.count * 3))
        #expect(try #require(f.grad).isClose(to: expected, rtol: 1e-4, atol: 1e-6))
    }

    @Test("a learnable projection starts at m_s and receives the closed-form gradient")
    func gradientsLearnable() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let context = try fixture.context(method: "btuning", student: "student", options: ["projection": .string("learnable")])
        let term = try Self.term(try BTuningMethod.makeTerms(context))
        let parameter = try #require(term.trainableParameters.first)
        #expect(term.trainableParameters.count == 1 && parameter.requiresGrad)
        // Initialised at the student's LogME posterior mean (stored as m' = c · m_s).
        let studentFeatures = try Reference.matrix(try fixture.models["student"]!.outputs(fixture.inputs, needs: []).features)
        let fit = try LogME().fit(features: studentFeatures, targets: try TargetEncoder.encodeClasses(fixture.labels))
        let m = try term.studentPosteriorMean()
        #expect(Reference.maxAbsDifference(try Reference.matrix(m), fit.posteriorMean) <= 1e-5 * Swift.max(1, Reference.maxAbs(fit.posteriorMean)))
        let c = (studentFeatures.storage.reduce(0) { $0 + $1 * $1 } / Double(studentFeatures.rows)).squareRoot()
        #expect(Swift.abs(term.featureScale - c) < 1e-4 * c)
        let indices = [0, 4, 8, 9]
        let step = try fixture.step(indices, student: fixture.models["student"]!, augmented: false)
        try term.loss(step).backward()
        let f = try step.student.features.detach()
        let target = try term.target(for: step)
        // d/dm' mean((F (m'/c)ᵀ − T)²) = 2 / (B C c) · (F mᵀ − T)ᵀ F
        let expected = try (f.matmul(m.detach().t()) - target).t().matmul(f) * (2.0 / (Double(indices.count * 3) * c))
        #expect(try #require(parameter.grad).isClose(to: expected, rtol: 1e-4, atol: 1e-6))
        #expect(fixture.models["student"]!.weight.grad != nil)
        // Checkpoint round trip of the learnable projection.
        let saved = try term.state()
        #expect(saved.map(\.name) == ["btuning_mse.0"])
        let copy = try saved[0].tensor.detach().clone()
        try withNoGrad { _ = try parameter.fill_(0) }
        try term.restore(["btuning_mse.0": copy])
        #expect(try parameter.detach().equals(copy))
    }

    @Test("bad configurations give clear errors")
    func badConfigurations() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        // K larger than the hub minus the target: names the option and the count.
        let tooMany = expectTuningError {
            _ = try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["k": .number(5)]))
        }
        guard case let .invalidConfiguration(file, field, message)? = tooMany else {
            Issue.record("expected invalidConfiguration, got \(String(describing: tooMany))"); return
        }
        #expect(file == "tune.json" && field == "method_options.k")
        #expect(message.contains("only 4 models") && message.contains("'student'"))
        // Unknown projection, non-positive temperature.
        let projection = expectTuningError {
            _ = try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["projection": .string("frozn")]))
        }
        #expect(projection?.description.contains("method_options.projection") == true)
        let temperature = expectTuningError {
            _ = try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["temperature": .number(0)]))
        }
        #expect(temperature?.description.contains("method_options.temperature") == true)
        // The student cannot teach itself; a teacher named twice.
        let selfTeacher = expectTuningError {
            _ = try BTuningMethod.makeTerms(
                try fixture.context(method: "btuning", student: "student", options: ["teachers": .list([.string("alpha"), .string("student")])]))
        }
        #expect(selfTeacher?.description.contains("'student' is the model being tuned") == true)
        let twice = expectTuningError {
            _ = try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["teachers": .string("alpha,alpha")]))
        }
        #expect(twice?.description.contains("named twice") == true)
        // No hub and no teachers named.
        let noHub = expectTuningError { _ = try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", withHub: false)) }
        guard case .incompatible? = noHub else { Issue.record("expected incompatible, got \(String(describing: noHub))"); return }
        // Unknown options stay unread, so the trainer reports them; k with explicit teachers too.
        let context = try fixture.context(
            method: "btuning", student: "student",
            options: ["lamda": .number(10), "k": .number(2), "teachers": .list([.string("beta"), .string("gamma")])])
        let term = try Self.term(try BTuningMethod.makeTerms(context))
        #expect(term.teacherNames == ["beta", "gamma"])
        #expect(context.options.unusedKeys == ["k", "lamda"])
    }

    @Test("a model whose LogME fails is reported and skipped")
    func failingModelSkipped() throws {
        var fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let broken = fixture.models["alpha"]!
        broken.overrideFeatures = try Tensor.full([fixture.labels.count, 4], value: .nan)
        fixture.models["alpha"] = broken
        let term = try Self.term(try BTuningMethod.makeTerms(try fixture.context(method: "btuning", student: "student", options: ["k": .number(4)])))
        #expect(term.teacherNames.count == 3 && !term.teacherNames.contains("alpha"))
        #expect(term.warnings.contains { $0.contains("model 'alpha' skipped") && $0.contains("LogME") })
        #expect(term.warnings.contains { $0.contains("only 3 of the 4 teachers") })
    }

    @Test("a degenerate m_s (uninformative student features) is detected; informative features are not flagged")
    func degenerateProjection() throws {
        let poor = try Self.fixture(studentInformative: false)
        defer { poor.cleanup() }
        let auto = try Self.term(try BTuningMethod.makeTerms(try poor.context(method: "btuning", student: "student")))
        let reach = try #require(auto.reach)
        #expect(reach.isDegenerate())
        #expect(auto.projectionKind == .learnable)
        #expect(auto.warnings.contains { $0.contains("degenerate") && $0.contains("switching to a learnable projection") })
        // Asked for frozen: kept, but still warned.
        let frozen = try Self.term(
            try BTuningMethod.makeTerms(try poor.context(method: "btuning", student: "student", options: ["projection": .string("frozen")])))
        #expect(frozen.projectionKind == .frozen && frozen.warnings.contains { $0.contains("degenerate") })

        let good = try Self.fixture(studentInformative: true)
        defer { good.cleanup() }
        let fine = try Self.term(try BTuningMethod.makeTerms(try good.context(method: "btuning", student: "student")))
        let fineReach = try #require(fine.reach)
        #expect(!fineReach.isDegenerate())
        #expect(fine.projectionKind == .frozen)
        #expect(!fine.warnings.contains { $0.contains("degenerate") })
        #expect(fineReach.requiredGrowth < reach.requiredGrowth || reach.unreachableShare > 0.5)
    }

    @Test("the reach measure: zero m_s is unreachable; a rescaled student gives the same growth")
    func reachMeasure() throws {
        let g = try Generator(seed: 5)
        let features = try Tensor.randn([20, 4], dtype: .float64, generator: g).toMatrix()
        let target = try Tensor.randn([20, 3], dtype: .float64, generator: g).toMatrix()
        let zero = try ProjectionReach.measure(features: features, posteriorMean: Matrix(rows: 3, columns: 4), target: target)
        #expect(Swift.abs(zero.unreachableShare - 1) < 1e-12 && zero.isDegenerate())
        // m_s = a full-rank 3 x 4 matrix: growth from the least-norm ΔF, scale-invariant.
        let m = try Tensor.randn([3, 4], dtype: .float64, generator: g).toMatrix()
        let a = try ProjectionReach.measure(features: features, posteriorMean: m, target: target)
        var scaledF = features, scaledM = m
        for i in scaledF.storage.indices { scaledF.storage[i] *= 10 }
        for i in scaledM.storage.indices { scaledM.storage[i] /= 10 }
        let b = try ProjectionReach.measure(features: scaledF, posteriorMean: scaledM, target: target)
        #expect(Swift.abs(a.requiredGrowth - b.requiredGrowth) < 1e-9 * a.requiredGrowth)
        #expect(a.unreachableShare < 1e-9)
        // Least-norm ΔF = R · pinv(mᵀ): check the growth against a direct solve.
        let prediction = try features.multiplied(by: m, transposingOther: true)
        var gap = target
        for i in gap.storage.indices { gap.storage[i] -= prediction.storage[i] }
        // pinv(mᵀ) = (m mᵀ)⁻¹ m for full row rank m (3 x 4).
        let mmT = try m.multiplied(by: m, transposingOther: true)
        let inverse = try Tensor(mmT).inverse3x3Reference()
        let delta = try gap.multiplied(by: try inverse.multiplied(by: m))
        let expected = delta.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() / features.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(Swift.abs(a.requiredGrowth - expected) < 1e-9 * expected)
    }
}

extension Tensor {
    /// The inverse of a 3 x 3 float64 matrix by cofactors (test reference only).
    func inverse3x3Reference() throws -> Matrix {
        let a = try toMatrix()
        precondition(a.rows == 3 && a.columns == 3)
        func e(_ r: Int, _ c: Int) -> Double { a[r % 3, c % 3] }
        var inv = Matrix(rows: 3, columns: 3)
        var det = 0.0
        for c in 0..<3 { det += e(0, c) * (e(1, c + 1) * e(2, c + 2) - e(1, c + 2) * e(2, c + 1)) }
        for r in 0..<3 {
            for c in 0..<3 {
                // inv[c, r] = cofactor(r, c) / det
                inv[c, r] = (e(r + 1, c + 1) * e(r + 2, c + 2) - e(r + 1, c + 2) * e(r + 2, c + 1)) / det
            }
        }
        return inv
    }
}
