import Foundation
import Linalg
import Testing
@testable import Ranking

@Suite("NCTI")
struct NCTITests {
    /// Two classes, shrinkage at its floor (unshrunk LDA, within-class covariance
    /// Σ_c (n_c/N) cov_c): every term has a closed form that is invariant
    /// under the PCA rotation, so it is computed on the raw features.
    static func bruteForceBinary(_ f: Matrix, _ labels: [Int]) -> (seli: Double, ncc: Double, vc: Double) {
        let rows = f.nestedRows
        let n = Double(rows.count), d = rows[0].count
        let m = Plain.mean(rows)
        var means = [[Double]](), priors = [Double]()
        var sw = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for c in [0, 1] {
            let members = rows.indices.filter { labels[$0] == c }.map { rows[$0] }
            let mc = Plain.mean(members)
            means.append(mc)
            priors.append(Double(members.count) / n)
            let sc = Plain.scatter(members, around: mc, dividedBy: n)
            for i in 0..<d { for j in 0..<d { sw[i][j] += sc[i][j] } }
        }
        let inv = Plain.inverse(sw)
        // The one discriminant direction, scaled to vᵀ S_W v = 1.
        var v = Plain.matVec(inv, zip(means[1], means[0]).map { $0 - $1 })
        let norm = Plain.dot(v, Plain.matVec(sw, v)).squareRoot()
        v = v.map { $0 / norm }
        let seli = rows.reduce(0.0) { acc, r in
            let p = Plain.dot(v, zip(r, m).map { $0 - $1 }); return acc + p * p
        }.squareRoot()
        let w = means.map { Plain.matVec(inv, $0) }
        var probs = [[Double]]()
        for r in rows {
            let logits = (0..<2).map { c in Plain.dot(r, w[c]) - 0.5 * Plain.dot(means[c], w[c]) + log(priors[c]) }
            let mx = logits.max()!
            let e = logits.map { exp($0 - mx) }
            probs.append(e.map { $0 / e.reduce(0, +) })
        }
        let ncc = rows.indices.reduce(0.0) { $0 + probs[$1][labels[$1]] } / n
        var nuclear = 0.0
        for c in [0, 1] {
            let p = rows.indices.filter { labels[$0] == c }.map { probs[$0] }
            // Singular values of an n_c x 2 matrix from its 2 x 2 Gram matrix, in closed form.
            let a = p.reduce(0.0) { $0 + $1[0] * $1[0] }, b = p.reduce(0.0) { $0 + $1[0] * $1[1] }, e = p.reduce(0.0) { $0 + $1[1] * $1[1] }
            let half = (a + e) / 2, disc = (half * half - (a * e - b * b)).squareRoot()
            nuclear += (half + disc).squareRoot() + max(half - disc, 0).squareRoot()
        }
        return (seli, ncc, log(nuclear))
    }

    @Test func matchesGolden() throws {
        let golden = try MetricsAGolden.load()
        let cases = golden.cases(for: "ncti")
        #expect(cases.count >= 4)
        var branches = Set<Bool>()
        for c in cases {
            let r = try NCTI().score(golden.input(c.dataset))
            for key in ["seli", "ncc", "vc"] {
                let mine = try #require(r.details[key]), theirs = try #require(c.details[key])
                #expect(isClose(mine, theirs, relative: goldenTolerance), "\(c.dataset) \(key): \(mine) vs sklearn \(theirs)")
            }
            let shrinkage = try #require(c.details["shrinkage"])
            #expect(isClose(r.details["shrinkage"] ?? .nan, shrinkage, relative: goldenTolerance, absolute: 1e-15))
            branches.insert(shrinkage > 0)
            #expect(isClose(r.score, c.score, relative: goldenTolerance))
        }
        #expect(branches == [true, false], "the fixtures cover both the shrunk and the unshrunk LDA")
    }

