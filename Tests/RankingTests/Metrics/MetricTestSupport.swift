import Foundation
import Linalg
import Testing
@testable import Ranking

/// Golden values written by `scripts/fixtures/make_metric_fixtures_a.py`.
struct MetricsAGolden: Decodable {
    struct Dataset: Decodable {
        let features: [[Double]]
        let labels: [Int]
    }
    struct Case: Decodable {
        let metric: String
        let dataset: String
        let params: [String: ParamValue]
        let score: Double
        let details: [String: Double]
    }
    enum ParamValue: Decodable {
        case number(Double), text(String)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) { self = .number(d) } else { self = .text(try c.decode(String.self)) }
        }
        var number: Double? { if case let .number(d) = self { return d } else { return nil } }
        var text: String? { if case let .text(s) = self { return s } else { return nil } }
    }
    let datasets: [String: Dataset]
    let cases: [Case]

    static func load() throws -> MetricsAGolden {
        let url = try #require(Bundle.module.url(forResource: "metrics_a_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(MetricsAGolden.self, from: Data(contentsOf: url))
    }

    func cases(for metric: String) -> [Case] { cases.filter { $0.metric == metric } }

    func input(_ name: String) throws -> MetricInput {
        let ds = try #require(datasets[name])
        return try makeInput(Matrix(ds.features), ds.labels)
    }
}

/// Golden values come from NumPy/scikit-learn summing in other orders and through
/// other factorisations; 1e-9 relative is far above that rounding and far below
/// any formula difference.
let goldenTolerance = 1e-9

func makeInput(_ features: Matrix, _ labels: [Int]) throws -> MetricInput {
    MetricInput(targets: try TargetEncoder.encodeClasses(labels), features: features)
}

/// Checks every metric-independent expectation of the contract on a small problem.
enum MetricContract {
    /// Separated clusters versus pure noise on the same labels.
    static func direction(_ metric: some TransferabilityMetric, n: Int = 90, d: Int = 6, classes: Int = 3) throws {
        let (good, labels) = makeClassificationProblem(n: n, d: d, classes: classes, seed: 21, noise: 0.4)
        var rng = TestRandom(seed: 99)
        let noise = rng.gaussianMatrix(rows: n, columns: d)
        let sGood = try metric.score(makeInput(good, labels)).score
        let sNoise = try metric.score(makeInput(noise, labels)).score
        #expect(sGood > sNoise, "\(metric.name): separated \(sGood) should beat noise \(sNoise)")
    }

