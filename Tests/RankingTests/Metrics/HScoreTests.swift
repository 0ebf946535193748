import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("H-score")
struct HScoreTests {
    /// tr(cov(f)⁻¹ cov(E[f|y])) with explicit sums and a Gauss-Jordan inverse.
    static func bruteForce(_ f: Matrix, _ labels: [Int]) -> Double {
        let rows = f.nestedRows
        let n = Double(rows.count)
        let m = Plain.mean(rows)
        let covF = Plain.scatter(rows, around: m, dividedBy: n)
        // g_i = mean of sample i's class; cov(g) around the same global mean.
        var g = rows
        for c in Set(labels) {
            let members = rows.indices.filter { labels[$0] == c }
            let mc = Plain.mean(members.map { rows[$0] })
            for i in members { g[i] = mc }
        }
        let covG = Plain.scatter(g, around: m, dividedBy: n)
        let inv = Plain.inverse(covF)
        var trace = 0.0
        for i in 0..<m.count { for k in 0..<m.count { trace += inv[i][k] * covG[k][i] } }
        return trace
    }

    @Test func matchesGolden() throws {
        let golden = try MetricsAGolden.load()
        let cases = golden.cases(for: "hscore")
        #expect(!cases.isEmpty)
        for c in cases {
            let r = try HScore().score(golden.input(c.dataset))
            #expect(isClose(r.score, c.score, relative: goldenTolerance), "\(c.dataset): \(r.score) vs numpy \(c.score)")
            #expect(r.warnings.isEmpty)
        }
    }

    @Test(arguments: [(40, 3, 2, UInt64(1)), (80, 6, 4, UInt64(2)), (25, 8, 5, UInt64(3))])
    func bruteForce(n: Int, d: Int, classes: Int, seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: seed)
        let r = try HScore().score(makeInput(f, labels))
        let expected = Self.bruteForce(f, labels)
        #expect(isClose(r.score, expected, relative: 1e-9), "\(r.score) vs \(expected)")
    }

    @Test func invariantUnderInvertibleAffineMaps() throws {
        let (f, labels) = makeClassificationProblem(n: 70, d: 5, classes: 3, seed: 12)
        var rng = TestRandom(seed: 77)
        var a = rng.gaussianMatrix(rows: 5, columns: 5, scale: 0.3)
        for i in 0..<5 { a[i, i] += 1 } // well conditioned
        var mapped = try f.multiplied(by: a)
        for r in 0..<mapped.rows { for j in 0..<5 { mapped[r, j] += Double(j) * 10 - 3 } }
        let base = try HScore().score(makeInput(f, labels)).score
        let other = try HScore().score(makeInput(mapped, labels)).score
        #expect(isClose(base, other, relative: 1e-8), "\(base) vs \(other)")
    }

    @Test func singularCovarianceUsesPseudoInverseAndWarns() throws {
        let (f, labels) = makeClassificationProblem(n: 50, d: 4, classes: 3, seed: 9)
        // A duplicated column adds no information: the pseudo-inverse score is unchanged.
        let duplicated = Matrix(
            rows: f.rows, columns: 5,
            fillingRows: { r, row in
                for j in 0..<4 { row[j] = f[r, j] }
                row[4] = f[r, 0]
            })
        let base = try HScore().score(makeInput(f, labels))
        let dup = try HScore().score(makeInput(duplicated, labels))
        #expect(isClose(base.score, dup.score, relative: 1e-8), "\(base.score) vs \(dup.score)")
        #expect(dup.warnings.count == 1)
        #expect(dup.details["rank"] == 4)
        // More dimensions than samples: finite, with a warning.
        let (wide, wideLabels) = makeClassificationProblem(n: 12, d: 30, classes: 3, seed: 10)
        let r = try HScore().score(makeInput(wide, wideLabels))
        #expect(r.score.isFinite)
        #expect(!r.warnings.isEmpty)
    }

    @Test func contract() throws {
        try MetricContract.direction(HScore())
        try MetricContract.permutationAndRelabelling(HScore())
        try MetricContract.determinismAndInputsUnchanged(HScore())
        try MetricContract.badInputs(HScore())
        #expect(throws: MetricError.self) {
            let (f, labels) = makeClassificationProblem(n: 20, d: 2, classes: 2, seed: 1)
            return try HScore(relativeCutoff: -1).score(makeInput(f, labels))
        }
    }

    struct RegressionGolden: Decodable {
        struct Small: Decodable { let rows: Int, columns: Int, features: [Double], targets: [Double], hscore: Double }
        let real_one_target: [Double], real_two_targets: [Double], small: Small
    }

    static func regressionGolden() throws -> RegressionGolden {
        let url = try #require(Bundle.module.url(forResource: "hscore_regression_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(RegressionGolden.self, from: Data(contentsOf: url))
    }

    @Test("regression targets on real features with dead units match the direct NumPy computation (one and two target columns)")
    func regressionMatchesGolden() throws {
        let g = try Self.regressionGolden(), data = try RealFeatures.load()
        let digits = data.labels.map(Double.init)
        let one = try TargetEncoder.encode(values: digits, shape: [digits.count], task: .regression)
        let two = try TargetEncoder.encode(values: digits.flatMap { [$0, $0 * $0] }, shape: [digits.count, 2], task: .regression)
        for (i, model) in data.models.enumerated() {
            let a = try HScore().score(MetricInput(targets: one, features: model.matrix))
            #expect(isClose(a.score, g.real_one_target[i], relative: 1e-9), "\(model.name): \(a.score) vs \(g.real_one_target[i])")
            let b = try HScore().score(MetricInput(targets: two, features: model.matrix))
            #expect(isClose(b.score, g.real_two_targets[i], relative: 1e-9), "\(model.name): \(b.score) vs \(g.real_two_targets[i])")
            // Dead units and column order change nothing; neither does the targets' scale or offset.
            let zero = try HScore().score(MetricInput(targets: one, features: model.matrix.appendingZeroColumns(3).reversingColumns()))
            #expect(isClose(zero.score, a.score, relative: 1e-9))
            let moved = try TargetEncoder.encode(values: digits.map { 3 * $0 - 7 }, shape: [digits.count], task: .regression)
            #expect(isClose(try HScore().score(MetricInput(targets: moved, features: model.matrix)).score, a.score, relative: 1e-9))
        }
    }

    @Test("regression: features spanning the samples saturate at the number of targets, with a warning; bad targets are clear errors")
    func regressionEdges() throws {
        let g = try Self.regressionGolden().small
        let f = Matrix(rows: g.rows, columns: g.columns, storage: g.features)
        let targets = try TargetEncoder.encode(values: g.targets, shape: [g.rows], task: .regression)
        let r = try HScore().score(MetricInput(targets: targets, features: f))
        #expect(isClose(r.score, g.hscore, relative: 1e-9) && isClose(r.score, 1, relative: 1e-9))
        #expect(r.warnings.contains { $0.contains("cannot rank") })
        let constant = try TargetEncoder.encode(values: [Double](repeating: 2, count: g.rows), shape: [g.rows], task: .regression)
        #expect(throws: MetricError.self) { try HScore().score(MetricInput(targets: constant, features: f)) }
        let short = try TargetEncoder.encode(values: Array(g.targets.prefix(10)), shape: [10], task: .regression)
        #expect(throws: MetricError.self) { try HScore().score(MetricInput(targets: short, features: f)) }
        var bad = f
        bad[2, 3] = .infinity
        #expect(throws: MetricError.self) { try HScore().score(MetricInput(targets: targets, features: bad)) }
    }
}
