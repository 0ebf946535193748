import Torch

/// Accuracy of one evaluation: top-1, top-5 (only with more than 5 classes) and
/// mean per-class accuracy (when asked for), as fractions in 0...1.
package struct ClassificationMetrics: Sendable, Equatable, Codable {
    package var top1: Double
    package var top5: Double?
    /// The mean over classes that have at least one sample of the per-class top-1
    /// accuracy; a class absent from the split is left out rather than counted as 0.
    package var meanClass: Double?
    /// Mean cross-entropy of the head's logits (validation only).
    package var loss: Double?
    package var samples: Int

    enum CodingKeys: String, CodingKey {
        case top1, top5, meanClass = "mean_class", loss, samples
    }
}

/// Accumulates predictions batch by batch and computes `ClassificationMetrics`.
package struct MetricAccumulator {
    package let classCount: Int
    package let meanClass: Bool
    private var correct1 = 0
    private var correct5 = 0
    private var perClassCorrect: [Int]
    private var perClassTotal: [Int]
    private var lossSum = 0.0
    private(set) var samples = 0

    package init(classCount: Int, meanClass: Bool) {
        self.classCount = classCount
        self.meanClass = meanClass
        perClassCorrect = Array(repeating: 0, count: classCount)
        perClassTotal = Array(repeating: 0, count: classCount)
    }

    /// Adds a batch: `logits` [B, C], `labels` the B class ids.
    package mutating func add(logits: Tensor, labels: [Int], loss: Double? = nil) throws {
        let batch = labels.count
        guard logits.rank == 2, logits.shape == [batch, classCount] else {
            throw TuningError.model(name: "head", message: "logits of shape \(logits.shape), expected [\(batch), \(classCount)]")
        }
        let k = Swift.min(5, classCount)
        let top = try logits.topk(k, dim: 1).indices.toArray(of: Int64.self)
        for (row, label) in labels.enumerated() {
            let predictions = top[(row * k)..<((row + 1) * k)]
            let hit1 = Int(predictions.first!) == label
            if hit1 { correct1 += 1 }
            if predictions.contains(Int64(label)) { correct5 += 1 }
            perClassTotal[label] += 1
            if hit1 { perClassCorrect[label] += 1 }
        }
        if let loss { lossSum += loss * Double(batch) }
        samples += batch
    }

    /// Every count and sum as numbers, so the accumulators of several processes
    /// (each over its shard of the split) can be added by one all-reduce.
    var packed: [Double] {
        [Double(correct1), Double(correct5), lossSum, Double(samples)] + perClassCorrect.map(Double.init) + perClassTotal.map(Double.init)
    }

    /// Takes the counts of `packed` (for example summed over processes).
    mutating func unpack(_ values: [Double]) {
        precondition(values.count == 4 + 2 * classCount, "MetricAccumulator.unpack: \(values.count) values for \(classCount) classes")
        correct1 = Int(values[0].rounded())
        correct5 = Int(values[1].rounded())
        lossSum = values[2]
        samples = Int(values[3].rounded())
        perClassCorrect = values[4..<(4 + classCount)].map { Int($0.rounded()) }
        perClassTotal = values[(4 + classCount)...].map { Int($0.rounded()) }
    }

    package func result(withLoss: Bool = false) -> ClassificationMetrics {
        let n = Double(Swift.max(samples, 1))
        var perClass = [Double]()
        for c in 0..<classCount where perClassTotal[c] > 0 {
            perClass.append(Double(perClassCorrect[c]) / Double(perClassTotal[c]))
        }
        return ClassificationMetrics(
            top1: Double(correct1) / n,
            top5: classCount > 5 ? Double(correct5) / n : nil,
            meanClass: meanClass ? (perClass.isEmpty ? 0 : perClass.reduce(0, +) / Double(perClass.count)) : nil,
            loss: withLoss ? lossSum / n : nil,
            samples: samples)
    }
}
