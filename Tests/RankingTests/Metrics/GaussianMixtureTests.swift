import Foundation
import Testing
import Linalg
@testable import Ranking

/// Well-separated Gaussian clusters: centres `separation` apart on the axes.
func separatedClusters(n: Int, d: Int, clusters: Int, separation: Double, seed: UInt64) -> (Matrix, [Int], Matrix) {
    var rng = TestRandom(seed: seed)
    var centres = Matrix(rows: clusters, columns: d)
    for c in 0..<clusters { centres[c, c % d] = separation * Double(1 + c / d) }
    var x = Matrix(rows: n, columns: d)
    var labels = [Int]()
    for r in 0..<n {
        let c = r % clusters
        labels.append(c)
        for j in 0..<d { x[r, j] = centres[c, j] + rng.normal() }
    }
    return (x, labels, centres)
}

@Suite("Gaussian mixture (EM)")
struct GaussianMixtureTests {
    @Test("the mean log-likelihood never decreases across EM iterations")
    func monotone() throws {
        var rng = TestRandom(seed: 41)
        let x = rng.gaussianMatrix(rows: 150, columns: 3)
        let mixture = GaussianMixture(components: 4, tolerance: 0, maxIterations: 40, seed: 1)
        let fit = try mixture.fit(x)
        #expect(fit.lowerBounds.count == 40)
        for (a, b) in zip(fit.lowerBounds, fit.lowerBounds.dropFirst()) {
            #expect(b >= a - 1e-10 * abs(a), "\(a) -> \(b)")
        }
        #expect(fit.meanLogLikelihood >= (fit.lowerBounds.last ?? 0) - 1e-10)
    }

    @Test("monotone too when components are low-rank (few samples in a high dimension)")
    func monotoneLowRank() throws {
        let (x, _) = makeClassificationProblem(n: 64, d: 40, classes: 4, seed: 45, noise: 1)
        let mixture = GaussianMixture(components: 8, tolerance: 0, maxIterations: 15, seed: 3)
        let fit = try mixture.fit(x)
        #expect(fit.lowerBounds.count == 15)
        for (a, b) in zip(fit.lowerBounds, fit.lowerBounds.dropFirst()) {
            #expect(b >= a - 1e-9 * abs(a), "\(a) -> \(b)")
        }
        #expect(fit.parameters.factors.contains { $0 != nil })
        #expect(fit.responsibilities.storage.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
    }

