import Foundation
import Linalg
import Testing
@testable import Ranking

/// PED against `scripts/fixtures/make_ped_fixtures.py`, a NumPy port of the authors'
/// public code (checked identical to it once, locally).
@Suite("PED feature transform")
struct PotentialEnergyDescentTests {
    struct Model: Decodable {
        let name: String, steps: Int
        let column_sums: [Double], column_square_sums: [Double], first_rows: [[Double]]
        let logme_paper: Double, logme_paper_before: Double
    }
    struct Golden: Decodable { let models: [Model] }

    static func golden() throws -> Golden {
        let url = try #require(Bundle.module.url(forResource: "ped_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }

    @Test("transformed real features and LogME on them match the authors' code")
    func golden() throws {
        let data = try RealFeatures.load(), golden = try Self.golden()
        #expect(golden.models.contains { $0.steps > 0 })
        for (m, g) in zip(data.models, golden.models) {
            let (moved, steps) = try PotentialEnergyDescent().apply(features: m.matrix, labels: data.labels, classCount: 10)
            #expect(steps == g.steps, "\(m.name)")
            for j in 0..<moved.columns {
                let column = moved.column(j)
                #expect(isClose(column.reduce(0, +), g.column_sums[j], relative: 1e-9, absolute: 1e-9), "\(m.name) column \(j)")
                #expect(isClose(column.map { $0 * $0 }.reduce(0, +), g.column_square_sums[j], relative: 1e-9, absolute: 1e-9))
            }
            for (r, row) in g.first_rows.enumerated() {
                for (j, v) in row.enumerated() { #expect(isClose(moved[r, j], v, relative: 1e-9, absolute: 1e-9)) }
            }
            let metric = PEDTransformed(LogME(compatibility: .paper))
            let result = try metric.score(makeInput(m.matrix, data.labels))
            #expect(isClose(result.score, g.logme_paper, relative: 1e-9), "\(m.name): \(result.score) vs \(g.logme_paper)")
            #expect(result.details["ped_steps"] == Double(g.steps))
            if g.steps == 0 { #expect(moved == m.matrix) }
        }
    }

    @Test("classes whose balls overlap move apart; samples of a class move together")
    func movesClassesApart() throws {
        let (f, labels) = makeClassificationProblem(n: 90, d: 4, classes: 3, seed: 8, noise: 2.0)
        let (moved, steps) = try PotentialEnergyDescent().apply(features: f, labels: labels, classCount: 3)
        #expect(steps >= 1)
        func meanDistance(_ x: Matrix) -> Double {
            let s = ClassStatistics(features: x, labels: labels, classCount: 3)
            var total = 0.0
            for a in 0..<3 { for b in (a + 1)..<3 { total += (0..<4).map { pow(s.means[a, $0] - s.means[b, $0], 2) }.reduce(0, +).squareRoot() } }
            return total
        }
        #expect(meanDistance(moved) > meanDistance(f))
        // Within a class every sample moved by the same vector.
        let first = labels.firstIndex(of: 0)!, second = labels.lastIndex(of: 0)!
        for j in 0..<4 { #expect(isClose(moved[first, j] - f[first, j], moved[second, j] - f[second, j], relative: 1e-9, absolute: 1e-12)) }
    }

    @Test("bad inputs are typed errors")
    func errors() throws {
        let (f, labels) = makeClassificationProblem(n: 30, d: 3, classes: 3, seed: 1)
        #expect(throws: MetricError.self) { try PotentialEnergyDescent(timeStep: 0).apply(features: f, labels: labels, classCount: 3) }
        #expect(throws: MetricError.self) { try PotentialEnergyDescent().apply(features: f, labels: Array(labels.prefix(10)), classCount: 3) }
        var bad = f
        bad[0, 0] = .nan
        #expect(throws: MetricError.self) { try PotentialEnergyDescent().apply(features: bad, labels: labels, classCount: 3) }
        let regression = try regressionTargets(30)
        #expect(throws: MetricError.unsupportedTask(metric: "logme", task: .regression)) {
            try PEDTransformed(LogME()).score(MetricInput(targets: regression, features: f))
        }
    }
}

@Suite("Feature transforms")
struct FeatureTransformTests {
    @Test("ped wraps exactly the feature-based metrics and keeps names and order")
    func wraps() throws {
        let metrics = MetricRegistry.all
        let wrapped = FeatureTransform.ped.apply(to: metrics)
        #expect(wrapped.map(\.name) == metrics.map(\.name))
        for (m, w) in zip(metrics, wrapped) {
            #expect((w is PEDTransformed) == m.inputs.contains(.features), "\(m.name)")
        }
        #expect(FeatureTransform.none.apply(to: metrics).map(\.name) == metrics.map(\.name))
        #expect(FeatureTransform(rawValue: "ped") == .ped)
    }
}
