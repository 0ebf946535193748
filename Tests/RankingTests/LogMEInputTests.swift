import Foundation
import Linalg
import Testing
@testable import Ranking

/// Every degenerate input the issue lists gets a clear error or a documented, warned
/// handling; each test checks the message a user would read.
@Suite("LogME input checks")
struct LogMEInputTests {
    let features = Matrix([[1, 2], [3, 1], [0, 1], [2, 2], [5, 1], [1, 0]])

    @Test("mismatched lengths name both counts")
    func lengthMismatch() throws {
        let targets = try TargetEncoder.encodeClasses([0, 1, 0, 1])
        #expect(throws: RankingError.lengthMismatch(features: 6, labels: 4)) { try LogME().fit(features: features, targets: targets) }
        #expect(RankingError.lengthMismatch(features: 6, labels: 4).description.contains("features have 6 samples (rows) but labels have 4"))
    }

    @Test("fewer than two samples")
    func tooFew() throws {
        let targets = try TargetEncoder.encode(values: [1.5], shape: [1], task: .regression)
        #expect(throws: RankingError.tooFewSamples(count: 1, minimum: 2)) { try LogME().fit(features: Matrix([[1, 2]]), targets: targets) }
        var stats = LogMEStatistics(featureDimension: 2, targetCount: 1)
        #expect(throws: RankingError.tooFewSamples(count: 0, minimum: 2)) { try LogME().fit(statistics: stats) }
        try stats.accumulate(features: Matrix([[1, 2]]), targets: Matrix([[1]]))
        #expect(throws: RankingError.tooFewSamples(count: 1, minimum: 2)) { try LogME().fit(statistics: stats) }
    }

    @Test("NaN and infinity in features are located", arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteFeatures(value: Double) throws {
        var f = features
        f[4, 1] = value
        let targets = try TargetEncoder.encodeClasses([0, 1, 0, 1, 0, 1])
        // Compared by message: NaN never equals itself.
        let expected = RankingError.nonFiniteFeature(row: 4, column: 1, value: value).description
        #expect { try LogME().fit(features: f, targets: targets) } throws: { ($0 as? RankingError)?.description == expected }
        // The statistics route reports the global row of a chunk.
        var stats = LogMEStatistics(featureDimension: 2, targetCount: 2)
        let chunkExpected = RankingError.nonFiniteFeature(row: 104, column: 1, value: value).description
        #expect { try stats.accumulate(features: f, targets: targets.matrix, rowOffset: 100) } throws: {
            ($0 as? RankingError)?.description == chunkExpected
        }
        let message = RankingError.nonFiniteFeature(row: 4, column: 1, value: value).description
        #expect(message.contains("row 4, column 1") && message.contains("must be finite"))
    }

