import Foundation
import Linalg
import Testing
@testable import Ranking

/// Regression tests of three defects seen on real ReLU features with dead units
/// (all-zero columns): LogME's `--compat paper` against the published code, PARC
/// standardising null PCA components, NCTI failing on rank-deficient features.
@Suite("Null directions of real-network features")
struct NullDirectionRegressionTests {
    @Test("the fixture really has dead units and rank below D")
    func fixtureHasDeadUnits() throws {
        let data = try RealFeatures.load(), golden = try RealFeatureGoldens.load()
        #expect(data.models.filter { $0.dead_columns > 0 }.count >= 3)
        for (m, g) in zip(data.models, golden.models) {
            #expect(m.name == g.name)
            #expect(try FeatureAnalysis(features: m.matrix).covarianceRank() == g.rank, "\(m.name)")
        }
    }

    @Test("LogME --compat paper reproduces the published code, zero columns and N <= D included")
    func logmePaper() throws {
        let data = try RealFeatures.load(), golden = try RealFeatureGoldens.load()
        let paper = LogME(compatibility: .paper)
        let n = golden.small_n
        let smallLabels = Array(data.labels.prefix(n))
        for (m, g) in zip(data.models, golden.models) {
            let f = m.matrix
            let targets = try TargetEncoder.encodeClasses(data.labels)
            let full = try paper.fit(features: f, targets: targets).score
            let padded = try paper.fit(features: f.appendingZeroColumns(golden.zero_columns), targets: targets).score
            #expect(isClose(full, g.logme_paper, relative: 1e-9), "\(m.name): \(full) vs \(g.logme_paper)")
            #expect(isClose(padded, g.logme_paper_zero_columns, relative: 1e-9), "\(m.name) + zeros: \(padded) vs \(g.logme_paper_zero_columns)")
            // N > D: zero columns change nothing, in the published code as here.
            #expect(isClose(full, padded, relative: 1e-9))

            let small = f.rows(at: Array(0..<n))
            let smallTargets = try TargetEncoder.encodeClasses(smallLabels)
            let wide = try paper.fit(features: small, targets: smallTargets).score
            let widePadded = try paper.fit(features: small.appendingZeroColumns(golden.zero_columns), targets: smallTargets).score
            #expect(isClose(wide, g.logme_paper_small, relative: 1e-9), "\(m.name) N <= D: \(wide) vs \(g.logme_paper_small)")
            #expect(
                isClose(widePadded, g.logme_paper_small_zero_columns, relative: 1e-9),
                "\(m.name) N <= D + zeros: \(widePadded) vs \(g.logme_paper_small_zero_columns)")
        }
    }

    @Test("LogME --compat paper from statistics equals the in-memory fit on features with zero columns")
    func logmePaperStatistics() throws {
        let data = try RealFeatures.load(), golden = try RealFeatureGoldens.load()
        let targets = try TargetEncoder.encodeClasses(data.labels)
        for (m, g) in zip(data.models, golden.models) {
            var stats = LogMEStatistics(featureDimension: m.columns, targetCount: targets.columnCount)
            try stats.accumulate(features: m.matrix, targets: targets.matrix, classIndices: targets.encodedLabels, checkFinite: true)
            let score = try LogME(compatibility: .paper).fit(statistics: stats).score
            #expect(isClose(score, g.logme_paper, relative: 1e-9), "\(m.name): \(score) vs \(g.logme_paper)")
        }
    }

    @Test("PARC matches the reference on the non-null components; scale, column order and zero columns change nothing")
    func parc() throws {
        let data = try RealFeatures.load(), golden = try RealFeatureGoldens.load()
        for (m, g) in zip(data.models, golden.models) {
            let f = m.matrix
            let result = try PARC().score(makeInput(f, data.labels))
            #expect(result.details["pca_components"] == Double(g.parc_components), "\(m.name)")
            // 1e-6, not 1e-9: the features are rounded to 4 decimals, so some pair
            // distances differ only by rounding, and the two sides order those
            // near-ties by their own rounding (seen: 1e-7 relative).
            #expect(isClose(result.score, g.parc, relative: 1e-6), "\(m.name): \(result.score) vs \(g.parc)")
            // The reference as-is breaks label ties by rounding noise (docs/metrics/parc.md).
            #expect(abs(result.score - g.parc_reference_as_is) < 0.5)
            for (what, variant) in [
                ("x3", f.scaled(by: 3)), ("reversed columns", f.reversingColumns()),
                ("zero columns", f.appendingZeroColumns(golden.zero_columns)),
            ] {
                let other = try PARC().score(makeInput(variant, data.labels)).score
                #expect(isClose(other, result.score, relative: 1e-9), "\(m.name) \(what): \(other) vs \(result.score)")
            }
        }
    }

    @Test("NCTI scores rank-deficient features as scikit-learn's SVD-based LDA does")
    func ncti() throws {
        let data = try RealFeatures.load(), golden = try RealFeatureGoldens.load()
        for (m, g) in zip(data.models, golden.models) {
            let result = try NCTI().score(makeInput(m.matrix, data.labels))
            #expect(result.details["components"] == Double(g.ncti_components), "\(m.name)")
            for (key, expected) in [("seli", g.ncti.seli), ("ncc", g.ncti.ncc), ("vc", g.ncti.vc)] {
                let value = try #require(result.details[key])
                #expect(isClose(value, expected, relative: 1e-7), "\(m.name) \(key): \(value) vs \(expected)")
            }
            let padded = try NCTI().score(makeInput(m.matrix.appendingZeroColumns(golden.zero_columns), data.labels))
            #expect(isClose(padded.score, result.score, relative: 1e-7), "\(m.name) + zeros")
        }
    }
}
