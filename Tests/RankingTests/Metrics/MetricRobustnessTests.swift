import Foundation
import Testing
import Linalg
@testable import Ranking

/// Degenerate but valid inputs: every metric returns a finite score or a
/// `MetricError`, never a silent NaN or infinity.
@Suite("Metrics on degenerate inputs")
struct MetricRobustnessTests {
    static let featureMetrics: [any TransferabilityMetric] = [NLEEP(), PARC(), KNNAccuracy(), KNNAccuracy(distance: .cosine), LinearProbe()]

    func expectFiniteOrMetricError(_ metric: any TransferabilityMetric, _ input: MetricInput, _ what: String) {
        do {
            let result = try metric.score(input)
            #expect(result.score.isFinite, "\(metric.name) on \(what): \(result.score)")
            #expect(result.details.values.allSatisfy { $0.isFinite }, "\(metric.name) on \(what): \(result.details)")
        } catch is MetricError {
            // A documented refusal is fine.
        } catch {
            Issue.record("\(metric.name) on \(what) threw \(error)")
        }
    }

    @Test("constant features, all-zero features, duplicated samples")
    func degenerateFeatures() throws {
        let labels = (0..<24).map { $0 % 3 }
        let constant = Matrix(rows: 24, columns: 5, repeating: 3.5)
        let zero = Matrix(rows: 24, columns: 5)
        var rng = TestRandom(seed: 91)
        let few = rng.gaussianMatrix(rows: 4, columns: 5)
        let duplicated = Matrix(rows: 24, columns: 5) { r, row in for j in 0..<5 { row[j] = few[r % 4, j] } }
        for metric in Self.featureMetrics {
            expectFiniteOrMetricError(metric, try featureInput(constant, labels), "constant features")
            expectFiniteOrMetricError(metric, try featureInput(zero, labels), "zero features")
            expectFiniteOrMetricError(metric, try featureInput(duplicated, labels), "duplicated samples")
        }
    }

    @Test("one-hot, uniform and peaked source probabilities")
    func degenerateProbabilities() throws {
        let labels = (0..<12).map { $0 % 2 }
        let onehot = Matrix(rows: 12, columns: 3) { _, row in row[1] = 1 }
        let uniform = Matrix(rows: 12, columns: 3, repeating: 1.0 / 3)
        let peaked = Matrix(rows: 12, columns: 3) { r, row in
            row[0] = 1 - 2e-300; row[1] = 1e-300; row[2] = 1e-300
        }
        for metric in [LEEP(), NCE()] as [any TransferabilityMetric] {
            for (theta, what) in [(onehot, "one-hot"), (uniform, "uniform"), (peaked, "peaked")] {
                let input = try probabilityInput(theta, labels)
                expectFiniteOrMetricError(metric, input, what)
                #expect(input.sourceProbabilities == theta)
                #expect(try metric.score(input) == (try metric.score(input)))
            }
        }
    }
}
