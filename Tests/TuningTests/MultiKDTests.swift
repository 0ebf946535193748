import Foundation
import Linalg
import Ranking
import Testing
import Torch
@testable import Tuning

@Suite("Multi-teacher KD")
struct MultiKDTests {
    // Three samples, three classes. Teacher logits are given directly: each teacher is
    // a linear runner with weight = its logits and an identity head, fed one-hot rows.
    static let teacherLogits: [[[Double]]] = [
        [[2, 0, -1], [0.5, 0.5, 0], [1, 2, 3]],
        [[0, 1, 0], [3, -1, 0], [0, 0, 0]],
        [[1, 1, 1], [0, 2, 0.5], [-2, 1, 0]],
    ]
    static let studentLogits: [[Double]] = [[0.2, -0.1, 0.3], [1, 0, -1], [0, 0.5, 0.5]]
    static let labels = [0, 1, 2]

    static func runner(_ name: String, logits: [[Double]], classes: Int? = 3) throws -> FakeLinearRunner {
        let weight = try Tensor(logits.flatMap { $0.map(Float.init) }, shape: [logits.count, logits[0].count]).requiresGrad(true)
        let head: Tensor? = try classes.map { c in
            c == logits[0].count ? try Tensor.eye(c).requiresGrad(true) : try Tensor.ones([logits[0].count, c])
        }
        return FakeLinearRunner(name: name, weight: weight, head: head)
    }

    /// Hub: t1...t3 (target space), "wide" (4 classes), "headless" (no logits), and the student.
    static func fixture(teachers: Int = 3) throws -> FakeHubFixture {
        let student = FakeLinearRunner(name: "student", weight: try Tensor.eye(3).requiresGrad(true))
        var models = [student]
        for k in 0..<teachers { models.append(try runner("t\(k + 1)", logits: teacherLogits[k])) }
        models.append(try runner("wide", logits: teacherLogits[0], classes: 4))
        models.append(try runner("headless", logits: teacherLogits[1], classes: nil))
        return try FakeHubFixture(inputs: try Tensor.eye(3), labels: labels, classCount: 3, models: models)
    }

    static func term(_ context: MethodContext) throws -> MultiKDTerm {
        let terms = try MultiKDMethod.makeTerms(context)
        try #require(terms.count == 1)
        return try #require(terms[0] as? MultiKDTerm)
    }

    static func step(_ fixture: FakeHubFixture, augmented: Bool = false) throws -> (TrainingStep, Tensor) {
        let logits = try Tensor(studentLogits.flatMap { $0.map(Float.init) }, shape: [3, 3]).requiresGrad(true)
        let step = TrainingStep(
            inputs: fixture.inputs, labels: try Tensor(labels.map { Int64($0) }), indices: [0, 1, 2],
            augmented: augmented, student: ModelOutputs(features: logits), logits: logits, classCount: 3)
        return (step, logits)
    }

    // MARK: Hand computations (float64, no Torch)

    static func softmax(_ z: [Double], temperature: Double = 1) -> [Double] { Reference.softmax(z.map { $0 / temperature }) }
    static func entropy(_ z: [Double]) -> Double { -softmax(z).reduce(0) { $0 + ($1 > 0 ? $1 * Foundation.log($1) : 0) } }
    static func crossEntropy(_ z: [Double], _ label: Int) -> Double { -Foundation.log(softmax(z)[label]) }
    /// T² KL(softmax(t/T) ‖ softmax(s/T)).
    static func softKL(student s: [Double], teacher t: [Double], temperature T: Double) -> Double {
        let p = softmax(t, temperature: T), q = softmax(s, temperature: T)
        return T * T * zip(p, q).reduce(0) { $0 + $1.0 * Foundation.log($1.0 / $1.1) }
    }
    /// (1/B) Σ_i Σ_k w[k][i] KL_k(i).
    static func expectedLoss(weights: [[Double]], teachers: Int, temperature: Double = 4) -> Double {
        var total = 0.0
        for i in 0..<3 {
            for k in 0..<teachers {
                total += weights[k][i] * softKL(student: studentLogits[i], teacher: teacherLogits[k][i], temperature: temperature)
            }
        }
        return total / 3
    }

    static func rows(_ t: Tensor) throws -> [[Double]] {
        let m = try Reference.matrix(t)
        return (0..<m.rows).map { m.row($0) }
    }

    @Test("softened KL per sample matches T² KL computed by hand")
    func softenedKL() throws {
        let s = try Tensor(Self.studentLogits.flatMap { $0.map(Float.init) }, shape: [3, 3])
        let t = try Tensor(Self.teacherLogits[0].flatMap { $0.map(Float.init) }, shape: [3, 3])
        for temperature in [1.0, 4.0] {
            let ours = try Distillation.kdPerSample(student: s, teacher: t, temperature: temperature).toArray(of: Float.self)
            for i in 0..<3 {
                let expected = Self.softKL(student: Self.studentLogits[i], teacher: Self.teacherLogits[0][i], temperature: temperature)
                #expect(Swift.abs(Double(ours[i]) - expected) < 1e-5 * Swift.max(1, expected))
            }
        }
    }