    @Test(arguments: [UInt64(1), UInt64(2)])
    func bruteForceBinary(seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: 40, d: 3, classes: 2, seed: seed, noise: 1.0)
        let big = Matrix(rows: f.rows, columns: f.columns, storage: f.storage.map { $0 * 6 }) // shrinkage at its floor
        let r = try NCTI().score(makeInput(big, labels))
        #expect(r.details["shrinkage"] == 0)
        let expected = Self.bruteForceBinary(big, labels)
        #expect(isClose(r.details["seli"] ?? .nan, expected.seli, relative: 1e-9), "\(r.details) vs \(expected)")
        #expect(isClose(r.details["ncc"] ?? .nan, expected.ncc, relative: 1e-9))
        #expect(isClose(r.details["vc"] ?? .nan, expected.vc, relative: 1e-9))
    }

    @Test func normalisationIsMinMaxPerTerm() {
        let raw = [(1.0, 0.5, 2.0), (3.0, 0.7, 2.5), (2.0, 0.9, 3.0)].map { s, n, v in
            MetricResult(
                score: s + n - v, details: ["seli": s, "ncc": n, "vc": v],
                warnings: ["ncti: the score is provisional until normalised across the candidate models"])
        }
        let out = NCTI().normalizeAcrossModels(raw)
        // seli' = [0, 1, .5], ncc' = [0, .5, 1], vc' = [0, .5, 1].
        let expected = [0.0 + 0 - 0, 1 + 0.5 - 0.5, 0.5 + 1 - 1]
        for (r, e) in zip(out, expected) {
            #expect(isClose(r.score, e, relative: 1e-15, absolute: 1e-15))
            #expect(r.warnings.isEmpty)
        }
        #expect(out[1].details["seli_normalized"] == 1)
        #expect(out[1].details["seli"] == 3)
    }

    @Test func normalisationWithoutRange() {
        let single = [MetricResult(score: 5, details: ["seli": 4, "ncc": 0.9, "vc": 1])]
        let out = NCTI().normalizeAcrossModels(single)
        #expect(out[0].score == 0)
        #expect(out[0].warnings.count == 3)
        #expect(!out[0].score.isNaN)
        // Results that did not come from `score` pass through.
        let foreign = [MetricResult(score: 2)]
        #expect(NCTI().normalizeAcrossModels(foreign) == foreign)
        #expect(NCTI().normalizeAcrossModels([]).isEmpty)
    }

    @Test func zooRanking() throws {
        let (good, labels) = makeClassificationProblem(n: 90, d: 8, classes: 3, seed: 41, noise: 0.3)
        let (medium, _) = makeClassificationProblem(n: 90, d: 8, classes: 3, seed: 41, noise: 1.5)
        var rng = TestRandom(seed: 5)
        let noise = rng.gaussianMatrix(rows: 90, columns: 8)
        let metric = NCTI()
        #expect(metric.isRelativeToZoo)
        let raw = try [good, medium, noise].map { try metric.score(makeInput($0, labels)) }
        let scores = metric.normalizeAcrossModels(raw).map(\.score)
        // The well-separated model ranks first. (Medium versus noise is not ordered by
        // NCTI: near-uniform posteriors of noise features have a small nuclear norm,
        // so its vc term is the lowest, which the min-max sum rewards.)
        #expect(scores[0] == scores.max() && scores[0] > scores[1] && scores[0] > scores[2], "\(scores) \(raw.map(\.details))")
        for s in scores { #expect(s >= -1 && s <= 2) }
    }

    @Test func contract() throws {
        try MetricContract.direction(NCTI())
        try MetricContract.permutationAndRelabelling(NCTI())
        try MetricContract.determinismAndInputsUnchanged(NCTI())
        try MetricContract.badInputs(NCTI())
        let (f, labels) = makeClassificationProblem(n: 20, d: 2, classes: 2, seed: 1)
        #expect(throws: MetricError.self) { try NCTI(components: 0).score(makeInput(f, labels)) }
    }
}
