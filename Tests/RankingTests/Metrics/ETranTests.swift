import Foundation
import Linalg
import Testing
@testable import Ranking

/// ETran against `scripts/fixtures/make_etran_fixtures.py`, a NumPy port of the
/// authors' public code (checked against their file once, locally).
@Suite("ETran")
struct ETranTests {
    struct Zoo: Decodable {
        let per_mille: Int
        let energy: [Double], term: [Double], etran: [Double]
    }
    struct Synthetic: Decodable {
        let per_mille: Int, rows: Int, columns: Int
        let labels: [Int], features: [[Double]]
        let energy: [Double], term: [Double], etran: [Double]
    }
    struct Golden: Decodable {
        let real_classification: Zoo, real_regression: Zoo, synthetic: Synthetic
    }

    static func golden() throws -> Golden {
        let url = try #require(Bundle.module.url(forResource: "etran_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    func check(_ raw: [MetricResult], _ metric: ETran, term: String, energy: [Double], terms: [Double], final: [Double], _ what: String) {
        let normalised = metric.normalizeAcrossModels(raw)
        for i in raw.indices {
            #expect(isClose(raw[i].details["energy"] ?? .nan, energy[i], relative: 1e-9), "\(what) \(i) energy")
            #expect(
                isClose(raw[i].details[term] ?? .nan, terms[i], relative: 1e-9),
                "\(what) \(i) \(term): \(raw[i].details[term] ?? .nan) vs \(terms[i])")
            #expect(isClose(normalised[i].score, final[i], relative: 1e-9, absolute: 1e-12), "\(what) \(i): \(normalised[i].score) vs \(final[i])")
            #expect(!normalised[i].warnings.contains { $0.contains("provisional") })
        }
    }

    @Test("classification on real features with dead units: energy, LDA and the normalised score match the authors' code")
    func realClassification() throws {
        let g = try Self.golden(), data = try RealFeatures.load()
        let metric = ETran(energyPerMille: g.real_classification.per_mille)
        let raw = try data.models.map { try metric.score(makeInput($0.matrix, data.labels)) }
        check(
            raw, metric, term: "lda", energy: g.real_classification.energy, terms: g.real_classification.term,
            final: g.real_classification.etran, "real")
    }

    @Test("regression variant (least squares through the SVD) on real features")
    func realRegression() throws {
        let g = try Self.golden(), data = try RealFeatures.load()
        let metric = ETran(energyPerMille: g.real_regression.per_mille)
        let targets = try TargetEncoder.encode(values: data.labels.map(Double.init), shape: [data.labels.count], task: .regression)
        let raw = try data.models.map { try metric.score(MetricInput(targets: targets, features: $0.matrix)) }
        check(
            raw, metric, term: "svd", energy: g.real_regression.energy, terms: g.real_regression.term,
            final: g.real_regression.etran, "regression")
    }

    @Test("default 5 per mille on N = 400")
    func synthetic() throws {
        let s = try Self.golden().synthetic
        let metric = ETran()
        #expect(metric.energyPerMille == s.per_mille)
        let raw = try s.features.map { try metric.score(makeInput(Matrix(rows: s.rows, columns: s.columns, storage: $0), s.labels)) }
        #expect(raw.allSatisfy { $0.details["energy_samples"] == 2 })
        check(raw, metric, term: "lda", energy: s.energy, terms: s.term, final: s.etran, "synthetic")
    }

    @Test("too few samples for the energy fraction: the lowest one, with a warning; bad settings are errors")
    func edges() throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 5, classes: 3, seed: 2)
        let r = try ETran().score(makeInput(f, labels))
        #expect(r.details["energy_samples"] == 1)
        #expect(r.warnings.contains { $0.contains("single lowest-energy sample") })
        #expect(throws: MetricError.self) { try ETran(energyPerMille: 0).score(makeInput(f, labels)) }
        #expect(throws: MetricError.self) { try ETran(energyWeight: 1.5).score(makeInput(f, labels)) }
        let multi = try TargetEncoder.encode(values: (0..<120).map { Double($0 % 2) }, shape: [60, 2], task: .multilabel)
        #expect(throws: MetricError.unsupportedTask(metric: "etran", task: .multilabel)) {
            try ETran().score(MetricInput(targets: multi, features: f))
        }
    }
}
