import Foundation
import Linalg
import Testing
@testable import Ranking

/// Features with real but imperfect linear signal for `classes` classes.
func makeClassificationProblem(n: Int, d: Int, classes: Int, seed: UInt64, noise: Double = 1.0) -> (Matrix, [Int]) {
    var rng = TestRandom(seed: seed)
    let centers = rng.gaussianMatrix(rows: classes, columns: d)
    var labels = [Int]()
    var f = Matrix(rows: n, columns: d)
    for r in 0..<n {
        let c = r < classes ? r : rng.int(below: classes) // every class present
        labels.append(c)
        for j in 0..<d { f[r, j] = centers[c, j] + noise * rng.normal() }
    }
    return (f, labels)
}

@Suite("LogME against the brute-force evidence maximiser")
struct LogMEGoldenTests {
    @Test("classification, N > D", arguments: [(40, 8, 3, UInt64(1)), (120, 15, 5, UInt64(2)), (60, 30, 4, UInt64(3))])
    func classificationTall(n: Int, d: Int, classes: Int, seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: seed)
        let targets = try TargetEncoder.encodeClasses(labels)
        let fit = try LogME().fit(features: f, targets: targets)
        #expect(fit.route == .gram)
        for (k, column) in fit.columns.enumerated() {
            let reference = try #require(BruteForceEvidence.maximize(features: f, y: targets.matrix.column(k)))
            #expect(column.status == .converged)
            #expect(
                isClose(column.evidence, reference.evidencePerSample, relative: 1e-7),
                "column \(k): \(column.evidence) vs \(reference.evidencePerSample)")
            #expect(isClose(column.alpha, reference.alpha, relative: 1e-4))
            #expect(isClose(column.beta, reference.beta, relative: 1e-4))
        }
        let reference = try #require(BruteForceEvidence.score(features: f, targets: targets.matrix))
        #expect(isClose(fit.score, reference, relative: 1e-7))
    }

    @Test(
        "fewer samples than dimensions (thin SVD route), log-det over all D eigenvalues",
        arguments: [(20, 40, UInt64(12)), (12, 16, UInt64(18)), (15, 20, UInt64(17))])
    func classificationWide(n: Int, d: Int, seed: UInt64) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: 3, seed: seed)
        let targets = try TargetEncoder.encodeClasses(labels)
        let fit = try LogME().fit(features: f, targets: targets)
        #expect(fit.route == .svd)
        #expect(fit.rank == n)
        let sMax = try f.gram().symmetricEigen().values.last!
        var interior = 0
        for (k, column) in fit.columns.enumerated() {
            let y = targets.matrix.column(k)
            switch column.status {
            case .converged:
                interior += 1
                let reference = try #require(BruteForceEvidence.maximize(features: f, y: y))
                #expect(
                    isClose(column.evidence, reference.evidencePerSample, relative: 1e-7),
                    "column \(k): \(column.evidence) vs \(reference.evidencePerSample)")
            case .zeroRatioLimit:
                // The supremum is the lambda -> 0 limit: the brute-force profile approaches it.
                let near = BruteForceEvidence.profile(features: f, y: y, logLambda: log(1e-7 * sMax)).value / Double(n)
                #expect(isClose(column.evidence, near, relative: 1e-5), "column \(k): \(column.evidence) vs \(near)")
                #expect(BruteForceEvidence.maximize(features: f, y: y) == nil, "brute force found an interior maximum")
            default:
                Issue.record("column \(k): unexpected status \(column.status)")
            }
        }
        #expect(interior >= 2)
    }

    /// Random features with N < D: the profile of the evidence is flat as alpha/beta -> 0
    /// and higher there than anywhere inside, so the score is the closed-form limit.
    @Test("wide features whose evidence supremum is the alpha/beta -> 0 limit")
    func wideZeroRatioLimit() throws {
        // Random features with N < D often have a profile that is flat as alpha/beta -> 0
        // and higher there than anywhere inside. Find such a case among fixed seeds with
        // the brute force, then check that the score is the closed-form limit.
        let n = 12, d = 30
        let y = (0..<n).map { $0 % 3 == 0 ? 1.0 : 0.0 }
        var found: (Matrix, Double)?
        for seed in UInt64(100)..<UInt64(140) {
            var rng = TestRandom(seed: seed)
            let f = rng.gaussianMatrix(rows: n, columns: d)
            let sMax = try f.gram().symmetricEigen().values.last!
            let grid = stride(from: -7.0, through: 8.0, by: 0.5).map {
                BruteForceEvidence.profile(features: f, y: y, logLambda: log(sMax) + $0 * log(10)).value
            }
            let noiseOnly = Double(n) / 2 * log(Double(n) / y.reduce(0) { $0 + $1 * $1 }) - Double(n) / 2 * (1 + log(2 * .pi))
            if grid[0] >= grid.max()! - 1e-9, grid[0] > noiseOnly { found = (f, sMax); break }
        }
        let (f, sMax) = try #require(found, "no seed gave a boundary supremum")
        let fit = try LogME().fit(features: f, targets: TargetEncoder.encode(values: y, shape: [n], task: .regression))
        #expect(fit.columns[0].status == .zeroRatioLimit)
        let nearLimit = BruteForceEvidence.profile(features: f, y: y, logLambda: log(1e-7 * sMax)).value / Double(n)
        #expect(fit.score >= nearLimit - 1e-9)
        #expect(isClose(fit.score, nearLimit, relative: 1e-5), "\(fit.score) vs \(nearLimit)")
        #expect(fit.warnings.contains { $0.contains("alpha/beta -> 0") })
    }

    @Test("features that fit a column exactly with N > D: flagged and scored at the floor, finite")
    func exactFit() throws {
        var rng = TestRandom(seed: 15)
        let n = 30
        let labels = (0..<n).map { $0 % 2 }
        // Features: the one-hot label itself plus noise columns, so y is in the span of F.
        var f = rng.gaussianMatrix(rows: n, columns: 4)
        for r in 0..<n { f[r, 0] = Double(labels[r]); f[r, 1] = 1 - Double(labels[r]) }
        let fit = try LogME().fit(features: f, targets: TargetEncoder.encodeClasses(labels))
        #expect(fit.score.isFinite)
        #expect(fit.columns.allSatisfy { $0.status == .interpolates })
        #expect(fit.warnings.contains { $0.contains("no finite maximum") })
        // Exact-fit features outrank noisy ones.
        let (noisy, noisyLabels) = makeClassificationProblem(n: n, d: 4, classes: 2, seed: 16)
        #expect(fit.score > (try LogME().fit(features: noisy, targets: TargetEncoder.encodeClasses(noisyLabels))).score)
    }

    @Test("features without signal score at the alpha -> infinity limit")
    func noSignal() throws {
        // y orthogonal to every feature column: Fᵀy = 0.
        let f = Matrix([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [-1, -1]])
        let y = [1.0, 1, 1, 1, 1, 1]
        let fit = try LogME().fit(features: f, targets: TargetEncoder.encode(values: y, shape: [6], task: .regression))
        #expect(fit.columns[0].status == .noSignal)
        // Limit: N/2 log(N/yᵀy) - N/2 (1 + log 2π), per sample.
        #expect(isClose(fit.score, -0.5 * (1 + log(2 * .pi)), relative: 1e-12))
    }

    @Test("regression with several outputs")
    func regression() throws {
        var rng = TestRandom(seed: 5)
        let n = 50, d = 6, outputs = 3
        let f = rng.gaussianMatrix(rows: n, columns: d)
        let w = rng.gaussianMatrix(rows: d, columns: outputs)
        var y = try f.multiplied(by: w)
        for i in y.storage.indices { y.storage[i] += 0.5 * rng.normal() }
        let targets = try TargetEncoder.encode(values: y.storage, shape: [n, outputs], task: .regression)
        let fit = try LogME().fit(features: f, targets: targets)
        #expect(fit.columns.count == outputs)
        #expect(isClose(fit.score, try #require(BruteForceEvidence.score(features: f, targets: y)), relative: 1e-7))
    }

    @Test("multi-label")
    func multilabel() throws {
        var rng = TestRandom(seed: 8)
        let n = 45, d = 7, labels = 4
        let f = rng.gaussianMatrix(rows: n, columns: d)
        var y = Matrix(rows: n, columns: labels)
        for r in 0..<n { for j in 0..<labels { y[r, j] = (f[r, j] + 0.7 * rng.normal()) > 0 ? 1 : 0 } }
        let targets = try TargetEncoder.encode(values: y.storage, shape: [n, labels], task: .multilabel)
        let fit = try LogME().fit(features: f, targets: targets)
        #expect(isClose(fit.score, try #require(BruteForceEvidence.score(features: f, targets: y)), relative: 1e-7))
    }

    @Test("Gram route and SVD route agree where both apply")
    func routesAgree() throws {
        let (f, labels) = makeClassificationProblem(n: 30, d: 10, classes: 3, seed: 21)
        let targets = try TargetEncoder.encodeClasses(labels)
        let viaGram = try LogME().fit(features: f, targets: targets)
        var stats = LogMEStatistics(featureDimension: 10, targetCount: 3)
        try stats.accumulate(features: f, targets: targets.matrix)
        let viaStats = try LogME().fit(statistics: stats)
        #expect(isClose(viaGram.score, viaStats.score, relative: 1e-12))
    }
}

