import Foundation
import Linalg
import Testing
@testable import Ranking

/// Properties every registered metric must have, checked over `MetricRegistry.all`
/// so a metric is covered the moment it is registered. Invariances a metric does
/// not guarantee by definition (`MetricInvariances`) are skipped for it; its doc
/// says why. Feature metrics run on real ReLU features with dead units
/// (`real_features.json`), source-probability metrics on a seeded softmax matrix
/// made informative of the labels.
@Suite("Conformance of every registered metric")
struct MetricConformanceTests {
    /// One real model with dead units, and a small synthetic one.
    static func featureProblems() throws -> [(name: String, features: Matrix, labels: [Int])] {
        let data = try RealFeatures.load()
        let real = try #require(data.models.first { $0.dead_columns > 0 && $0.columns > 32 })
        let (synthetic, labels) = makeClassificationProblem(n: 60, d: 6, classes: 3, seed: 5, noise: 1.0)
        return [("real \(real.name)", real.matrix, data.labels), ("synthetic", synthetic, labels)]
    }

    /// Source probabilities whose argmax follows the label for most samples.
    static func probabilityProblem(n: Int = 60, sources: Int = 5) -> (Matrix, [Int]) {
        var rng = TestRandom(seed: 17)
        let labels = (0..<n).map { $0 % 3 }
        var theta = Matrix(rows: n, columns: sources)
        for r in 0..<n {
            var row = (0..<sources).map { _ in rng.normal() }
            row[(labels[r] * 2) % sources] += 2.5
            let mx = row.max()!
            let e = row.map { exp($0 - mx) }, s = e.reduce(0, +)
            for j in 0..<sources { theta[r, j] = e[j] / s }
        }
        return (theta, labels)
    }

    static func input(_ metric: any TransferabilityMetric, _ data: Matrix, _ labels: [Int]) throws -> MetricInput {
        metric.inputs.contains(.features) ? try featureInput(data, labels) : try probabilityInput(data, labels)
    }

    /// Each metric's problems: (name, data, labels) in the kind of input it reads.
    static func problems(for metric: any TransferabilityMetric) throws -> [(name: String, data: Matrix, labels: [Int])] {
        if metric.inputs.contains(.features) { return try featureProblems().map { ($0.name, $0.features, $0.labels) } }
        let (theta, labels) = probabilityProblem()
        return [("source probabilities", theta, labels)]
    }

    static func expectSame(_ metric: any TransferabilityMetric, _ a: MetricResult, _ b: MetricResult, _ what: String) {
        #expect(isClose(a.score, b.score, relative: 1e-8, absolute: 1e-10), "\(metric.name) \(what): \(b.score) vs \(a.score)")
    }

