import Foundation
import Testing
import Torch
@testable import Tuning

@Suite("Head, cross-entropy and metrics")
struct HeadLossMetricTests {
    @Test("head weights are N(0, 0.01^2), bias zero, reproducible by seed")
    func headInit() throws {
        let head = try LinearHead(features: 200, classes: 100, seed: 3)
        let w = try head.weight.toArray(of: Float.self).map(Double.init)
        let mean = w.reduce(0, +) / Double(w.count)
        let std = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count - 1)).squareRoot()
        // 20,000 draws: the sample mean's standard error is 7e-5, the std's 5e-5.
        #expect(abs(mean) < 3e-4)
        #expect(abs(std - 0.01) < 3e-4)
        #expect(try head.bias.toArray(of: Float.self).allSatisfy { $0 == 0 })
        #expect(head.weight.requiresGrad && head.bias.requiresGrad)
        #expect(try LinearHead(features: 200, classes: 100, seed: 3).weight.toArray(of: Float.self) == w.map(Float.init))
        #expect(try LinearHead(features: 200, classes: 100, seed: 4).weight.toArray(of: Float.self) != w.map(Float.init))
    }

    @Test("the ce term equals -log softmax of the true class, averaged (and with label smoothing)")
    func crossEntropyByHand() throws {
        let logits: [[Double]] = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [0, 0, 0]]
        let labels = [0, 2, 1, 1]
        func logSoftmax(_ row: [Double]) -> [Double] {
            let m = row.max()!
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            return row.map { $0 - lse }
        }
        let nll = zip(logits, labels).map { -logSoftmax($0)[$1] }.reduce(0, +) / 4
        let uniform = logits.map { -logSoftmax($0).reduce(0, +) / 3 }.reduce(0, +) / 4
        let x = try Tensor(rows: logits.map { $0.map(Float.init) })
        let y = try Tensor(labels.map(Int64.init))
        func step(_ logits: Tensor) throws -> TrainingStep {
            TrainingStep(
                inputs: logits, labels: y, indices: [0, 1, 2, 3], augmented: false, student: ModelOutputs(features: logits),
                logits: logits, classCount: 3)
        }
        let plain = try CrossEntropyTerm().loss(step(x)).item()
        #expect(abs(plain - nll) < 1e-6)
        let smooth = try CrossEntropyTerm(labelSmoothing: 0.2).loss(step(x)).item()
        #expect(abs(smooth - (0.8 * nll + 0.2 * uniform)) < 1e-6)
        #expect(CrossEntropyTerm().name == "ce")
    }

    @Test("top-1, top-5 and mean per-class accuracy equal a brute-force count (a class without samples is left out)")
    func metricsBruteForce() throws {
        let classes = 8
        var rng = SystemRandomNumberGenerator()
        let n = 61
        // Class 5 never occurs; labels otherwise spread.
        let labels = (0..<n).map { i -> Int in
            let c = i % 7; return c >= 5 ? c + 1 : c
        }
        let logits = (0..<n).map { _ in (0..<classes).map { _ in Float.random(in: -2...2, using: &rng) } }
        var accumulator = MetricAccumulator(classCount: classes, meanClass: true)
        // Two batches, as evaluation feeds them.
        try accumulator.add(logits: try Tensor(rows: Array(logits[0..<30])), labels: Array(labels[0..<30]))
        try accumulator.add(logits: try Tensor(rows: Array(logits[30...])), labels: Array(labels[30...]))
        let result = accumulator.result()

        var top1 = 0, top5 = 0
        var perClass = [Int: (hit: Int, total: Int)]()
        for (row, label) in zip(logits, labels) {
            let rank = row.filter { $0 > row[label] }.count // classes scoring above the true one
            if rank == 0 { top1 += 1 }
            if rank < 5 { top5 += 1 }
            perClass[label, default: (0, 0)].total += 1
            if rank == 0 { perClass[label, default: (0, 0)].hit += 1 }
        }
        #expect(perClass[5] == nil && perClass.count == 7)
        let meanClass = perClass.values.map { Double($0.hit) / Double($0.total) }.reduce(0, +) / 7
        #expect(result.top1 == Double(top1) / Double(n))
        #expect(result.top5 == Double(top5) / Double(n))
        #expect(abs(result.meanClass! - meanClass) < 1e-12)
        #expect(result.samples == n)

        var small = MetricAccumulator(classCount: 5, meanClass: false)
        try small.add(logits: try Tensor(rows: [[Float](repeating: 0.1, count: 5)]), labels: [0])
        #expect(small.result().top5 == nil && small.result().meanClass == nil)
    }
}
