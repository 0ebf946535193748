import Foundation
import Linalg
import Testing
@testable import Ranking

/// Random classification data with class structure, an offset mean and a few
/// correlated columns, so every moment matters.
func statisticsProblem(
    samples n: Int = 240, dimension d: Int = 12, classes c: Int = 4, seed: UInt64 = 7
)
    -> (features: Matrix, targets: EncodedTargets)
{
    var rng = TestRandom(seed: seed)
    let labels = (0..<n).map { i in i < c ? i : rng.int(below: c) }
    var f = rng.gaussianMatrix(rows: n, columns: d)
    for r in 0..<n {
        for j in 0..<d { f[r, j] += 0.5 + (j % c == labels[r] ? 1.5 : 0) }
        f[r, d - 1] = 0.7 * f[r, 0] - 0.2 * f[r, 1] + 0.1 * rng.normal()
    }
    // Original ids with gaps (3, 5, 9, ...) so the label encoding is exercised.
    return (f, try! TargetEncoder.encodeClasses(labels.map { 3 + 2 * $0 * $0 }))
}

/// Statistics of `rows` of the data, read `chunk` rows at a time.
func shardStatistics(
    _ f: Matrix, _ t: EncodedTargets, rows: Range<Int>, chunk: Int = 1000, file: String = "m.npy",
    classGrams: Bool = true
) throws -> FeatureStatistics {
    var s = FeatureStatistics(modelName: "m", featureDimension: f.columns, targets: t, classGrams: classGrams)
    var start = rows.lowerBound
    while start < rows.upperBound {
        let end = Swift.min(start + chunk, rows.upperBound)
        try s.accumulate(features: f.rows(start..<end), targets: t, rows: start..<end)
        start = end
    }
    s.recordOrigin(ShardOrigin(file: file, fileBytes: 1000, fileRows: f.rows, rows: rows))
    return s
}

/// Largest relative difference between two arrays (relative to the largest magnitude).
func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    let scale = Swift.max(a.map(abs).max() ?? 0, b.map(abs).max() ?? 0, .leastNormalMagnitude)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

func allArrays(_ s: FeatureStatistics) -> [[Double]] {
    [
        s.logme.gramUpper.storage, s.logme.targetFeatureProducts.storage, s.logme.targetSquares, s.logme.featureSums,
        s.targetGram.storage, [s.normFourthSum], s.normWeightedSums, (s.classGramsUpper ?? []).flatMap(\.storage),
    ]
}

