import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("Shrinkage H-score")
struct ShrinkageHScoreTests {
    /// Ledoit-Wolf by its definition (explicit sums) and the regularised H-score
    /// with a Gauss-Jordan inverse.
    static func bruteForce(_ f: Matrix, _ labels: [Int]) -> (score: Double, shrinkage: Double) {
        let rows = f.nestedRows
        let n = Double(rows.count), d = rows[0].count
        let m = Plain.mean(rows)
        let s = Plain.scatter(rows, around: m, dividedBy: n)
        let mu = (0..<d).reduce(0.0) { $0 + s[$1][$1] } / Double(d)
        var deltaSum = 0.0
        for i in 0..<d { for j in 0..<d { let v = s[i][j] - (i == j ? mu : 0); deltaSum += v * v } }
        let delta = deltaSum / Double(d)
        // β = (1/(D N²)) Σ_i ‖x_i x_iᵀ − S‖²_F, written out as scikit-learn simplifies it.
        var fourth = 0.0, frob = 0.0
        for r in rows { let sq = zip(r, m).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }; fourth += sq * sq }
        for i in 0..<d { for j in 0..<d { frob += s[i][j] * s[i][j] } }
        let beta = min((fourth / n - frob) / (Double(d) * n), delta)
        let alpha = beta / delta
        var shrunk = s.map { $0.map { (1 - alpha) * $0 } }
        for i in 0..<d { shrunk[i][i] += alpha * mu }
        var g = rows
        for c in Set(labels) {
            let members = rows.indices.filter { labels[$0] == c }
            let mc = Plain.mean(members.map { rows[$0] })
            for i in members { g[i] = mc }
        }
        let covG = Plain.scatter(g, around: m, dividedBy: n)
        let inv = Plain.inverse(shrunk)
        var trace = 0.0
        for i in 0..<d { for k in 0..<d { trace += inv[i][k] * covG[k][i] } }
        return ((1 - alpha) * trace, alpha)
    }

    @Test func matchesGolden() throws {
        let golden = try MetricsAGolden.load()
        let cases = golden.cases(for: "hscore_shrinkage")
        #expect(!cases.isEmpty)
        for c in cases {
            let input = try golden.input(c.dataset)
            let r = try ShrinkageHScore().score(input)
            #expect(isClose(r.score, c.score, relative: goldenTolerance), "\(c.dataset): \(r.score) vs sklearn \(c.score)")
            #expect(isClose(r.details["shrinkage"] ?? .nan, c.details["shrinkage"] ?? 0, relative: goldenTolerance))
            // The authors' code divides cov(E[f|y]) by N − 1: documented factor N/(N − 1).
            let n = Double(input.targets.sampleCount)
            let reference = try #require(c.details["reference_score"])
            #expect(isClose(r.score * n / (n - 1), reference, relative: goldenTolerance))
        }
    }

    @Test(arguments: [(40, 3, 2, UInt64(1)), (30, 10, 3, UInt64(2)), (12, 20, 3, UInt64(3))])
    func bruteForce(n: Int, d: Int, classes: Int, seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: seed)
        let r = try ShrinkageHScore().score(makeInput(f, labels))
        let expected = Self.bruteForce(f, labels)
        #expect(isClose(r.score, expected.score, relative: 1e-9), "\(r.score) vs \(expected.score)")
        #expect(isClose(r.details["shrinkage"] ?? .nan, expected.shrinkage, relative: 1e-9))
        let alpha = try #require(r.details["shrinkage"])
        #expect(alpha >= 0 && alpha <= 1)
    }

    @Test func invariantUnderRotationAndScale() throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 4, classes: 3, seed: 31)
        // Householder reflection I − 2vvᵀ/‖v‖², times 3.
        let v = [1.0, -2.0, 0.5, 3.0]
        let vv = Plain.dot(v, v)
        let h = Matrix(
            rows: 4, columns: 4,
            fillingRows: { i, row in
                for j in 0..<4 { row[j] = 3 * ((i == j ? 1 : 0) - 2 * v[i] * v[j] / vv) }
            })
        let base = try ShrinkageHScore().score(makeInput(f, labels))
        let other = try ShrinkageHScore().score(makeInput(try f.multiplied(by: h), labels))
        #expect(isClose(base.score, other.score, relative: 1e-9))
        #expect(isClose(base.details["shrinkage"] ?? 0, other.details["shrinkage"] ?? 1, relative: 1e-9))
    }

    @Test func contract() throws {
        try MetricContract.direction(ShrinkageHScore())
        try MetricContract.permutationAndRelabelling(ShrinkageHScore())
        try MetricContract.determinismAndInputsUnchanged(ShrinkageHScore())
        try MetricContract.badInputs(ShrinkageHScore())
    }
}