    /// Same score after permuting the samples and after renaming the classes.
    static func permutationAndRelabelling(_ metric: some TransferabilityMetric, relative: Double = 1e-9) throws {
        let (f, labels) = makeClassificationProblem(n: 60, d: 5, classes: 3, seed: 5, noise: 1.0)
        let base = try metric.score(makeInput(f, labels)).score
        var rng = TestRandom(seed: 3)
        var order = Array(0..<f.rows)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.int(below: i + 1)) }
        let permuted = try metric.score(makeInput(f.rows(at: order), order.map { labels[$0] })).score
        #expect(isClose(base, permuted, relative: relative, absolute: 1e-12), "\(metric.name): permuted \(permuted) vs \(base)")
        // 0 -> 7, 1 -> 2, 2 -> 0: a different order of the encoded classes.
        let renamed = labels.map { [7, 2, 0][$0] }
        let relabelled = try metric.score(makeInput(f, renamed)).score
        #expect(isClose(base, relabelled, relative: relative, absolute: 1e-12), "\(metric.name): relabelled \(relabelled) vs \(base)")
    }

    /// Two runs on fresh inputs agree bit for bit, and the input is not modified.
    static func determinismAndInputsUnchanged(_ metric: some TransferabilityMetric) throws {
        let (f, labels) = makeClassificationProblem(n: 50, d: 4, classes: 3, seed: 8)
        let copy = Matrix(rows: f.rows, columns: f.columns, storage: Array(f.storage))
        let input = try makeInput(f, labels)
        let first = try metric.score(input)
        let second = try metric.score(makeInput(f, labels))
        #expect(first == second, "\(metric.name): not deterministic")
        #expect(input.features == copy, "\(metric.name) modified its input")
        #expect(f == copy)
        #expect(input.targets.encodedLabels == (try TargetEncoder.encodeClasses(labels)).encodedLabels)
    }

    /// Regression targets, no features, non-finite features and constant features.
    static func badInputs(_ metric: some TransferabilityMetric, constantThrows: Bool = true) throws {
        let (f, labels) = makeClassificationProblem(n: 30, d: 3, classes: 3, seed: 4)
        let regression = try TargetEncoder.encode(values: labels.map(Double.init), shape: [labels.count], task: .regression)
        if !metric.tasks.contains(.regression) {
            #expect(throws: MetricError.unsupportedTask(metric: metric.name, task: .regression)) {
                try metric.score(MetricInput(targets: regression, features: f))
            }
        }
        #expect(throws: MetricError.missingInput(metric: metric.name, input: .features)) {
            try metric.score(MetricInput(targets: try TargetEncoder.encodeClasses(labels)))
        }
        var bad = f
        bad[4, 1] = .nan
        #expect(throws: MetricError.self) { try metric.score(makeInput(bad, labels)) }
        #expect(throws: MetricError.self) { try metric.score(makeInput(f.rows(0..<20), labels)) } // 20 rows, 30 labels
        #expect(throws: MetricError.degenerate(metric: metric.name, reason: "the features have no columns")) {
            try metric.score(makeInput(Matrix(rows: 30, columns: 0), labels))
        }
        let constant = Matrix(rows: 30, columns: 3, repeating: 2.5)
        if constantThrows {
            do {
                let r = try metric.score(makeInput(constant, labels))
                Issue.record("\(metric.name): constant features gave \(r.score) instead of an error")
            } catch let error as MetricError {
                if case .degenerate = error {} else { Issue.record("unexpected \(error)") }
            }
        } else {
            let r = try metric.score(makeInput(constant, labels))
            #expect(r.score.isFinite)
        }
    }
}

// MARK: - Plain reference arithmetic for brute-force checks (no Linalg helpers)

enum Plain {
    static func mean(_ rows: [[Double]]) -> [Double] {
        let d = rows[0].count
        var m = [Double](repeating: 0, count: d)
        for r in rows { for j in 0..<d { m[j] += r[j] } }
        return m.map { $0 / Double(rows.count) }
    }

    /// (1/n) Σ (x − m)(x − m)ᵀ with an explicit mean `m`.
    static func scatter(_ rows: [[Double]], around m: [Double], dividedBy n: Double) -> [[Double]] {
        let d = m.count
        var s = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for r in rows { for i in 0..<d { for j in 0..<d { s[i][j] += (r[i] - m[i]) * (r[j] - m[j]) } } }
        return s.map { $0.map { $0 / n } }
    }

    /// Gauss-Jordan inverse with partial pivoting.
    static func inverse(_ a: [[Double]]) -> [[Double]] {
        let n = a.count
        var m = a.enumerated().map { i, row in row + (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        for col in 0..<n {
            let p = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, p)
            let pivot = m[col][col]
            m[col] = m[col].map { $0 / pivot }
            for r in 0..<n where r != col {
                let f = m[r][col]
                if f != 0 { m[r] = zip(m[r], m[col]).map { $0 - f * $1 } }
            }
        }
        return m.map { Array($0[n...]) }
    }

    /// log|det a| by Gaussian elimination with partial pivoting.
    static func logAbsDet(_ a: [[Double]]) -> Double {
        var m = a
        let n = m.count
        var total = 0.0
        for col in 0..<n {
            let p = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, p)
            total += log(abs(m[col][col]))
            for r in (col + 1)..<max(col + 1, n) {
                let f = m[r][col] / m[col][col]
                for j in col..<n { m[r][j] -= f * m[col][j] }
            }
        }
        return total
    }

    static func matVec(_ a: [[Double]], _ x: [Double]) -> [Double] { a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } } }
    static func dot(_ x: [Double], _ y: [Double]) -> Double { zip(x, y).reduce(0) { $0 + $1.0 * $1.1 } }
}

extension Matrix {
    var nestedRows: [[Double]] { (0..<rows).map { row($0) } }
}