@Suite("Feature statistics: accumulation, merging, compatibility")
struct FeatureStatisticsTests {
    @Test("chunks smaller than N give the statistics of one pass over the whole matrix")
    func chunkedEqualsWhole() throws {
        let (f, t) = statisticsProblem()
        let whole = try FeatureStatistics(modelName: "m", features: f, targets: t, classGrams: true)
        let chunked = try shardStatistics(f, t, rows: 0..<f.rows, chunk: 37)
        #expect(chunked.sampleCount == f.rows)
        for (a, b) in zip(allArrays(whole), allArrays(chunked)) { #expect(maxRelativeDifference(a, b) < 1e-13) }
        // And both equal the moments computed directly from the samples.
        let gram = f.gram()
        var fg = chunked.gram
        #expect(maxRelativeDifference(gram.storage, fg.storage) < 1e-13)
        fg = chunked.covariance
        let analysis = FeatureAnalysis(features: f)
        #expect(maxRelativeDifference(analysis.covariance.storage, fg.storage) < 1e-12)
        var fourth = 0.0
        let centred = analysis.centered
        for r in 0..<f.rows { let a = centred.row(r).reduce(0) { $0 + $1 * $1 }; fourth += a * a }
        #expect(isClose(chunked.centredFourthMomentSum, fourth, relative: 1e-11))
        #expect(chunked.classCounts.reduce(0, +) == f.rows)
        #expect(chunked.classes == t.classes)
    }

    @Test("merging is commutative and associative")
    func mergeOrder() throws {
        let (f, t) = statisticsProblem()
        let a = try shardStatistics(f, t, rows: 0..<31), b = try shardStatistics(f, t, rows: 31..<170)
        let c = try shardStatistics(f, t, rows: 170..<240)
        var ab = a; try ab.merge(b); var abc = ab; try abc.merge(c)
        var bc = b; try bc.merge(c); var aBC = a; try aBC.merge(bc)
        var ca = c; try ca.merge(a); var cab = ca; try cab.merge(b)
        for s in [aBC, cab] {
            #expect(s.sampleCount == 240)
            for (x, y) in zip(allArrays(abc), allArrays(s)) { #expect(maxRelativeDifference(x, y) < 1e-14) }
        }
        let whole = try FeatureStatistics(modelName: "m", features: f, targets: t, classGrams: true)
        for (x, y) in zip(allArrays(whole), allArrays(abc)) { #expect(maxRelativeDifference(x, y) < 1e-13) }
    }

    @Test("shards of another dimension, label set, model or class-Gram setting are refused, naming both files")
    func mismatches() throws {
        let (f, t) = statisticsProblem()
        let base = try shardStatistics(f, t, rows: 0..<100)
        // Different D.
        let narrow = try shardStatistics(
            Matrix(rows: f.rows, columns: 5, fillingRows: { r, row in for j in 0..<5 { row[j] = f[r, j] } }), t, rows: 100..<200)
        #expect(throws: StatisticsError.self) { try FeatureStatistics.merged([("a.stats.npz", base), ("b.stats.npz", narrow)]) }
        do {
            _ = try FeatureStatistics.merged([("a.stats.npz", base), ("b.stats.npz", narrow)])
        } catch let error as StatisticsError {
            #expect(error.description.contains("a.stats.npz") && error.description.contains("b.stats.npz"))
            #expect(error.description.contains("feature dimension 5 vs 12"))
        }
        // Different label set: labels re-encoded from another file with one class fewer.
        let otherLabels = try TargetEncoder.encodeClasses(t.encodedLabels.map { $0 % 3 })
        let relabelled = try shardStatistics(f, otherLabels, rows: 100..<200)
        #expect(throws: StatisticsError.self) {
            var s = base; try s.merge(relabelled)
        }
        // Another model.
        var other = FeatureStatistics(modelName: "other", featureDimension: f.columns, targets: t, classGrams: true)
        try other.accumulate(features: f.rows(100..<200), targets: t, rows: 100..<200)
        #expect(throws: StatisticsError.self) {
            var s = base; try s.merge(other)
        }
        // Without per-class Gram matrices.
        let plain = try shardStatistics(f, t, rows: 100..<200, classGrams: false)
        #expect(throws: StatisticsError.self) {
            var s = base; try s.merge(plain)
        }
    }

    @Test("the same shard twice, or overlapping rows of one file, is refused; other files may share row numbers")
    func duplicates() throws {
        let (f, t) = statisticsProblem()
        let a = try shardStatistics(f, t, rows: 0..<100)
        do {
            _ = try FeatureStatistics.merged([("x/a.npz", a), ("y/b.npz", try shardStatistics(f, t, rows: 50..<150)), ("z/c.npz", a)])
            Issue.record("overlap accepted")
        } catch let error as StatisticsError {
            #expect(error.description.contains("x/a.npz") && error.description.contains("y/b.npz"))
            #expect(error.description.contains("rows 50..<100 of m.npy"))
        }
        var s = a
        try s.merge(try shardStatistics(f, t, rows: 0..<100, file: "part2.npy"))
        #expect(s.sampleCount == 200)
    }

    @Test("a chunk with a NaN throws and leaves the statistics as they were")
    func nonFinite() throws {
        let (f, t) = statisticsProblem()
        var s = try shardStatistics(f, t, rows: 0..<50)
        let before = allArrays(s)
        var bad = f.rows(50..<80)
        bad[7, 3] = .nan
        #expect(throws: RankingError.self) {
            try s.accumulate(features: bad, targets: t, rows: 50..<80)
        }
        #expect(s.sampleCount == 50)
        for (x, y) in zip(before, allArrays(s)) { #expect(x == y) }
    }
}
