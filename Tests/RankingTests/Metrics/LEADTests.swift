import Foundation
import Linalg
import Testing
@testable import Ranking

/// LEAD against `scripts/fixtures/make_lead_fixtures.py`, an independent NumPy and
/// scikit-learn implementation of the paper's Algorithm 1 (liblinear's SVM; no code
/// by the authors is public).
@Suite("LEAD")
struct LEADTests {
    struct Result: Decodable {
        let score: Double, rates: [Double], svm_training_accuracy: Double
    }
    struct Synthetic: Decodable {
        let rows: Int, columns: Int, labels: [Int], features: [[Double]], t1: [Result]
    }
    struct Golden: Decodable { let real_t1: [Result], real_t3: [Result], synthetic: Synthetic }

    static func golden() throws -> Golden {
        let url = try #require(Bundle.module.url(forResource: "lead_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    func check(_ r: MetricResult, _ g: Result, _ what: String) {
        #expect(isClose(r.score, g.score, relative: 1e-6), "\(what): \(r.score) vs \(g.score)")
        #expect(isClose(r.details["svm_training_accuracy"] ?? .nan, g.svm_training_accuracy, relative: 1e-12), "\(what) accuracy")
        #expect(isClose(r.details["rate_min"] ?? .nan, g.rates.min()!, relative: 1e-9), "\(what) rates")
        #expect(isClose(r.details["rate_max"] ?? .nan, g.rates.max()!, relative: 1e-9), "\(what) rates")
    }

    @Test("real ReLU features with dead units, ten classes, t = 1 and t = 3: the NumPy/liblinear reference to 1e-6")
    func real() throws {
        let g = try Self.golden(), data = try RealFeatures.load()
        for (i, model) in data.models.enumerated() {
            check(try LEAD().score(makeInput(model.matrix, data.labels)), g.real_t1[i], "\(model.name) t=1")
            check(try LEAD(time: 3).score(makeInput(model.matrix, data.labels)), g.real_t3[i], "\(model.name) t=3")
        }
    }

    @Test("two classes (one SVM's decisions as ±d): the reference to 1e-6, and better separated models score higher")
    func binary() throws {
        let g = try Self.golden().synthetic
        var scores = [Double]()
        for (i, storage) in g.features.enumerated() {
            let r = try LEAD().score(makeInput(Matrix(rows: g.rows, columns: g.columns, storage: storage), g.labels))
            check(r, g.t1[i], "synthetic \(i)")
            scores.append(r.score)
        }
        #expect(scores[0] < scores[1])
    }

    @Test("t = 0 is the SVM's own cross-entropy; a longer time moves every sample towards its label")
    func time() throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 5, classes: 3, seed: 9, noise: 1.5)
        let input = try makeInput(f, labels)
        let s0 = try LEAD(time: 0).score(input).score, s1 = try LEAD(time: 1).score(input).score
        let s5 = try LEAD(time: 5).score(input).score
        #expect(s0 < s1 && s1 < s5)
        // At t → ∞ the logits are the one-hot labels: CE = log(1 + (K − 1)/e).
        #expect(isClose(try LEAD(time: 1e6).score(input).score, -log(1 + 2 / M_E), relative: 1e-12))
    }

    @Test("the Newton SVM reaches the minimiser: the primal gradient vanishes")
    func svmOptimality() throws {
        let (f, labels) = makeClassificationProblem(n: 80, d: 7, classes: 2, seed: 3, noise: 2.0)
        let x = LEAD.standardizedDesign(f)
        let signs = labels.map { $0 == 1 ? 1.0 : -1.0 }
        let fit = try LEAD.squaredHingeSVM(x, signs: signs, c: 1, maxIterations: 100)
        #expect(fit.converged)
        var gradient = fit.weights
        for i in 0..<x.rows {
            let slack = max(0, 1 - signs[i] * dot(x.row(i), fit.weights))
            for j in 0..<x.columns { gradient[j] -= 2 * signs[i] * slack * x[i, j] }
        }
        #expect(gradient.map(abs).max()! < 1e-10)
        // The flipped labels give exactly the negated solution (the intercept is regularised).
        let flipped = try LEAD.squaredHingeSVM(x, signs: signs.map { -$0 }, c: 1, maxIterations: 100)
        for j in 0..<x.columns { #expect(abs(flipped.weights[j] + fit.weights[j]) < 1e-10) }
    }

    @Test func contract() throws {
        try MetricContract.direction(LEAD())
        try MetricContract.permutationAndRelabelling(LEAD())
        try MetricContract.determinismAndInputsUnchanged(LEAD())
        try MetricContract.badInputs(LEAD())
        let (f, labels) = makeClassificationProblem(n: 20, d: 2, classes: 2, seed: 1)
        #expect(throws: MetricError.self) { try LEAD(time: -1).score(makeInput(f, labels)) }
        #expect(throws: MetricError.self) { try LEAD(svmC: 0).score(makeInput(f, labels)) }
        #expect(throws: MetricError.self) { try LEAD().score(makeInput(Matrix(rows: 20, columns: 3), labels)) }
    }
}
