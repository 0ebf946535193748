import Data
import Foundation
import Testing
import TestSupport
import Torch
@testable import Tuning

/// AE-KD, multi-teacher relative similarity, local correlation consistency and
/// students from few data: hand computations, PyTorch goldens
/// (scripts/fixtures/make_mining_distillation_fixtures.py), brute force for AE-KD's
/// quadratic programme, finite differences, gradients to the student only, errors.
@Suite("Model-mining distillation methods")
struct MiningMethodTests {
    typealias G = MiningLossGoldens

    // MARK: AE-KD's min-norm problem

    /// wᵀGw.
    static func quadratic(_ g: [[Double]], _ w: [Double]) -> Double {
        var total = 0.0
        for i in w.indices { for j in w.indices { total += w[i] * g[i][j] * w[j] } }
        return total
    }

    /// The best point of a grid of step 1/n over the 3-simplex with every weight ≤ cap.
    static func bruteForce3(_ g: [[Double]], cap: Double, n: Int = 600) -> (w: [Double], value: Double) {
        var best = (w: [Double](), value: Double.infinity)
        for a in 0...n {
            for b in 0...(n - a) {
                let w = [Double(a) / Double(n), Double(b) / Double(n), Double(n - a - b) / Double(n)]
                guard w.allSatisfy({ $0 <= cap + 1e-12 }) else { continue }
                let value = quadratic(g, w)
                if value < best.value { best = (w, value) }
            }
        }
        return best
    }