    @Test("uniform weighting: 1/K each, loss and gradient by hand; teachers get no gradient")
    func uniform() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(try fixture.context(method: "multikd", student: "student", teacherNames: ["t1", "t2", "t3"]))
        let third: Double = 1.0 / 3
        let fixed: [Double] = try #require(term.fixedWeights)
        #expect(fixed == [third, third, third])
        #expect(term.weight == 1 && term.temperature == 4 && term.name == "multikd")
        let (step, logits) = try Self.step(fixture)
        let loss = try term.loss(step)
        let expected = Self.expectedLoss(weights: Array(repeating: Array(repeating: 1.0 / 3, count: 3), count: 3), teachers: 3)
        #expect(Swift.abs(try loss.item() - expected) < 1e-5 * expected)
        try loss.backward()
        // d/ds_i of (1/B) Σ_k w T² KL = (1/B) Σ_k w T (softmax(s_i/T) − softmax(t_ki/T))
        let grad = try Self.rows(try #require(logits.grad))
        for i in 0..<3 {
            let q = Self.softmax(Self.studentLogits[i], temperature: 4)
            for c in 0..<3 {
                var g = 0.0
                for k in 0..<3 { g += (1.0 / 3) * 4 * (q[c] - Self.softmax(Self.teacherLogits[k][i], temperature: 4)[c]) }
                #expect(Swift.abs(grad[i][c] - g / 3) < 1e-6)
            }
        }
        for name in ["t1", "t2", "t3"] {
            #expect(fixture.models[name]!.weight.grad == nil)
            #expect(fixture.models[name]!.head!.grad == nil)
        }
    }

