import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("GBC")
struct GBCTests {
    /// Spherical GBC is rotation invariant, so with all components kept it can be
    /// computed on the raw centred features, PCA-free, with explicit sums.
    static func bruteForceSpherical(_ f: Matrix, _ labels: [Int], floor: Double = 1e-4) -> Double {
        let rows = f.nestedRows
        let d = rows[0].count
        let classes = Array(Set(labels)).sorted()
        var means = [[Double]](), sigma = [Double]()
        for c in classes {
            let members = rows.indices.filter { labels[$0] == c }.map { rows[$0] }
            let mc = Plain.mean(members)
            means.append(mc)
            var total = 0.0
            for j in 0..<d {
                let v = members.reduce(0.0) { $0 + ($1[j] - mc[j]) * ($1[j] - mc[j]) } / Double(members.count)
                total += max(v, floor)
            }
            sigma.append(total / Double(d))
        }
        var sum = 0.0
        for i in classes.indices {
            for j in classes.indices where i != j {
                let avg = (sigma[i] + sigma[j]) / 2
                let dist2 = zip(means[i], means[j]).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                // det of avg·I_d over sqrt(det σ_i I_d · det σ_j I_d), in full.
                let db = dist2 / (8 * avg) + 0.5 * log(pow(avg, Double(d)) / (pow(sigma[i], Double(d)) * pow(sigma[j], Double(d))).squareRoot())
                sum += exp(-db)
            }
        }
        return -sum
    }

    @Test func matchesGolden() throws {
        let golden = try MetricsAGolden.load()
        let cases = golden.cases(for: "gbc")
        #expect(cases.count >= 8)
        for c in cases {
            let kind = try #require(GBC.Covariance(rawValue: c.params["covariance"]?.text ?? ""))
            let components = Int(c.params["components"]?.number ?? 64)
            let r = try GBC(components: components, covariance: kind).score(golden.input(c.dataset))
            #expect(isClose(r.score, c.score, relative: goldenTolerance), "\(c.dataset) \(kind) \(components): \(r.score) vs numpy \(c.score)")
            #expect(r.score <= 0)
        }
    }

    @Test(arguments: [(40, 3, 2, UInt64(1)), (60, 5, 4, UInt64(2))])
    func sphericalClosedForm(n: Int, d: Int, classes: Int, seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: seed, noise: 1.5)
        let r = try GBC(covariance: .spherical).score(makeInput(f, labels))
        let expected = Self.bruteForceSpherical(f, labels)
        #expect(isClose(r.score, expected, relative: 1e-9), "\(r.score) vs \(expected)")
    }

    /// One feature: PCA is ±identity, so the diagonal case is the 1-D formula.
    @Test func diagonalOneDimension() throws {
        let x: [Double] = [0.1, 0.4, -0.3, 0.2, 2.0, 2.5, 1.7, 2.2, 2.1]
        let labels = [0, 0, 0, 0, 1, 1, 1, 1, 1]
        let a = Array(x[0..<4]), b = Array(x[4...])
        func stats(_ v: [Double]) -> (Double, Double) {
            let m = v.reduce(0, +) / Double(v.count)
            return (m, max(v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count), 1e-4))
        }
        let (m1, v1) = stats(a), (m2, v2) = stats(b)
        let avg = (v1 + v2) / 2
        let db = (m1 - m2) * (m1 - m2) / (8 * avg) + 0.5 * log(avg / (v1 * v2).squareRoot())
        let r = try GBC().score(makeInput(Matrix(rows: 9, columns: 1, storage: x), labels))
        #expect(isClose(r.score, -2 * exp(-db), relative: 1e-12))
    }

    @Test func separationMovesTowardsZero() throws {
        // Scaling the class offsets up makes the classes separate: GBC rises to 0.
        var previous = -Double.infinity
        for spread in [0.2, 1.0, 10.0] {
            var rng = TestRandom(seed: 4)
            let labels = (0..<60).map { $0 % 3 }
            let f = Matrix(
                rows: 60, columns: 3,
                fillingRows: { r, row in
                    for j in 0..<3 { row[j] = (j == labels[r] ? spread : 0) + rng.normal() }
                })
            let s = try GBC().score(makeInput(f, labels)).score
            #expect(s > previous)
            #expect(s <= 0)
            previous = s
        }
        #expect(previous > -1e-3)
    }

    @Test func contract() throws {
        for metric in [GBC(), GBC(covariance: .spherical)] {
            try MetricContract.direction(metric)
            try MetricContract.permutationAndRelabelling(metric)
            try MetricContract.determinismAndInputsUnchanged(metric)
            // Constant features: every class is the floored Gaussian at one point, GBC = −C(C−1).
            try MetricContract.badInputs(metric, constantThrows: false)
        }
        let labels = (0..<30).map { $0 % 3 }
        let r = try GBC().score(makeInput(Matrix(rows: 30, columns: 3, repeating: 1), labels))
        #expect(isClose(r.score, -6, relative: 1e-12))
        #expect(throws: MetricError.self) { try GBC(components: 0).score(makeInput(Matrix(rows: 30, columns: 3, repeating: 1), labels)) }
    }
}