    static func gram(_ vectors: [[Double]]) -> [[Double]] {
        vectors.map { a in vectors.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
    }

    @Test("min-norm weights equal a brute-force search over the capped simplex (definite and singular Gram matrices)")
    func minNormBruteForce() throws {
        var random = DataRandom(seed: 19)
        func gaussian() -> Double {
            let u = Swift.max(Double(random.next() >> 11) / Double(1 << 53), 1e-300), v = Double(random.next() >> 11) / Double(1 << 53)
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
        }
        var checked = 0
        for trial in 0..<6 {
            // Width 5: definite (unique minimiser); width 2: singular (3 vectors in a plane).
            let width = trial % 2 == 0 ? 5 : 2
            let vectors = (0..<3).map { _ in (0..<width).map { _ in gaussian() + (trial >= 4 ? 1.5 : 0) } }
            let g = Self.gram(vectors)
            for cap in [1.0, 0.6, 0.4, 1.0 / 3] {
                let w = MinNormSolver.solve(gram: g, cap: cap)
                #expect(Swift.abs(w.reduce(0, +) - 1) < 1e-12, "sum \(w)")
                #expect(w.allSatisfy { $0 >= -1e-15 && $0 <= cap + 1e-12 }, "bounds \(w) cap \(cap)")
                let grid = Self.bruteForce3(g, cap: cap)
                let value = Self.quadratic(g, w)
                // The solver is never worse than the best grid point, and the grid's best
                // is within its resolution of the solver's optimum.
                #expect(value <= grid.value + 1e-12, "trial \(trial) cap \(cap): solver \(value) vs grid \(grid.value)")
                #expect(grid.value - value <= 4 * (g[0][0] + g[1][1] + g[2][2]) / 600, "grid \(grid.value) solver \(value)")
                if width == 5 {
                    for k in 0..<3 { #expect(Swift.abs(w[k] - grid.w[k]) <= 0.01, "trial \(trial) cap \(cap): \(w) vs grid \(grid.w)") }
                }
                checked += 1
            }
        }
        #expect(checked == 24)
    }

    @Test("two teachers by hand: w1 = clamp(g2·(g2 − g1) / ‖g1 − g2‖², 1 − C, C)")
    func minNormTwoByHand() {
        let g1 = [1.0, 0.0], g2 = [0.2, 0.5]
        let d = zip(g1, g2).map { $0 - $1 }
        let unconstrained = zip(g2, d).reduce(0) { $0 - $1.0 * $1.1 } / d.reduce(0) { $0 + $1 * $1 }
        for cap in [1.0, 0.6, 0.5] {
            let w = MinNormSolver.solve(gram: Self.gram([g1, g2]), cap: cap)
            let expected = Swift.min(Swift.max(unconstrained, 1 - cap), cap)
            #expect(Swift.abs(w[0] - expected) < 1e-9 && Swift.abs(w[1] - (1 - expected)) < 1e-9, "cap \(cap): \(w) vs \(expected)")
        }
        // Identical gradients: every feasible point is optimal; the solver stays feasible.
        let same = MinNormSolver.solve(gram: Self.gram([g1, g1]), cap: 0.7)
        #expect(Swift.abs(same.reduce(0, +) - 1) < 1e-12 && same.allSatisfy { $0 <= 0.7 + 1e-12 })
    }

    @Test("AE-KD matches the authors' solver: logit gradients (autograd), weights (one-class SVM) and loss")
    func aekdGoldens() throws {
        let s = try goldenTensor(G.aekdStudent, G.aekdStudentShape)
        let teachers = try [G.aekdTeacher0, G.aekdTeacher1, G.aekdTeacher2].map { try goldenTensor($0, G.aekdTeacher0Shape) }
        let gradients = try MiningDistillation.kdLogitGradients(student: s, teachers: teachers, temperature: 4)
        let reference = try goldenTensor(G.aekdGradientsC06, G.aekdGradientsC06Shape)
        #expect(try (gradients - reference).abs().max().item() < 1e-12)
        for (cap, weights, loss) in [(0.6, G.aekdWeightsC06, G.aekdLossC06), (0.4, G.aekdWeightsC04, G.aekdLossC04)] {
            let w = try MiningDistillation.aekdWeights(gradients: gradients, cap: cap, normalize: false)
            for k in 0..<3 { #expect(Swift.abs(w[k] - weights[k]) < 2e-4, "C \(cap): \(w) vs SVM \(weights)") }
            var total = 0.0
            for (wk, t) in zip(w, teachers) { total += wk * (try Distillation.kd(student: s, teacher: t, temperature: 4).item()) }
            expectNear(total, loss, tolerance: 1e-3)
        }
    }

    static func aekdFixture() throws -> FakeHubFixture {
        // Teachers whose logits disagree: t1 and t2 close, t3 opposed.
        try FakeHubFixture(
            inputs: try Tensor.eye(3), labels: [0, 1, 2], classCount: 3,
            models: [
                FakeLinearRunner(name: "student", weight: try Tensor.eye(3).requiresGrad(true)),
                try MultiKDTests.runner("t1", logits: [[3, 0, 0], [0, 2, 0], [0, 0, 2]]),
                try MultiKDTests.runner("t2", logits: [[2, 1, 0], [0, 3, 0], [1, 0, 2]]),
                try MultiKDTests.runner("t3", logits: [[0, 0, 3], [2, 0, 0], [0, 3, 0]]),
                try MultiKDTests.runner("headless", logits: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], classes: nil),
            ])
    }

    @Test("AE-KD term: weights on the capped simplex, loss Σ w_k KD_k, gradient to the student's logits only")
    func aekdTerm() throws {
        let fixture = try Self.aekdFixture()
        defer { fixture.cleanup() }
        let terms = try AEKDMethod.makeTerms(try fixture.context(method: "aekd", student: "student", teacherNames: ["t1", "t2", "t3"]))
        let term = try #require(terms.first as? AEKDTerm)
        #expect(terms.count == 1 && term.weight == 0.9 && term.cap == 0.6 && term.temperature == 4)
        let logits = try Tensor([Float(0.2), -0.1, 0.3, 1, 0, -1, 0, 0.5, 0.5], shape: [3, 3]).requiresGrad(true)
        let step = TrainingStep(
            inputs: fixture.inputs, labels: try Tensor([Int64(0), 1, 2]), indices: [0, 1, 2], augmented: false,
            student: ModelOutputs(features: logits), logits: logits, classCount: 3)
        let w = try term.weights(step)
        #expect(Swift.abs(w.reduce(0, +) - 1) < 1e-9 && w.allSatisfy { $0 >= 0 && $0 <= 0.6 + 1e-9 })
        let loss = try term.loss(step)
        #expect(term.lastWeights == w)
        var expected = 0.0
        for (k, name) in ["t1", "t2", "t3"].enumerated() {
            let t = try #require(try fixture.models[name]!.outputs(fixture.inputs, needs: .sourceLogits).sourceLogits).detach()
            expected += w[k] * (try Distillation.kd(student: logits.detach(), teacher: t, temperature: 4).item())
        }
        expectNear(try loss.item(), expected, tolerance: 1e-5)
        try loss.backward()
        #expect(logits.grad != nil)
        for name in ["t1", "t2", "t3"] { #expect(fixture.models[name]!.weight.grad == nil && fixture.models[name]!.head!.grad == nil) }
        // The weights are constants of the backward pass (as the authors' torch.dot with
        // a tensor from numpy): ∂/∂s_ic = Σ_k w_k T (q_ic − p_kic) / B.
        let g = try Reference.matrix(try #require(logits.grad))
        let s = try Reference.matrix(logits)
        var maxError = 0.0
        for i in 0..<3 {
            let q = MultiKDTests.softmax(s.row(i), temperature: 4)
            for c in 0..<3 {
                var value = 0.0
                for (k, name) in ["t1", "t2", "t3"].enumerated() {
                    let t = try Reference.matrix(try #require(try fixture.models[name]!.outputs(fixture.inputs, needs: .sourceLogits).sourceLogits))
                    value += w[k] * 4 * (q[c] - MultiKDTests.softmax(t.row(i), temperature: 4)[c]) / 3
                }
                maxError = Swift.max(maxError, Swift.abs(g.row(i)[c] - value))
            }
        }
        #expect(maxError < 1e-6)
    }

    @Test("AE-KD refuses one teacher, a cap below 1/K or above 1, and a teacher without target logits")
    func aekdErrors() throws {
        let fixture = try Self.aekdFixture()
        defer { fixture.cleanup() }
        func error(_ options: [String: MethodOptions.Value] = [:], teachers: [String]) -> String? {
            expectTuningError {
                _ = try AEKDMethod.makeTerms(try fixture.context(method: "aekd", student: "student", options: options, teacherNames: teachers))
            }?.description
        }
        #expect(error(teachers: ["t1"])?.contains("at least 2 teachers") == true)
        let low = error(["c": .number(0.3)], teachers: ["t1", "t2", "t3"])
        #expect(low?.contains("method_options.c") == true && low?.contains("[0.3333, 1]") == true, "\(low ?? "")")
        #expect(error(["c": .number(1.5)], teachers: ["t1", "t2"])?.contains("method_options.c") == true)
        #expect(error(["c": .number(-1)], teachers: ["t1", "t2"])?.contains("method_options.c") == true)
        #expect(error(teachers: ["t1", "headless"])?.contains("no source head") == true)
        #expect(error(teachers: ["t1", "student"])?.contains("its own teacher") == true)
        #expect(error(["temperature": .number(0)], teachers: ["t1", "t2"])?.contains("method_options.temperature") == true)
    }

    // MARK: Relative similarity

    @Test("relative similarity matches PyTorch (triplet loops, voting, ties) and the averaged soft KD")
    func relsimGoldens() throws {
        let fs = try goldenTensor(G.relsimStudent, G.relsimStudentShape)
        let fts = try [
            goldenTensor(G.relsimTeacher0, G.relsimTeacher0Shape), goldenTensor(G.relsimTeacher1, G.relsimTeacher1Shape),
            goldenTensor(G.relsimTeacher2, G.relsimTeacher2Shape),
        ]
        expectNear(try MiningDistillation.relativeSimilarity(student: fs, teachers: fts, margin: 0.1).item(), G.relsimTriplet)
        expectNear(try MiningDistillation.relativeSimilarity(student: fs, teachers: Array(fts.prefix(2)), margin: 0.1).item(), G.relsimTripletTwo)
        let ls = try goldenTensor(G.relsimLogits, G.relsimLogitsShape)
        let lts = try [G.relsimTeacherLogits0, G.relsimTeacherLogits1, G.relsimTeacherLogits2].map { try goldenTensor($0, G.relsimLogitsShape) }
        expectNear(try MiningDistillation.averagedSoftKD(student: ls, teachers: lts, temperature: 4).item(), G.relsimSoftKD)
        // One teacher: averaging is Hinton KD.
        expectNear(
            try MiningDistillation.averagedSoftKD(student: ls, teachers: [lts[0]], temperature: 4).item(),
            try Distillation.kd(student: ls, teacher: lts[0], temperature: 4).item())
        try lossGradientCheck(fs) { try MiningDistillation.relativeSimilarity(student: $0, teachers: fts, margin: 0.1) }
        try lossGradientCheck(ls) { try MiningDistillation.averagedSoftKD(student: $0, teachers: lts, temperature: 4) }
    }

    @Test("relative similarity by hand: a student ordered as the teachers pays only the margin where it is too tight")
    func relsimByHand() throws {
        // Three samples on a line in the teacher (0, 1, 3 in 1-D is degenerate after
        // normalisation), so use 2-D unit directions at angles 0°, 60°, 180°.
        func directions(_ degrees: [Double]) throws -> Tensor {
            try Tensor(degrees.flatMap { [Foundation.cos($0 * .pi / 180), Foundation.sin($0 * .pi / 180)] }, shape: [degrees.count, 2])
        }
        let teacher = try directions([0, 60, 180])
        // Same order, margins ample: zero loss with margin 0.
        #expect(try MiningDistillation.relativeSimilarity(student: teacher * 2, teachers: [teacher], margin: 0).item() == 0)
        // With margin m, a triplet (i, pos, neg) costs max(0, d(i,pos) − d(i,neg) + m),
        // d = 2 − 2 cos. Anchor 0: d(0,1) = 1, d(0,2) = 4: 1 − 4 + m. Anchor 1: d(1,0) = 1,
        // d(1,2) = 2 − 2 cos 120° = 3: 1 − 3 + m. Anchor 2: d(2,0) = 4, d(2,1) = 3: 3 − 4 + m.
        // Each unordered pair appears twice (j, k) and (k, j); 6 triplets in all.
        let m = 1.5
        let expected = 2 * ([1 - 4 + m, 1 - 3 + m, 3 - 4 + m].map { Swift.max($0, 0) }.reduce(0, +)) / 6
        expectNear(try MiningDistillation.relativeSimilarity(student: teacher, teachers: [teacher], margin: m).item(), expected)
        // An even vote (two teachers disagreeing on everything) leaves every triplet out: 0.
        // A second teacher that orders every anchor's pair the other way: with samples at
        // 0°, 100° and 30°, d(0,2) < d(1,2) < d(0,1), the reverse of the first teacher's.
        let reversed = try directions([0, 100, 30])
        let opposed = try MiningDistillation.relativeSimilarity(student: teacher, teachers: [teacher, reversed], margin: m)
        #expect(try opposed.item() == 0)
    }

    @Test("relsim method: two terms, teachers get no gradient, features of any width")
    func relsimMethod() throws {
        let fixture = try Self.aekdFixture()
        defer { fixture.cleanup() }
        let terms = try RelativeSimilarityMethod.makeTerms(
            try fixture.context(method: "relsim", student: "student", options: ["margin": .number(0.2)], teacherNames: ["t1", "t2", "t3"]))
        #expect(terms.map(\.name) == ["relsim_kd", "relsim_triplet"] && terms.map(\.weight) == [1, 0.1])
        let weighted = try RelativeSimilarityMethod.makeTerms(
            try fixture.context(method: "relsim", student: "student", options: ["beta": .number(1)], teacherNames: ["t1", "t2", "t3"]))
        #expect(weighted.map(\.weight) == [1, 1])
        let student = fixture.models["student"]!
        let step = try fixture.step([0, 1, 2], student: student, augmented: false)
        var total: Tensor? = nil
        for term in terms {
            let value = try term.loss(step)
            #expect(try value.item().isFinite)
            total = try total.map { try $0 + value } ?? value
        }
        try total!.backward()
        #expect(student.weight.grad != nil)
        for name in ["t1", "t2", "t3"] { #expect(fixture.models[name]!.weight.grad == nil && fixture.models[name]!.head!.grad == nil) }
        let bad = expectTuningError {
            _ = try RelativeSimilarityMethod.makeTerms(
                try fixture.context(method: "relsim", student: "student", options: ["margin": .number(-1)], teacherNames: ["t1", "t2"]))
        }
        #expect(bad?.description.contains("method_options.margin") == true)
    }

    // MARK: Local correlation consistency

    @Test("local correlation matches PyTorch at grids 2, 3 and 4 (pooled sides); finite differences; teacher detached")
    func lccGoldens() throws {
        let ms = try goldenTensor(G.lccStudent, G.lccStudentShape), mt = try goldenTensor(G.lccTeacher, G.lccTeacherShape)
        for (grid, intra, inter, cross) in [
            (2, G.lccIntraGrid2, G.lccInterGrid2, G.lccCrossGrid2), (3, G.lccIntraGrid3, G.lccInterGrid3, G.lccCrossGrid3),
            (4, G.lccIntraGrid4, G.lccInterGrid4, G.lccCrossGrid4),
        ] {
            let parts = try MiningDistillation.localCorrelation(student: ms, teacher: mt, grid: grid)
            expectNear(try parts.intra.item(), intra)
            expectNear(try parts.inter.item(), inter)
            expectNear(try parts.cross.item(), cross)
        }
        for grid in [2, 4] {
            try lossGradientCheck(ms) {
                let parts = try MiningDistillation.localCorrelation(student: $0, teacher: mt, grid: grid)
                return try parts.intra + parts.inter + parts.cross
            }
        }
        let s = try ms.requiresGrad(true), t = try mt.clone().requiresGrad(true)
        let parts = try MiningDistillation.localCorrelation(student: s, teacher: t, grid: 2)
        try (parts.intra + parts.inter + parts.cross).backward()
        #expect(s.grad != nil && t.grad == nil)
    }

    @Test("local correlation by hand: a map and its scaled copy agree; parts of one channel correlate to 1 or −1")
    func lccByHand() throws {
        let f = try Tensor([1.0, 2, 3, 4, -1, 0, 2, 5], shape: [1, 2, 2, 2])
        let same = try MiningDistillation.localCorrelation(student: f, teacher: f * 3, grid: 2)
        #expect(try same.intra.item() < 1e-24 && same.inter.item() < 1e-24 && same.cross.item() < 1e-24)
        // One channel, 2 × 2 map, grid 2: every part is one value, ±1 after
        // normalisation, so every correlation is a sign product. Student samples
        // (1, −2, 3, 4) and (1, 2, 3, 4) against an all-positive teacher (every
        // correlation 1): a mismatch costs (−1 − 1)² = 4 and involves part 1 of sample 0.
        // intra: 6 of the 2·4·4 = 32 entries (sample 0's row and column of part 1);
        // inter: 2 of the 4·2·2 = 16 (part 1's off-diagonal pair);
        // cross (a ≠ b, p ≠ q): 6 of the 2·1·4·3 = 24 pairs (part 1 of sample 0 with the 3
        // other parts of sample 1, both ways).
        let student = try Tensor([1.0, -2, 3, 4, 1, 2, 3, 4], shape: [2, 1, 2, 2])
        let teacher = try Tensor([1.0, 2, 3, 4, 1, 2, 3, 4], shape: [2, 1, 2, 2])
        let parts = try MiningDistillation.localCorrelation(student: student, teacher: teacher, grid: 2)
        expectNear(try parts.intra.item(), 6 * 4 / 32)
        expectNear(try parts.inter.item(), 2 * 4 / 16)
        expectNear(try parts.cross.item(), 6 * 4 / 24)
        // A batch of one: each inter-instance matrix is [[1]] for both, and no pair of
        // different samples exists for cross: both 0.
        let one = try MiningDistillation.localCorrelation(
            student: try Tensor([1.0, -2, 3, 4], shape: [1, 1, 2, 2]), teacher: try Tensor([1.0, 2, 3, 4], shape: [1, 1, 2, 2]), grid: 2)
        expectNear(try one.intra.item(), 6 * 4 / 16)
        #expect(try one.inter.item() == 0 && one.cross.item() == 0)
        // Parts are blocks, not pooled cells: a 2 × 4 one-channel map at grid 2 has
        // parts of two values each, and parts [1, 0] and [0, 1] correlate to 0 where
        // their averages (0.5 each) would correlate to 1.
        let blocks = try Tensor([1.0, 0, 1, 0, 0, 1, 0, 1], shape: [1, 1, 2, 4])
        let uniform = try Tensor([1.0, 1, 1, 1, 1, 1, 1, 1], shape: [1, 1, 2, 4])
        let p = try MiningDistillation.localCorrelation(student: blocks, teacher: uniform, grid: 2)
        // Student parts: row 0 → [1, 0], [1, 0]; row 1 → [0, 1], [0, 1]; teacher parts
        // all equal. Intra correlations differ (0 vs 1) for the 8 pairs across rows: 8 of 16.
        expectNear(try p.intra.item(), 8.0 / 16)
    }

    @Test("lcc method on convolutional models: gradients to the student only; vectors are refused by name")
    func lccMethod() throws {
        let student = try FakeConvModel(name: "student", hintChannels: [3, 4], featureDimension: 5, sourceClasses: 3, seed: 1)
        let teacher = try FakeConvModel(name: "teacher", hintChannels: [6, 2], featureDimension: 4, sourceClasses: 3, seed: 2)
        let context = try fakeContext(method: "lcc", student: student, models: [teacher], teacherNames: ["teacher"])
        let terms = try LCCMethod.makeTerms(context)
        let term = try #require(terms.first as? LocalCorrelationTerm)
        #expect(term.weight == 10 && term.grid == 4 && term.interWeight == 1 && term.crossWeight == 1 && term.studentNeeds == .hints)
        let x = try Tensor.randn([4, 2, 8, 8], generator: Generator(seed: 3))
        let step = try fakeStep(student, x, labels: [0, 1, 2, 0], needs: .hints)
        let loss = try term.loss(step)
        #expect(try loss.item() > 0)
        try loss.backward()
        #expect(student.stages[0].grad != nil)
        // Teachers are opened as fresh copies: the fixture's teacher never sees a gradient.
        #expect(teacher.parameters.allSatisfy { $0.grad == nil })
        // A model without hint maps, and a bad grid.
        let flat = try FakeConvModel(name: "flat", hintChannels: [3], featureDimension: 4, sourceClasses: 3, hasHints: false, seed: 4)
        let refusal = expectTuningError {
            _ = try LCCMethod.makeTerms(try fakeContext(method: "lcc", student: student, models: [flat], teacherNames: ["flat"]))
        }
        #expect(refusal?.description.contains("hint maps") == true)
        let grid = expectTuningError {
            _ = try LCCMethod.makeTerms(
                try fakeContext(method: "lcc", student: student, models: [teacher], teacherNames: ["teacher"], options: ["grid": .number(0)]))
        }
        #expect(grid?.description.contains("method_options.grid") == true)
        // Hint counts that do not pair one to one are refused when the method is built.
        let deeper = try FakeConvModel(name: "deeper", hintChannels: [3, 4, 5], featureDimension: 4, sourceClasses: 3, seed: 5)
        let counts = expectTuningError {
            _ = try LCCMethod.makeTerms(try fakeContext(method: "lcc", student: student, models: [deeper], teacherNames: ["deeper"]))
        }
        #expect(counts?.description.contains("2 hint maps and teacher 'deeper' 3") == true, "\(String(describing: counts))")
        // Hints that are vectors, not maps: a clear error from the term.
        let vectors = TrainingStep(
            inputs: x, labels: try Tensor([Int64(0), 1, 2, 0]), indices: [0, 1, 2, 3], augmented: false,
            student: ModelOutputs(features: try Tensor.zeros([4, 5]), hints: [try Tensor.zeros([4, 3]), try Tensor.zeros([4, 4])]),
            logits: try Tensor.zeros([4, 3]), classCount: 3)
        let vectorError = expectTuningError { _ = try term.loss(vectors) }
        #expect(vectorError?.description.contains("[B, C, H, W]") == true, "\(String(describing: vectorError))")
    }

    // MARK: Few data

    /// A replay of a linear student: logits = x W.
    static func linearReplay(_ w: Tensor) -> StudentReplay {
        StudentReplay(logits: { input in try input.floatBatch().matmul(w) }, parameters: { [w] })
    }

    @Test("worst-case samples and their KD match PyTorch (autograd ascent on a linear student)")
    func fewDataGoldens() throws {
        let x0 = try goldenTensor(G.fewInputs, G.fewInputsShape)
        let w = try goldenTensor(G.fewStudent, G.fewStudentShape).requiresGrad(true)
        let v = try goldenTensor(G.fewTeacher, G.fewTeacherShape)
        let p0 = try (x0.matmul(v) / 4.0).softmax(dim: 1)
        let samples = try MiningDistillation.worstCaseSamples(
            origin: x0, teacherProbabilities: p0, replay: Self.linearReplay(w), temperature: 4, gamma: 1, steps: 5, stepSize: 0.1)
        let expected = try goldenTensor(G.fewSamples, G.fewSamplesShape)
        #expect(try (samples - expected).abs().max().item() < 1e-12)
        // The ascent differentiated the input only: no gradient reached W, and its flag is back.
        #expect(w.grad == nil && w.requiresGrad)
        let loss = try Distillation.kd(student: samples.matmul(w), teacher: samples.matmul(v), temperature: 4)
        expectNear(try loss.item(), G.fewLoss)
    }

    @Test("one ascent step by hand: x̂ = x0 + η T (q − p) Wᵀ; zero steps leave the batch as it is")
    func fewDataByHand() throws {
        let x0 = try goldenTensor(G.fewInputs, G.fewInputsShape)
        let w = try goldenTensor(G.fewStudent, G.fewStudentShape)
        let v = try goldenTensor(G.fewTeacher, G.fewTeacherShape)
        let p0 = try (x0.matmul(v) / 4.0).softmax(dim: 1)
        let replay = Self.linearReplay(w)
        let none = try MiningDistillation.worstCaseSamples(
            origin: x0, teacherProbabilities: p0, replay: replay, temperature: 4, gamma: 1, steps: 0, stepSize: 0.1)
        #expect(try (none - x0).abs().max().item() == 0)
        let one = try MiningDistillation.worstCaseSamples(
            origin: x0, teacherProbabilities: p0, replay: replay, temperature: 4, gamma: 3, steps: 1, stepSize: 0.25)
        // d/dx Σ_b T² KL(p ‖ softmax(xW/T)) = T (q − p) Wᵀ, q = softmax(x0 W / T); the
        // penalty's gradient is 0 at x0.
        let xs = try Reference.matrix(x0), ws = try Reference.matrix(w), ps = try Reference.matrix(p0)
        let result = try Reference.matrix(one)
        for b in 0..<4 {
            let z = (0..<3).map { c in (0..<5).reduce(0.0) { $0 + xs.row(b)[$1] * ws.row($1)[c] } }
            let q = MultiKDTests.softmax(z, temperature: 4)
            for i in 0..<5 {
                let g = (0..<3).reduce(0.0) { $0 + 4 * (q[$1] - ps.row(b)[$1]) * ws.row(i)[$1] }
                expectNear(result.row(b)[i], xs.row(b)[i] + 0.25 * g, tolerance: 1e-12)
            }
        }
    }

    @Test("fewdata method: KD and worst-case terms; the teacher gets no gradient; refusals")
    func fewDataMethod() throws {
        let fixture = try Self.aekdFixture()
        defer { fixture.cleanup() }
        let terms = try FewDataMethod.makeTerms(try fixture.context(method: "fewdata", student: "student", teacherNames: ["t1"]))
        #expect(terms.map(\.name) == ["kd", "fewdata"] && terms.map(\.weight) == [0.9, 1])
        let few = try #require(terms[1] as? FewDataTerm)
        #expect(few.steps == 5 && few.gamma == 1 && few.stepSize == 0.1 && few.temperature == 4)
        let student = fixture.models["student"]!
        var step = try fixture.step([0, 1, 2], student: student, augmented: false)
        // Without the trainer's replay the term says what it needs.
        #expect(expectTuningError { _ = try few.loss(step) }?.description.contains("replay") == true)
        step.replay = StudentReplay(
            logits: { try student.outputs($0, needs: []).features.slice(dim: 1, start: 0, end: 3) }, parameters: { [student.weight] })
        let loss = try few.loss(step)
        #expect(student.weight.grad == nil, "the ascent left a gradient on the student")
        try loss.backward()
        #expect(student.weight.grad != nil)
        #expect(fixture.models["t1"]!.weight.grad == nil && fixture.models["t1"]!.head!.grad == nil)
        // The moved samples are not the dataset rows: the teacher ran on them (not the cache).
        let samples = try few.samples(step)
        #expect(try (samples - fixture.inputs).abs().max().item() > 0)
        func error(_ options: [String: MethodOptions.Value], teachers: [String] = ["t1"]) -> String? {
            expectTuningError {
                _ = try FewDataMethod.makeTerms(try fixture.context(method: "fewdata", student: "student", options: options, teacherNames: teachers))
            }?.description
        }
        #expect(error([:], teachers: ["t1", "t2"])?.contains("exactly one teacher") == true)
        #expect(error([:], teachers: ["headless"])?.contains("source head") == true)
        #expect(error(["steps": .number(-1)])?.contains("method_options.steps") == true)
        #expect(error(["gamma": .number(-0.5)])?.contains("method_options.gamma") == true)
        #expect(error(["step_size": .string("big")])?.contains("method_options.step_size") == true)
    }

    // MARK: The few-data setting

    func writeSplit(_ name: String, count: Int, classes: [String], in dir: URL) throws {
        var lines = ["text,label"]
        for i in 0..<count { lines.append("\(name) sample \(i),\(classes[i % classes.count])") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("\(name).csv"))
    }

    @Test("split.train_per_class keeps n training samples per class, seeded, never validation or test samples")
    func trainPerClass() throws {
        let dir = try TemporaryDirectory.make("hubminer-fewdata")
        defer { TemporaryDirectory.remove(dir) }
        // Class c has 30, 30, 30 training samples... and "rare" only 2 (kept whole).
        var lines = ["text,label"]
        for i in 0..<92 { lines.append("train sample \(i),\(i < 2 ? "rare" : ["a", "b", "c"][i % 3])") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("train.csv"))
        try writeSplit("validation", count: 8, classes: ["a", "b", "c", "rare"], in: dir)
        try writeSplit("test", count: 20, classes: ["a", "b", "c", "rare"], in: dir)
        let data = try TuneData.open(dir, validationFraction: 0.2, seed: 5, trainPerClass: 4)
        let labels = try (0..<data.train.count).map { try #require(try data.train.label(at: $0)) }
        let counts = Dictionary(grouping: labels, by: { data.train.classNames[$0] }).mapValues(\.count)
        #expect(counts == ["a": 4, "b": 4, "c": 4, "rare": 2], "\(counts)")
        #expect(data.record.trainPerClass == 4 && data.record.trainSamples == 14)
        let texts = try (0..<data.train.count).map { try data.train.sample(at: $0).texts.joined() }
        #expect(texts.allSatisfy { $0.hasPrefix("train sample") })
        #expect(data.validation.count == 8)
        // Seeded: the same seed picks the same samples; another seed others.
        let again = try TuneData.open(dir, validationFraction: 0.2, seed: 5, trainPerClass: 4)
        #expect(try (0..<again.train.count).map { try again.train.sample(at: $0).texts.joined() } == texts)
        let other = try TuneData.open(dir, validationFraction: 0.2, seed: 6, trainPerClass: 4)
        #expect(try (0..<other.train.count).map { try other.train.sample(at: $0).texts.joined() } != texts)
    }

    @Test("split.train_per_class below 1 is refused naming the field")
    func trainPerClassValidation() throws {
        var config = TuneConfiguration()
        config.hub = "hub"
        config.data = "data"
        config.target = "m"
        config.split.trainPerClass = 0
        let error = expectTuningError { _ = try config.resolved(source: "tune.json") }
        #expect(error?.description.contains("split.train_per_class") == true, "\(String(describing: error))")
        let decoded = try JSONDecoder().decode(
            TuneConfiguration.SplitSettings.self, from: Data(#"{"train_per_class": 5, "seed": 2}"#.utf8))
        #expect(decoded.trainPerClass == 5 && decoded.seed == 2)
    }
}