    @Test("entropy weighting (EBKD): w_k = (1 − H_k / Σ H) / (K − 1) per sample, by hand")
    func entropy() throws {
        for teachers in [2, 3] {
            let fixture = try Self.fixture(teachers: teachers)
            defer { fixture.cleanup() }
            let names = (1...teachers).map { "t\($0)" }
            let term = try Self.term(
                try fixture.context(
                    method: "multikd", student: "student",
                    options: ["weighting": .string("entropy")], teacherNames: names))
            #expect(term.weighting.isPerSample && term.fixedWeights == nil)
            var expected = Array(repeating: Array(repeating: 0.0, count: 3), count: teachers)
            for i in 0..<3 {
                let h = (0..<teachers).map { Self.entropy(Self.teacherLogits[$0][i]) }
                let total = h.reduce(0, +)
                for k in 0..<teachers { expected[k][i] = (1 - h[k] / total) / Double(teachers - 1) }
            }
            let (step, _) = try Self.step(fixture)
            let weights = try Self.rows(try term.weights(step, teacherLogits: try term.teacherLogits(step)))
            for k in 0..<teachers { for i in 0..<3 { #expect(Swift.abs(weights[k][i] - expected[k][i]) < 1e-6) } }
            for i in 0..<3 { #expect(Swift.abs((0..<teachers).reduce(0) { $0 + weights[$1][i] } - 1) < 1e-6) }
            let loss = try term.loss(step).item()
            let reference = Self.expectedLoss(weights: expected, teachers: teachers)
            #expect(Swift.abs(loss - reference) < 1e-5 * reference)
        }
        // Sharper teacher weighs more: on sample 0, t1's logits [2, 0, -1] beat t3's [1, 1, 1].
        let confident = try MultiTeacherWeights.entropy([
            try Tensor([Float(2), 0, -1], shape: [1, 3]), try Tensor([Float(1), 1, 1], shape: [1, 3]),
        ])
        let w = try confident.toArray(of: Float.self)
        #expect(w[0] > w[1])
        // Every teacher certain: uniform instead of 0/0.
        let certain = try MultiTeacherWeights.entropy([try Tensor([Float(200), 0], shape: [1, 2]), try Tensor([Float(0), 300], shape: [1, 2])])
        #expect(try certain.toArray(of: Float.self) == [0.5, 0.5])
    }

    @Test("confidence weighting (CA-MKD): w_k = (1 − softmax_k(CE)) / (K − 1) per sample, by hand")
    func confidence() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(
            try fixture.context(
                method: "multikd", student: "student",
                options: ["weighting": .string("confidence"), "temperature": .number(2)],
                teacherNames: ["t1", "t2", "t3"]))
        var expected = Array(repeating: Array(repeating: 0.0, count: 3), count: 3)
        for i in 0..<3 {
            let ce = (0..<3).map { Self.crossEntropy(Self.teacherLogits[$0][i], Self.labels[i]) }
            let s = Reference.softmax(ce)
            for k in 0..<3 { expected[k][i] = (1 - s[k]) / 2 }
        }
        let (step, _) = try Self.step(fixture)
        let weights = try Self.rows(try term.weights(step, teacherLogits: try term.teacherLogits(step)))
        for k in 0..<3 { for i in 0..<3 { #expect(Swift.abs(weights[k][i] - expected[k][i]) < 1e-6) } }
        // Sample 1 (label 1): t3 (logit 2 on class 1) is the most confident and weighs most.
        #expect(weights[2][1] > weights[0][1] && weights[2][1] > weights[1][1])
        let loss = try term.loss(step).item()
        let reference = Self.expectedLoss(weights: expected, teachers: 3, temperature: 2)
        #expect(Swift.abs(loss - reference) < 1e-5 * reference)
    }

    @Test("LogME weighting: softmax(LogME / t) of the teachers' training features, computed in the test")
    func logme() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(
            try fixture.context(
                method: "multikd", student: "student",
                options: ["weighting": .string("logme"), "logme_temperature": .number(0.5)],
                teacherNames: ["t1", "t2", "t3"]))
        let targets = try TargetEncoder.encodeClasses(Self.labels)
        let scores = try (0..<3).map { k in
            try LogME().fit(features: Matrix(Self.teacherLogits[k]), targets: targets).score
        }
        let expected = Reference.softmax(scores.map { $0 / 0.5 })
        let fixed = try #require(term.fixedWeights)
        for k in 0..<3 { #expect(Swift.abs(fixed[k] - expected[k]) < 1e-6) }
        let (step, _) = try Self.step(fixture)
        let loss = try term.loss(step).item()
        let reference = Self.expectedLoss(weights: expected.map { Array(repeating: $0, count: 3) }, teachers: 3)
        #expect(Swift.abs(loss - reference) < 1e-5 * reference)
    }

    @Test("without named teachers, the top-K compatible models of the LogME ranking teach")
    func rankedTeachers() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let context = try fixture.context(method: "multikd", student: "student", options: ["k": .number(2)])
        let term = try Self.term(context)
        let targets = try TargetEncoder.encodeClasses(Self.labels)
        let ranked = try (0..<3).map { k in ("t\(k + 1)", try LogME().fit(features: Matrix(Self.teacherLogits[k]), targets: targets).score) }
            .sorted { $0.1 > $1.1 }
        #expect(term.teacherNames == ranked.prefix(2).map(\.0))
        #expect(term.warnings.contains { $0.contains("'wide'") && $0.contains("4 classes") && $0.contains("has 3") })
        #expect(term.warnings.contains { $0.contains("'headless'") && $0.contains("no source head") })
        #expect(context.options.unusedKeys.isEmpty)
    }

    @Test("teachers on augmented batches run every step; unaugmented ones are cached")
    func caching() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        let term = try Self.term(try fixture.context(method: "multikd", student: "student", teacherNames: ["t1", "t2"]))
        let t1 = fixture.models["t1"]!
        let before = t1.calls
        let (plain, _) = try Self.step(fixture)
        _ = try term.loss(plain)
        _ = try term.loss(plain)
        #expect(t1.calls == before + 1)
        let (augmented, _) = try Self.step(fixture, augmented: true)
        _ = try term.loss(augmented)
        _ = try term.loss(augmented)
        #expect(t1.calls == before + 3)
    }

    @Test("bad configurations give clear errors")
    func errors() throws {
        let fixture = try Self.fixture()
        defer { fixture.cleanup() }
        func error(_ options: [String: MethodOptions.Value] = [:], teachers: [String] = [], hub: Bool = true) -> TuningError? {
            expectTuningError {
                _ = try MultiKDMethod.makeTerms(
                    try fixture.context(
                        method: "multikd", student: "student", options: options,
                        teacherNames: teachers, withHub: hub))
            }
        }
        let one = error(teachers: ["t1"])
        guard case let .invalidConfiguration(_, field, message)? = one else { Issue.record("got \(String(describing: one))"); return }
        #expect(field == "teachers" && message.contains("at least 2 teachers"))
        let mismatch = error(teachers: ["t1", "wide"])
        guard case let .incompatible(method, text)? = mismatch else { Issue.record("got \(String(describing: mismatch))"); return }
        #expect(method == "multikd" && text.contains("'wide'") && text.contains("4 classes") && text.contains("has 3"))
        #expect(error(teachers: ["t1", "headless"])?.description.contains("no source head") == true)
        #expect(error(["weighting": .string("average")], teachers: ["t1", "t2"])?.description.contains("method_options.weighting") == true)
        #expect(error(["k": .number(1)])?.description.contains("at least 2 teachers") == true)
        #expect(error(["k": .number(9)])?.description.contains("only 5 models") == true)
        #expect(error(hub: false)?.description.contains("no hub") == true)
        // A hub with a single compatible model.
        let sparse = try FakeHubFixture(
            inputs: try Tensor.eye(3), labels: Self.labels, classCount: 3,
            models: [
                FakeLinearRunner(name: "student", weight: try Tensor.eye(3)), try Self.runner("t1", logits: Self.teacherLogits[0]),
                try Self.runner("wide", logits: Self.teacherLogits[1], classes: 4),
            ])
        defer { sparse.cleanup() }
        let few = expectTuningError {
            _ = try MultiKDMethod.makeTerms(try sparse.context(method: "multikd", student: "student", options: ["k": .number(2)]))
        }
        guard case let .incompatible(_, fewText)? = few else { Issue.record("got \(String(describing: few))"); return }
        #expect(fewText.contains("fewer than 2") && fewText.contains("'wide'"))
    }
}