@Suite("LogME invariances")
struct LogMEInvarianceTests {
    /// An orthogonal matrix from Gram-Schmidt on a random square matrix.
    func randomOrthogonal(_ d: Int, seed: UInt64) -> Matrix {
        var rng = TestRandom(seed: seed)
        var q = [[Double]]()
        while q.count < d {
            var v = (0..<d).map { _ in rng.normal() }
            for u in q { let p = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }; v = zip(v, u).map { $0 - p * $1 } }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / norm })
        }
        return Matrix(q)
    }

    @Test("rotating the features leaves the score unchanged")
    func rotation() throws {
        for (n, d) in [(80, 12), (10, 25)] {
            let (f, labels) = makeClassificationProblem(n: n, d: d, classes: 3, seed: 31)
            let targets = try TargetEncoder.encodeClasses(labels)
            let rotated = try f.multiplied(by: randomOrthogonal(d, seed: 32))
            let a = try LogME().fit(features: f, targets: targets).score
            let b = try LogME().fit(features: rotated, targets: targets).score
            #expect(isClose(a, b, relative: 1e-9), "N=\(n), D=\(d): \(a) vs \(b)")
        }
    }

    @Test("scaling regression targets by c shifts the score by -log c")
    func targetScaling() throws {
        var rng = TestRandom(seed: 41)
        let f = rng.gaussianMatrix(rows: 60, columns: 5)
        let y = (0..<60).map { r in f[r, 0] - 2 * f[r, 3] + rng.normal() }
        let base = try LogME().fit(features: f, targets: TargetEncoder.encode(values: y, shape: [60], task: .regression)).score
        for c in [0.01, 3.0, 250.0] {
            let scaled = try LogME().fit(features: f, targets: TargetEncoder.encode(values: y.map { $0 * c }, shape: [60], task: .regression)).score
            #expect(isClose(scaled, base - log(c), relative: 1e-9), "c = \(c)")
        }
    }

    /// Duplicating every sample doubles FᵀF, Fᵀy, yᵀy and N. In terms of the original
    /// data's profile, the duplicated data's best evidence is
    ///   max over mu of  D/2 log mu + N log(N / R(mu)) - 1/2 logdet(mu I + FᵀF) - N (1 + log 2π)
    /// (mu = lambda/2), divided by 2N. This checks that prediction against the brute force.
    @Test("duplicating the samples changes the score as predicted")
    func duplication() throws {
        let (f, labels) = makeClassificationProblem(n: 30, d: 6, classes: 2, seed: 51)
        let targets = try TargetEncoder.encodeClasses(labels)
        let doubled = Matrix.verticallyStacked([f, f])
        let doubledTargets = try TargetEncoder.encodeClasses(labels + labels)
        let ours = try LogME().fit(features: doubled, targets: doubledTargets).score

        let n = Double(f.rows), d = Double(f.columns)
        var predicted = 0.0
        for k in 0..<targets.columnCount {
            let y = targets.matrix.column(k)
            func g(_ logMu: Double) -> Double {
                let mu = exp(logMu)
                // At beta = 1, alpha = mu: value = D/2 log mu - R/2 - 1/2 logdet(A) - N/2 log 2π, so
                // R and logdet(mu I + FᵀF) come out of the brute-force evaluator.
                let (v, m) = BruteForceEvidence.logEvidence(features: f, y: y, alpha: mu, beta: 1)
                var rss = 0.0
                for r in 0..<f.rows { let p = (0..<f.columns).reduce(0.0) { $0 + f[r, $1] * m[$1] }; rss += (y[r] - p) * (y[r] - p) }
                let r = rss + mu * m.reduce(0) { $0 + $1 * $1 }
                let logDet = -2 * (v - d / 2 * log(mu) + r / 2 + n / 2 * log(2 * .pi))
                return d / 2 * log(mu) + n * log(n / r) - 0.5 * logDet - n * (1 + log(2 * .pi))
            }
            var lo = -20.0, hi = 20.0
            let grid = stride(from: lo, through: hi, by: 0.25).map { $0 }
            let best = grid.indices.max { g(grid[$0]) < g(grid[$1]) }!
            lo = grid[best - 1]; hi = grid[best + 1]
            while hi - lo > 1e-10 {
                let a = lo + (hi - lo) / 3, b = hi - (hi - lo) / 3
                if g(a) < g(b) { lo = a } else { hi = b }
            }
            predicted += g((lo + hi) / 2) / (2 * n)
        }
        predicted /= Double(targets.columnCount)
        #expect(isClose(ours, predicted, relative: 1e-7), "\(ours) vs \(predicted)")
        // And it is not simply the original score.
        let original = try LogME().fit(features: f, targets: targets).score
        #expect(!isClose(ours, original, relative: 1e-6))
    }

    @Test("permuting samples leaves the score unchanged")
    func permutation() throws {
        let (f, labels) = makeClassificationProblem(n: 50, d: 8, classes: 4, seed: 61)
        var rng = TestRandom(seed: 62)
        var order = Array(0..<50)
        for i in stride(from: 49, to: 0, by: -1) { order.swapAt(i, rng.int(below: i + 1)) }
        let a = try LogME().fit(features: f, targets: TargetEncoder.encodeClasses(labels)).score
        let b = try LogME().fit(features: f.rows(at: order), targets: TargetEncoder.encodeClasses(order.map { labels[$0] })).score
        #expect(isClose(a, b, relative: 1e-10))
    }
}

