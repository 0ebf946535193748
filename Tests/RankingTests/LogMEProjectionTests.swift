import Foundation
import Linalg
import Testing
@testable import Ranking

/// `LogMEFit.projectedScore`: LogME on n samples moved to another sample count by its
/// Occam term (the only part of LogME's expected evidence per sample that depends on
/// the count).
@Suite("LogME projected to another sample count")
struct LogMEProjectionTests {
    /// Gram matrix FᵀF by plain loops (an independent route from the fit's BLAS one).
    static func gram(_ f: Matrix) -> Matrix {
        var g = Matrix(rows: f.columns, columns: f.columns)
        for i in 0..<f.columns {
            for j in 0..<f.columns {
                var s = 0.0
                for r in 0..<f.rows { s += f[r, i] * f[r, j] }
                g[i, j] = s
            }
        }
        return g
    }

    /// log det(I + c G) by Cholesky.
    static func logDetIdentityPlus(_ c: Double, _ g: Matrix) throws -> Double {
        var a = Matrix(rows: g.rows, columns: g.columns)
        for i in 0..<g.rows { for j in 0..<g.columns { a[i, j] = (i == j ? 1 : 0) + c * g[i, j] } }
        return try a.logDeterminantPositiveDefinite()
    }

    @Test("projected to the fit's own sample count, the score is unchanged")
    func sameCount() throws {
        let (f, labels) = makeClassificationProblem(n: 80, d: 12, classes: 4, seed: 7)
        let fit = try LogME().fit(features: f, targets: try TargetEncoder.encodeClasses(labels))
        #expect(fit.projectedScore(samples: 80) == fit.score)
    }

    @Test("the Occam terms equal log det(I + beta/alpha FᵀF) computed directly, N > D and N < D", arguments: [(60, 12), (20, 30)])
    func closedForm(n: Int, d: Int) throws {
        let (f, labels) = makeClassificationProblem(n: n, d: d, classes: 3, seed: 11)
        let fit = try LogME().fit(features: f, targets: try TargetEncoder.encodeClasses(labels))
        let g = Self.gram(f)
        let target = 1000
        var total = 0.0
        for column in fit.columns {
            let ratio = column.beta / column.alpha
            let expected =
                column.evidence + (try Self.logDetIdentityPlus(ratio, g)) / (2 * Double(n))
                - (try Self.logDetIdentityPlus(ratio * Double(target) / Double(n), g)) / (2 * Double(target))
            #expect(isClose(fit.projectedEvidence(column, samples: target), expected, relative: 1e-8), "\(column.name)")
            total += expected
        }
        #expect(isClose(fit.projectedScore(samples: target), total / Double(fit.columns.count), relative: 1e-8))
        // more samples, a smaller Occam term per sample: the projection rises with the count
        #expect(fit.projectedScore(samples: target) > fit.score)
        #expect(fit.projectedScore(samples: 2 * target) > fit.projectedScore(samples: target))
    }

    @Test("from a fifth of the samples, the projection lands closer to LogME on all of them than the subset's score, on every seed")
    func syntheticDrift() throws {
        for seed in UInt64(1)...UInt64(5) {
            let (f, labels) = makeClassificationProblem(n: 1000, d: 24, classes: 5, seed: seed, noise: 2.0)
            let full = try LogME().fit(features: f, targets: try TargetEncoder.encodeClasses(labels)).score
            let sub = Array(0..<200)
            let fit = try LogME().fit(features: f.rows(at: sub), targets: try TargetEncoder.encodeClasses(sub.map { labels[$0] }))
            let raw = abs(full - fit.score), projected = abs(full - fit.projectedScore(samples: 1000))
            #expect(projected < raw / 2, "seed \(seed): subset off by \(raw), projection by \(projected)")
        }
    }

    /// 150 samples of 10 classes: the half has 7-8 per class, so the projection's own
    /// approximation (the spectrum of 75 samples) shows; it still removes a large part
    /// of the drift (measured: mean error 0.052 against 0.091).
    @Test("real features with dead units: from half the samples, the projection is closer to the full-data LogME than the half's score")
    func realFeatures() throws {
        let data = try RealFeatures.load()
        let half = Array(stride(from: 0, to: data.labels.count, by: 2))
        var rawError = 0.0, projectedError = 0.0
        for model in data.models {
            let f = model.matrix
            let full = try LogME().fit(features: f, targets: try TargetEncoder.encodeClasses(data.labels)).score
            let fit = try LogME().fit(features: f.rows(at: half), targets: try TargetEncoder.encodeClasses(half.map { data.labels[$0] }))
            let projected = fit.projectedScore(samples: data.labels.count)
            #expect(projected.isFinite)
            rawError += abs(full - fit.score)
            projectedError += abs(full - projected)
        }
        #expect(projectedError < 0.75 * rawError, "mean error: subset \(rawError / 4), projection \(projectedError / 4)")
    }
}