    static func columnsPermuted(_ m: Matrix, seed: UInt64) -> Matrix {
        var rng = TestRandom(seed: seed)
        var order = Array(0..<m.columns)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.int(below: i + 1)) }
        var out = m
        for r in 0..<m.rows { for (j, source) in order.enumerated() { out[r, j] = m[r, source] } }
        return out
    }

    @Test("every metric has a unique name and declares its inputs and tasks")
    func registry() {
        let names = MetricRegistry.all.map(\.name)
        #expect(Set(names).count == names.count)
        for metric in MetricRegistry.all {
            #expect(!metric.inputs.isEmpty && !metric.tasks.isEmpty, "\(metric.name)")
        }
    }

    @Test("reordering feature columns (or source classes) changes nothing", arguments: MetricRegistry.names)
    func columnOrder(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        for p in try Self.problems(for: metric) {
            let base = try metric.score(Self.input(metric, p.data, p.labels))
            for seed in [1, 2] as [UInt64] {
                let other = try metric.score(Self.input(metric, Self.columnsPermuted(p.data, seed: seed), p.labels))
                Self.expectSame(metric, base, other, "\(p.name), columns permuted")
            }
        }
    }

    @Test("reordering the samples changes nothing (where declared)", arguments: MetricRegistry.names)
    func sampleOrder(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        guard metric.invariances.contains(.sampleOrder) else { return }
        for p in try Self.problems(for: metric) {
            let base = try metric.score(Self.input(metric, p.data, p.labels))
            let (rows, order) = permutedRows(p.data, seed: 23)
            let other = try metric.score(Self.input(metric, rows, order.map { p.labels[$0] }))
            Self.expectSame(metric, base, other, "\(p.name), samples permuted")
        }
    }

    @Test("appending zero feature columns changes nothing (where declared)", arguments: MetricRegistry.names)
    func nullDirections(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        guard metric.invariances.contains(.nullDirections) else { return }
        #expect(metric.inputs.contains(.features))
        for p in try Self.problems(for: metric) {
            let base = try metric.score(Self.input(metric, p.data, p.labels))
            let other = try metric.score(Self.input(metric, p.data.appendingZeroColumns(5), p.labels))
            Self.expectSame(metric, base, other, "\(p.name), 5 zero columns appended")
        }
    }

    @Test("scaling the features changes nothing (where declared)", arguments: MetricRegistry.names)
    func featureScale(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        guard metric.invariances.contains(.featureScale) else { return }
        #expect(metric.inputs.contains(.features))
        for p in try Self.problems(for: metric) {
            let base = try metric.score(Self.input(metric, p.data, p.labels))
            for factor in [3.0, 0.01] {
                let other = try metric.score(Self.input(metric, p.data.scaled(by: factor), p.labels))
                Self.expectSame(metric, base, other, "\(p.name), features x \(factor)")
            }
        }
    }

    @Test(
        "identical models get identical scores, also after normalising across the zoo; runs are deterministic and leave inputs alone",
        arguments: MetricRegistry.names)
    func duplicatesAndDeterminism(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        let problems = try Self.problems(for: metric)
        let p = problems[0]
        let copy = Matrix(rows: p.data.rows, columns: p.data.columns, storage: Array(p.data.storage))
        let input = try Self.input(metric, p.data, p.labels)
        let a = try metric.score(input)
        let b = try metric.score(Self.input(metric, copy, p.labels))
        #expect(a == b, "\(metric.name): two runs on the same data differ")
        #expect(input.features == (metric.inputs.contains(.features) ? copy : nil))
        #expect(input.sourceProbabilities == (metric.inputs.contains(.features) ? nil : copy))
        // A zoo holding the same model twice and another one.
        var zoo = [a, b]
        if problems.count > 1 {
            zoo.append(try metric.score(Self.input(metric, problems[1].data.rows(at: Array(0..<problems[1].data.rows)), problems[1].labels)))
        }
        let normalised = metric.normalizeAcrossModels(zoo)
        #expect(normalised.count == zoo.count)
        #expect(
            normalised[0].score == normalised[1].score, "\(metric.name): duplicated models scored \(normalised[0].score) and \(normalised[1].score)")
    }

    @Test("bad inputs are typed errors, never a crash or a NaN", arguments: MetricRegistry.names)
    func badInputs(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        let p = try Self.problems(for: metric)[1 % (try Self.problems(for: metric)).count]
        func expectTypedError(_ what: String, _ body: () throws -> MetricResult) {
            do {
                let r = try body()
                Issue.record("\(metric.name) on \(what): no error, score \(r.score)")
            } catch is MetricError {
            } catch is RankingError {
            } catch {
                Issue.record("\(metric.name) on \(what): untyped error \(error)")
            }
        }
        var bad = p.data
        bad[3, 0] = .nan
        expectTypedError("a NaN") { try metric.score(Self.input(metric, bad, p.labels)) }
        bad[3, 0] = .infinity
        expectTypedError("an infinity") { try metric.score(Self.input(metric, bad, p.labels)) }
        expectTypedError("fewer rows than labels") { try metric.score(Self.input(metric, p.data.rows(0..<(p.data.rows - 2)), p.labels)) }
        let targets = try TargetEncoder.encodeClasses(p.labels)
        expectTypedError("no data") { try metric.score(MetricInput(targets: targets)) }
        if !metric.tasks.contains(.regression) {
            let regression = try regressionTargets(p.data.rows)
            #expect(throws: MetricError.unsupportedTask(metric: metric.name, task: .regression)) {
                try metric.score(
                    metric.inputs.contains(.features)
                        ? MetricInput(targets: regression, features: p.data)
                        : MetricInput(targets: regression, sourceProbabilities: p.data))
            }
        }
    }

    @Test("informative data scores above noise on the same labels", arguments: MetricRegistry.names)
    func separableBeatsNoise(name: String) throws {
        let metric = try #require(MetricRegistry.all.first { $0.name == name })
        var rng = TestRandom(seed: 99)
        let good: Matrix, labels: [Int], noise: Matrix
        if metric.inputs.contains(.features) {
            (good, labels) = makeClassificationProblem(n: 90, d: 6, classes: 3, seed: 21, noise: 0.4)
            noise = rng.gaussianMatrix(rows: 90, columns: 6)
        } else {
            (good, labels) = Self.probabilityProblem(n: 90)
            noise = randomSoftmax(rows: 90, columns: 5, seed: 4)
        }
        let raw = [try metric.score(Self.input(metric, good, labels)), try metric.score(Self.input(metric, noise, labels))]
        let scores = metric.normalizeAcrossModels(raw).map(\.score)
        #expect(scores[0] > scores[1], "\(metric.name): informative \(scores[0]) should beat noise \(scores[1])")
    }
}