@Suite("LogME sufficient statistics, chunks and the fitted model")
struct LogMEStatisticsTests {
    @Test("chunked accumulation and merged shards equal the whole")
    func mergedShards() throws {
        let (f, labels) = makeClassificationProblem(n: 300, d: 20, classes: 5, seed: 71)
        let targets = try TargetEncoder.encodeClasses(labels)
        let whole = try LogME().fit(features: f, targets: targets).score
        var chunked = LogMEStatistics(featureDimension: 20, targetCount: 5)
        for start in stride(from: 0, to: 300, by: 7) {
            let range = start..<min(300, start + 7)
            try chunked.accumulate(
                features: f.rows(range), targets: targets.matrix.rows(range),
                classIndices: Array(targets.encodedLabels[range]), rowOffset: start)
        }
        #expect(isClose(whole, try LogME().fit(statistics: chunked).score, relative: 1e-10))
        var merged = LogMEStatistics(featureDimension: 20, targetCount: 5)
        for range in [0..<100, 100..<101, 101..<300] {
            var shard = LogMEStatistics(featureDimension: 20, targetCount: 5)
            try shard.accumulate(features: f.rows(range), targets: targets.matrix.rows(range)) // dense route for YᵀF
            try merged.merge(shard)
        }
        #expect(merged.sampleCount == 300)
        #expect(isClose(try LogME().fit(statistics: merged).score, whole, relative: 1e-10))
    }