    @Test("recovers well-separated clusters")
    func recovers() throws {
        let (x, labels, centres) = separatedClusters(n: 240, d: 3, clusters: 4, separation: 12, seed: 42)
        let fit = try GaussianMixture(components: 4, seed: 7).fit(x)
        #expect(fit.converged)
        // Every true cluster maps to exactly one component, through the posteriors.
        var mapping = [Int: Int]()
        for (i, y) in labels.enumerated() {
            let row = fit.responsibilities.row(i)
            let k = row.indices.max { row[$0] < row[$1] } ?? 0
            #expect(row[k] > 0.999)
            if let m = mapping[y] { #expect(m == k) } else { mapping[y] = k }
        }
        #expect(Set(mapping.values).count == 4)
        for (y, k) in mapping {
            for j in 0..<3 { #expect(abs(fit.parameters.means[k, j] - centres[y, j]) < 0.4) }
            #expect(abs(fit.parameters.weights[k] - 0.25) < 1e-6)
            for j in 0..<3 { #expect(abs(fit.parameters.covariances[k][j, j] - 1) < 0.4) }
        }
        let sum = fit.responsibilities.storage.reduce(0, +)
        #expect(isClose(sum, 240, relative: 1e-12))
    }

    @Test("agrees with scikit-learn's GaussianMixture from the same initial parameters")
    func sklearn() throws {
        let g = try MetricsBGolden.section("gmm")
        let n = try g.int("n"), d = try g.int("d"), k = try g.int("k")
        let x = try g.matrix("x", rows: n, columns: d)
        let covs = try g.doubles("covariances_init")
        let initial = GaussianMixture.Parameters(
            weights: try g.doubles("weights_init"), means: try g.matrix("means_init", rows: k, columns: d),
            covariances: (0..<k).map { Matrix(rows: d, columns: d, storage: Array(covs[($0 * d * d)..<(($0 + 1) * d * d)])) })
        // The covariance cut-off is off so the arithmetic is scikit-learn's exactly.
        let fit = try GaussianMixture(components: k, responsibilityCutoff: 0).fit(x, initial: initial)
        #expect(fit.iterations == (try g.int("n_iter")))
        #expect(fit.converged == (g["converged"] as? Bool))
        #expect(isClose(fit.lowerBounds.last ?? .nan, try g.double("lower_bound"), relative: 1e-9))
        #expect(isClose(fit.meanLogLikelihood, try g.double("score"), relative: 1e-9))
        for (a, b) in zip(fit.parameters.weights, try g.doubles("weights")) { #expect(abs(a - b) < 1e-8) }
        for (a, b) in zip(fit.parameters.means.storage, try g.doubles("means")) { #expect(abs(a - b) < 1e-7) }
        for (a, b) in zip(fit.parameters.covariances.flatMap(\.storage), try g.doubles("covariances")) { #expect(abs(a - b) < 1e-7) }
        for (a, b) in zip(fit.responsibilities.storage, try g.doubles("predict_proba")) { #expect(abs(a - b) < 1e-7) }
        // And the default cut-off changes nothing at this precision.
        let pruned = try GaussianMixture(components: k).fit(x, initial: initial)
        for (a, b) in zip(pruned.responsibilities.storage, fit.responsibilities.storage) { #expect(abs(a - b) < 1e-9) }
    }

    @Test("seeded: the same seed gives the same fit")
    func deterministic() throws {
        var rng = TestRandom(seed: 43)
        let x = rng.gaussianMatrix(rows: 80, columns: 2)
        let a = try GaussianMixture(components: 3, seed: 5).fit(x)
        let b = try GaussianMixture(components: 3, seed: 5).fit(x)
        #expect(a.parameters == b.parameters)
        #expect(a.responsibilities == b.responsibilities)
    }

    @Test("E-step log-densities match a direct evaluation")
    func density() throws {
        let params = GaussianMixture.Parameters(
            weights: [0.3, 0.7], means: Matrix([[0, 0], [1, 2]]),
            covariances: [Matrix([[2, 0.5], [0.5, 1]]), Matrix([[1, 0], [0, 3]])])
        let x = Matrix([[0.5, -1], [2, 2]])
        let logp = try GaussianMixture(components: 2).weightedLogDensities(x, params)
        for i in 0..<2 {
            for k in 0..<2 {
                let c = params.covariances[k]
                let det = c[0, 0] * c[1, 1] - c[0, 1] * c[1, 0]
                let dx = x[i, 0] - params.means[k, 0], dy = x[i, 1] - params.means[k, 1]
                let q = (c[1, 1] * dx * dx - 2 * c[0, 1] * dx * dy + c[0, 0] * dy * dy) / det
                let expected = log(params.weights[k]) - log(2 * Double.pi) - 0.5 * log(det) - 0.5 * q
                #expect(isClose(logp[i, k], expected, relative: 1e-13))
            }
        }
    }

    @Test("the low-rank E-step equals the Cholesky E-step for few-sample components")
    func lowRank() throws {
        // 40 samples in 30 dimensions, 8 components: about 5 samples per component,
        // so every covariance is a rank-5 scatter plus the ridge.
        var rng = TestRandom(seed: 44)
        let x = rng.gaussianMatrix(rows: 40, columns: 30)
        let mixture = GaussianMixture(components: 8, seed: 2)
        var resp = Matrix(rows: 40, columns: 8)
        for i in 0..<40 { resp[i, i % 8] = 1 }
        let structured = try mixture.mStep(x, responsibilities: resp)
        #expect(structured.factors.allSatisfy { $0 != nil })
        let dense = GaussianMixture.Parameters(
            weights: structured.weights, means: structured.means,
            covariances: structured.covariances)
        let a = try mixture.weightedLogDensities(x, structured)
        let b = try mixture.weightedLogDensities(x, dense)
        for (u, v) in zip(a.storage, b.storage) { #expect(isClose(u, v, relative: 1e-7), "\(u) vs \(v)") }
        // And the posteriors agree.
        let pa = try mixture.eStep(x, structured).responsibilities, pb = try mixture.eStep(x, dense).responsibilities
        for (u, v) in zip(pa.storage, pb.storage) { #expect(abs(u - v) < 1e-9) }
    }

    @Test("too few samples and bad settings are errors")
    func errors() throws {
        let x = Matrix([[0, 1], [1, 0]])
        #expect(throws: GaussianMixture.Failure.tooFewSamples(samples: 2, components: 3)) { try GaussianMixture(components: 3).fit(x) }
        #expect(throws: GaussianMixture.Failure.self) { try GaussianMixture(components: 0).fit(x) }
    }
}
