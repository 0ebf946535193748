import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("SFDA")
struct SFDATests {
    /// The two-pass SFDA written out with explicit loops, a Gauss-Jordan inverse
    /// (all discriminant directions: V Vᵀ = S̃_W⁻¹) and the reference's power method.
    static func bruteForce(_ f: Matrix, _ labels: [Int]) -> (score: Double, shrinkage: Double) {
        let classes = Array(Set(labels)).sorted()
        let n = Double(labels.count)
        func shrink(_ s: [[Double]], _ lam: Double) -> [[Double]] {
            let d = s.count
            let mu = (0..<d).reduce(0.0) { $0 + s[$1][$1] } / Double(d)
            return (0..<d).map { i in (0..<d).map { j in (1 - lam) * s[i][j] + (i == j ? lam * mu : 0) } }
        }
        func pass(_ x: [[Double]], _ fixed: Double?) -> (probs: [[Double]], lam: Double, means: [[Double]]) {
            let d = x[0].count
            var means = [[Double]](), priors = [Double]()
            var sw = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for c in classes {
                let members = x.indices.filter { labels[$0] == c }.map { x[$0] }
                let mc = Plain.mean(members)
                means.append(mc)
                priors.append(Double(members.count) / n)
                let sc = Plain.scatter(members, around: mc, dividedBy: n)
                for i in 0..<d { for j in 0..<d { sw[i][j] += sc[i][j] } }
            }
            var lam = fixed ?? 0
            if fixed == nil {
                var v = sw.map { $0.reduce(0, +) }, y = v
                for _ in 0..<3 {
                    var t = Plain.matVec(sw, v)
                    y = t.map { $0 / Plain.dot(t, t).squareRoot() }
                    t = Plain.matVec(sw, y)
                    v = t.map { $0 / Plain.dot(t, t).squareRoot() }
                }
                lam = max(exp(-5 * Plain.dot(v, Plain.matVec(sw, y))), 1e-10)
            }
            let inv = Plain.inverse(shrink(sw, lam))
            let w = means.map { Plain.matVec(inv, $0) }
            let probs = x.map { row -> [Double] in
                let logits = classes.indices.map { c in Plain.dot(row, w[c]) - 0.5 * Plain.dot(means[c], w[c]) + log(priors[c]) }
                let mx = logits.max()!
                let e = logits.map { exp($0 - mx) }
                let s = e.reduce(0, +)
                return e.map { $0 / s }
            }
            return (probs, lam, means)
        }
        let x = f.nestedRows
        let first = pass(x, nil)
        let d = x[0].count
        var mixed = x
        for (i, row) in x.enumerated() {
            let c = classes.firstIndex(of: labels[i])!
            let logits = first.probs[i]
            let mx = logits.max()!
            let e = logits.map { exp($0 - mx) }
            let p = e[c] / e.reduce(0, +)
            let other = (0..<d).map { j in (first.means.reduce(0.0) { $0 + $1[j] } - first.means[c][j]) / Double(classes.count - 1) }
            mixed[i] = (0..<d).map { j in p * row[j] + (1 - p) * other[j] }
        }
        let second = pass(mixed, first.lam)
        let score = labels.indices.reduce(0.0) { $0 + second.probs[$1][classes.firstIndex(of: labels[$1])!] } / n
        return (score, first.lam)
    }

    @Test func matchesGolden() throws {
        let golden = try MetricsAGolden.load()
        let cases = golden.cases(for: "sfda")
        #expect(cases.count >= 4)
        for c in cases {
            let components = c.params["discriminantComponents"]?.number.map { Int($0) }
            let r = try SFDA(discriminantComponents: components).score(golden.input(c.dataset))
            #expect(
                isClose(r.score, c.score, relative: goldenTolerance), "\(c.dataset) \(String(describing: components)): \(r.score) vs numpy \(c.score)"
            )
            #expect(isClose(r.details["shrinkage"] ?? .nan, c.details["shrinkage"] ?? 0, relative: goldenTolerance))
        }
    }

    @Test(arguments: [(40, 3, 2, UInt64(1)), (60, 5, 4, UInt64(2)), (45, 4, 3, UInt64(3))])
    func bruteForce(n: Int, d: Int, classes: Int, seed: UInt64) throws {
        // Small variances keep λ away from its floor so the shrinkage matters.
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: seed, noise: 0.3)
        let scaled = Matrix(rows: f.rows, columns: f.columns, storage: f.storage.map { $0 * 0.4 })
        for x in [f, scaled] {
            let r = try SFDA().score(makeInput(x, labels))
            let expected = Self.bruteForce(x, labels)
            #expect(isClose(r.score, expected.score, relative: 1e-9), "\(r.score) vs \(expected.score)")
            #expect(isClose(r.details["shrinkage"] ?? .nan, expected.shrinkage, relative: 1e-9))
        }
    }

    /// Keeping all D directions of the generalised eigenproblem (Cholesky reduction)
    /// gives the same classifier as the direct solve with S̃_W.
    @Test func eigenPathMatchesSolvePath() throws {
        let (f, labels) = makeClassificationProblem(n: 70, d: 6, classes: 4, seed: 17, noise: 0.8)
        let solve = try SFDA().score(makeInput(f, labels))
        let eigen = try SFDA(discriminantComponents: 6).score(makeInput(f, labels))
        #expect(isClose(solve.score, eigen.score, relative: 1e-9), "\(solve.score) vs \(eigen.score)")
        let fewer = try SFDA(discriminantComponents: 2).score(makeInput(f, labels))
        #expect(fewer.score.isFinite && fewer.score != solve.score)
    }

    @Test func exactEigenvalueOption() throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 4, classes: 3, seed: 6, noise: 0.2)
        let power = try SFDA().score(makeInput(f, labels))
        let exact = try SFDA(powerIterations: nil).score(makeInput(f, labels))
        let lp = try #require(power.details["shrinkage"]), le = try #require(exact.details["shrinkage"])
        // Three power steps never overestimate σ_max, so their λ is at least the exact
        // one; with close top eigenvalues (as here) it is visibly larger.
        #expect(lp >= le * (1 - 1e-12), "\(lp) vs \(le)")
        #expect(le > 0 && lp <= 1)
    }

    @Test func inputUnchanged() throws {
        try MetricContract.determinismAndInputsUnchanged(SFDA())
        let (f, labels) = makeClassificationProblem(n: 40, d: 3, classes: 2, seed: 2)
        let input = try makeInput(f, labels)
        let before = input.analysis?.classStatistics(labels: input.targets.encodedLabels, classCount: 2).means
        _ = try SFDA().score(input)
        #expect(input.features == f)
        #expect(input.analysis?.features == f)
        #expect(input.analysis?.classStatistics(labels: input.targets.encodedLabels, classCount: 2).means == before)
    }

    @Test func contract() throws {
        try MetricContract.direction(SFDA())
        try MetricContract.permutationAndRelabelling(SFDA())
        try MetricContract.badInputs(SFDA())
        let (f, labels) = makeClassificationProblem(n: 20, d: 2, classes: 2, seed: 1)
        #expect(throws: MetricError.self) { try SFDA(powerIterations: 0).score(makeInput(f, labels)) }
        #expect(throws: MetricError.self) { try SFDA(discriminantComponents: 0).score(makeInput(f, labels)) }
    }
}