    @Test("posterior predictive mean and variance match the explicit posterior")
    func predictive() throws {
        let (f, labels) = makeClassificationProblem(n: 40, d: 5, classes: 2, seed: 81)
        let targets = try TargetEncoder.encodeClasses(labels)
        let fit = try LogME().fit(features: f, targets: targets)
        var rng = TestRandom(seed: 82)
        let queries = rng.gaussianMatrix(rows: 4, columns: 5)
        let (mean, variance) = try fit.predict(queries)
        for (k, column) in fit.columns.enumerated() {
            let (_, m) = BruteForceEvidence.logEvidence(features: f, y: targets.matrix.column(k), alpha: column.alpha, beta: column.beta)
            // A = alpha I + beta FᵀF, explicitly.
            var a = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
            for i in 0..<5 {
                for j in 0..<5 {
                    a[i][j] = column.beta * (0..<40).reduce(0.0) { $0 + f[$1, i] * f[$1, j] } + (i == j ? column.alpha : 0)
                }
            }
            let l = BruteForceEvidence.cholesky(a)
            for q in 0..<4 {
                let x = queries.row(q)
                let expectedMean = zip(x, m).reduce(0) { $0 + $1.0 * $1.1 }
                let solved = BruteForceEvidence.choleskySolve(l, x)
                let expectedVariance = 1 / column.beta + zip(x, solved).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(isClose(mean[q, k], expectedMean, relative: 1e-9, absolute: 1e-12))
                #expect(isClose(variance[q, k], expectedVariance, relative: 1e-9))
            }
            // The posterior mean row matches too.
            for j in 0..<5 { #expect(isClose(fit.posteriorMean[k, j], m[j], relative: 1e-8, absolute: 1e-12)) }
        }
        #expect(throws: RankingError.dimensionMismatch(expected: 5, found: 3)) { try fit.predict(Matrix(rows: 1, columns: 3)) }
    }

    @Test("wide posterior predictive includes the null-space prior variance")
    func predictiveWide() throws {
        let (f, labels) = makeClassificationProblem(n: 12, d: 16, classes: 3, seed: 18)
        let fit = try LogME().fit(features: f, targets: TargetEncoder.encodeClasses(labels))
        var rng = TestRandom(seed: 84)
        let query = rng.gaussianMatrix(rows: 1, columns: 16)
        let (_, variance) = try fit.predict(query)
        #expect(fit.columns.filter { $0.status == .converged }.count >= 2)
        for (k, column) in fit.columns.enumerated() where column.status == .converged {
            var a = [[Double]](repeating: [Double](repeating: 0, count: 16), count: 16)
            for i in 0..<16 {
                for j in 0..<16 {
                    a[i][j] = column.beta * (0..<12).reduce(0.0) { $0 + f[$1, i] * f[$1, j] } + (i == j ? column.alpha : 0)
                }
            }
            let x = query.row(0)
            let solved = BruteForceEvidence.choleskySolve(BruteForceEvidence.cholesky(a), x)
            #expect(isClose(variance[0, k], 1 / column.beta + zip(x, solved).reduce(0) { $0 + $1.0 * $1.1 }, relative: 1e-8))
        }
    }
}
