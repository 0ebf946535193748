import Foundation
import Testing
import Linalg
@testable import Ranking

/// Spearman's correlation written plainly: tie-averaged ranks, then Pearson.
func plainSpearman(_ a: [Double], _ b: [Double]) -> Double {
    func ranks(_ v: [Double]) -> [Double] {
        var r = [Double](repeating: 0, count: v.count)
        for i in v.indices {
            let below = v.filter { $0 < v[i] }.count
            let equal = v.filter { $0 == v[i] }.count
            r[i] = Double(below) + Double(equal + 1) / 2
        }
        return r
    }
    let x = ranks(a), y = ranks(b)
    let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
    return sxy / (sxx * syy).squareRoot()
}

/// Pearson's correlation of two vectors, plainly.
func plainPearson(_ a: [Double], _ b: [Double]) -> Double {
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
    return sab / (saa * sbb).squareRoot()
}

@Suite("PARC")
struct PARCTests {
    @Test("brute force: full pair lists, one-hot label correlations and plain Spearman (no PCA)")
    func bruteForce() throws {
        let (x, labels) = makeClassificationProblem(n: 18, d: 4, classes: 3, seed: 61)
        let result = try PARC(dimensions: nil).score(featureInput(x, labels))
        // Standardise columns plainly, then pair distances.
        var z = x
        for j in 0..<4 {
            let col = x.column(j)
            let m = col.reduce(0, +) / 18
            let sd = (col.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 18).squareRoot()
            for i in 0..<18 { z[i, j] = (x[i, j] - m) / sd }
        }
        var featureDistances = [Double](), labelDistances = [Double]()
        for i in 0..<18 {
            for j in (i + 1)..<18 {
                featureDistances.append(1 - plainPearson(z.row(i), z.row(j)))
                let yi = (0..<3).map { $0 == labels[i] ? 1.0 : 0 }, yj = (0..<3).map { $0 == labels[j] ? 1.0 : 0 }
                labelDistances.append(1 - plainPearson(yi, yj))
            }
        }
        let expected = 100 * plainSpearman(featureDistances, labelDistances)
        #expect(isClose(result.score, expected, relative: 1e-10), "\(result.score) vs \(expected)")
    }

    @Test("the merged rank statistic equals plain Spearman, with ties")
    func tiedRanks() {
        var low = [0.5, 0.1, 0.3, 0.3, 0.9, 0.3]
        var high = [0.3, 0.7, 0.9, 0.2, 0.9]
        let values = low + high
        let indicator = low.map { _ in 0.0 } + high.map { _ in 1.0 }
        let expected = plainSpearman(values, indicator)
        let value = PARC.pointBiserialRankCorrelation(low: &low, high: &high)
        #expect(isClose(value ?? .nan, expected, relative: 1e-12))
    }

    @Test("agrees with the reference pipeline (scikit-learn PCA, StandardScaler, corrcoef, spearmanr)")
    func golden() throws {
        let g = try MetricsBGolden.section("parc")
        let x = try g.matrix("x", rows: g.int("n"), columns: g.int("d"))
        let result = try PARC(dimensions: g.int("dims")).score(featureInput(x, g.ints("labels")))
        // Exact ties on the label side (see docs/metrics/parc.md): equal to 1e-9.
        #expect(isClose(result.score, try g.double("parc_exact_ties"), relative: 1e-9), "\(result.score)")
        // The reference's label distances carry rounding noise that breaks their ties
        // arbitrarily; on this case that moves its score by about 0.1 point.
        #expect(abs(result.score - (try g.double("parc"))) < 0.5)
    }

    @Test("separable classes beat noise features")
    func direction() throws {
        let (separable, labels) = makeClassificationProblem(n: 80, d: 10, classes: 4, seed: 62, noise: 0.5)
        var rng = TestRandom(seed: 63)
        let noise = rng.gaussianMatrix(rows: 80, columns: 10)
        let good = try PARC(dimensions: 8).score(featureInput(separable, labels)).score
        let bad = try PARC(dimensions: 8).score(featureInput(noise, labels)).score
        #expect(good > bad + 10)
        #expect(abs(bad) < 15)
    }

    @Test("invariant to sample order and class relabelling; deterministic; inputs unmodified")
    func invariances() throws {
        let (x, labels) = makeClassificationProblem(n: 50, d: 12, classes: 3, seed: 64)
        let copy = x
        let input = try featureInput(x, labels)
        let base = try PARC(dimensions: 6).score(input)
        let (shuffled, order) = permutedRows(x, seed: 65)
        let permuted = try PARC(dimensions: 6).score(featureInput(shuffled, order.map { labels[$0] }))
        let relabelled = try PARC(dimensions: 6).score(featureInput(x, labels.map { 100 - $0 }))
        #expect(isClose(base.score, permuted.score, relative: 1e-9))
        #expect(base.score == relabelled.score)
        #expect(base == (try PARC(dimensions: 6).score(input)))
        #expect(input.features == copy)
    }

    @Test("above maxSamples a seeded stratified subsample is scored, with a warning")
    func subsample() throws {
        let (x, labels) = makeClassificationProblem(n: 120, d: 5, classes: 3, seed: 66)
        let a = try PARC(dimensions: 4, maxSamples: 60, seed: 1).score(featureInput(x, labels))
        let b = try PARC(dimensions: 4, maxSamples: 60, seed: 1).score(featureInput(x, labels))
        #expect(a == b)
        #expect(a.warnings.count == 1)
        #expect(abs((a.details["samples_scored"] ?? 0) - 60) <= 3)
        #expect(a.score.isFinite)
    }

    @Test("degenerate and bad inputs are errors, never NaN")
    func errors() throws {
        // Every sample its own class: no same-class pair, Spearman is undefined.
        var rng = TestRandom(seed: 67)
        let x = rng.gaussianMatrix(rows: 5, columns: 3)
        #expect(throws: MetricError.self) { try PARC().score(featureInput(x, [0, 1, 2, 3, 4])) }
        #expect(throws: MetricError.unsupportedTask(metric: "parc", task: .regression)) {
            try PARC().score(MetricInput(targets: try regressionTargets(5), features: x))
        }
        #expect(throws: MetricError.missingInput(metric: "parc", input: .features)) {
            try PARC().score(MetricInput(targets: try TargetEncoder.encodeClasses([0, 1, 0, 1, 0])))
        }
        var bad = x
        bad[0, 0] = .nan
        #expect(throws: MetricError.self) { try PARC().score(featureInput(bad, [0, 1, 0, 1, 0])) }
        #expect(throws: MetricError.self) { try PARC(dimensions: 0).score(featureInput(x, [0, 1, 0, 1, 0])) }
        // A constant reduced row (all features equal): warned and scored, not NaN.
        var constant = rng.gaussianMatrix(rows: 12, columns: 3)
        for j in 0..<3 { constant[0, j] = 2 }
        let r = try PARC(dimensions: nil).score(
            featureInput(
                Matrix(rows: 12, columns: 3) { i, row in
                    for j in 0..<3 { row[j] = i == 0 ? 0 : constant[i, j] }
                }, (0..<12).map { $0 % 2 }))
        #expect(r.score.isFinite)
    }
}