    @Test("NaN in labels")
    func nonFiniteLabels() {
        #expect(throws: RankingError.nonFiniteLabel(index: 2, value: .infinity)) {
            try TargetEncoder.encode(values: [0, 1, .infinity], shape: [3], task: .classification)
        }
        #expect(throws: RankingError.self) { try TargetEncoder.encode(values: [0.5, .nan], shape: [2], task: .regression) }
    }

    @Test("non-integer class ids point to --task regression")
    func nonInteger() {
        #expect(throws: RankingError.nonIntegerLabel(index: 1, value: 0.5)) {
            try TargetEncoder.encode(values: [0, 0.5, 1], shape: [3], task: .classification)
        }
        #expect(RankingError.nonIntegerLabel(index: 1, value: 0.5).description.contains("--task regression"))
    }

    @Test("float labels holding integers are class ids")
    func floatIntegers() throws {
        let t = try TargetEncoder.encode(values: [0, 1, 2, 1], shape: [4], task: .classification)
        #expect(t.classes == [0, 1, 2])
        #expect(t.encodedLabels == [0, 1, 2, 1])
    }

    @Test("a single class is an error")
    func singleClass() {
        #expect(throws: RankingError.singleClass(label: 7)) { try TargetEncoder.encodeClasses([7, 7, 7]) }
        #expect(RankingError.singleClass(label: 7).description.contains("at least two classes"))
    }

    @Test("class ids with no sample are re-encoded and reported")
    func gaps() throws {
        let t = try TargetEncoder.encodeClasses([0, 3, 3, 5, 0, 5])
        #expect(t.classes == [0, 3, 5])
        #expect(t.columnCount == 3)
        #expect(t.warnings.contains { $0.contains("class ids 1, 2, 4 have no sample; scoring the 3 classes present") })
        // The score equals that of contiguous ids: the gaps add no empty column.
        let f = Matrix([[1, 2], [3, 1], [0, 1], [2, 2], [5, 1], [1, 0]])
        let gapped = try LogME().fit(features: f, targets: t).score
        let contiguous = try LogME().fit(features: f, targets: TargetEncoder.encodeClasses([0, 1, 1, 2, 0, 2])).score
        #expect(gapped == contiguous)
    }

    @Test("label shapes that do not fit the task")
    func shapes() {
        #expect(
            throws: RankingError.labelShape(
                task: .classification, shape: [2, 2],
                expected: "a vector of N integer class ids (for N x K targets use --task regression or --task multilabel)")
        ) {
            try TargetEncoder.encode(values: [0, 1, 1, 0], shape: [2, 2], task: .classification)
        }
        #expect(throws: RankingError.self) { try TargetEncoder.encode(values: [0, 1], shape: [2], task: .multilabel) }
        #expect(throws: RankingError.self) { try TargetEncoder.encode(values: Array(repeating: 0, count: 8), shape: [2, 2, 2], task: .regression) }
    }

    @Test("multi-label entries must be 0 or 1; never-positive labels are dropped with a warning")
    func multilabel() throws {
        #expect(throws: RankingError.nonBinaryLabel(row: 1, column: 0, value: 2)) {
            try TargetEncoder.encode(values: [1, 0, 2, 1], shape: [2, 2], task: .multilabel)
        }
        let t = try TargetEncoder.encode(values: [1, 0, 0, 1, 0, 0, 1, 0, 0], shape: [3, 3], task: .multilabel)
        #expect(t.columnNames == ["label 0"])
        #expect(t.warnings.contains { $0.contains("labels 1, 2 never positive") })
        #expect(throws: RankingError.noUsableTargets(reason: "no label is positive for any sample")) {
            try TargetEncoder.encode(values: [0, 0, 0, 0], shape: [2, 2], task: .multilabel)
        }
    }

    @Test("all-zero regression outputs are dropped; all of them is an error")
    func zeroTargets() throws {
        let t = try TargetEncoder.encode(values: [0, 1, 0, 2, 0, 3], shape: [3, 2], task: .regression)
        #expect(t.columnNames == ["output 1"])
        #expect(t.warnings.contains { $0.contains("output 0 is zero for every sample") })
        #expect(throws: RankingError.self) { try TargetEncoder.encode(values: [0, 0, 0], shape: [3], task: .regression) }
    }

    @Test("constant and all-zero feature columns are reported, and the score stays finite")
    func constantColumns() throws {
        var rng = TestRandom(seed: 3)
        var f = rng.gaussianMatrix(rows: 40, columns: 5)
        for r in 0..<40 { f[r, 1] = 0; f[r, 3] = 2.5 }
        let fit = try LogME().fit(features: f, targets: TargetEncoder.encodeClasses((0..<40).map { $0 % 2 }))
        #expect(fit.score.isFinite)
        #expect(fit.warnings.contains { $0.contains("2 of 5 feature columns are constant (1, 3)") })
        #expect(fit.rank == 4) // the zero column adds nothing
        // Same from the wide route.
        var g = rng.gaussianMatrix(rows: 6, columns: 10)
        for r in 0..<6 { g[r, 7] = 1 }
        let wide = try LogME().fit(features: g, targets: TargetEncoder.encodeClasses([0, 1, 0, 1, 0, 1]))
        #expect(wide.warnings.contains { $0.contains("1 of 10 feature columns are constant (7)") })
        #expect(wide.score.isFinite)
    }

    @Test("options out of range")
    func options() throws {
        let targets = try TargetEncoder.encodeClasses([0, 1, 0, 1, 0, 1])
        #expect(throws: RankingError.self) { try LogME(tolerance: 0).fit(features: features, targets: targets) }
        #expect(throws: RankingError.self) { try LogME(maxIterations: 0).fit(features: features, targets: targets) }
    }

    @Test("an iteration cap that is too small is reported per column, never a NaN")
    func notConverged() throws {
        let (f, labels) = makeClassificationProblem(n: 80, d: 10, classes: 3, seed: 91)
        let fit = try LogME(tolerance: 1e-15, maxIterations: 1).fit(features: f, targets: TargetEncoder.encodeClasses(labels))
        #expect(fit.score.isFinite)
        #expect(fit.unconvergedColumns.count + fit.columns.filter { $0.refinedBySearch || $0.status == .converged }.count >= 1)
        #expect(fit.columns.allSatisfy { $0.evidence.isFinite })
    }
}

@Suite("LogME statistics after a rejected chunk")
struct LogMEStatisticsRejectionTests {
    @Test("a chunk with NaN leaves the statistics as the earlier chunks made them")
    func rejectedChunkLeavesNoTrace() throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 4, classes: 3, seed: 95)
        let targets = try TargetEncoder.encodeClasses(labels)
        var stats = LogMEStatistics(featureDimension: 4, targetCount: 3)
        try stats.accumulate(features: f.rows(0..<30), targets: targets.matrix.rows(0..<30), classIndices: Array(labels[0..<30]))
        let before = stats
        var bad = f.rows(30..<60)
        bad[20, 3] = .nan
        #expect(throws: RankingError.self) {
            try stats.accumulate(features: bad, targets: targets.matrix.rows(30..<60), classIndices: Array(labels[30..<60]), rowOffset: 30)
        }
        #expect(stats.sampleCount == before.sampleCount)
        for (a, b) in zip(stats.featureSums, before.featureSums) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
        for (a, b) in zip(stats.targetFeatureProducts.storage, before.targetFeatureProducts.storage) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
        #expect(stats.gramUpper == before.gramUpper)
        #expect(stats.targetSquares == before.targetSquares)
    }
}
