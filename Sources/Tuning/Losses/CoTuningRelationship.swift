import Torch

/// Co-Tuning's category relationship p(y_s | y_t), learnt by the paper's direct
/// approach: the pre-trained model's source-class probabilities averaged over the
/// training samples of each target class (You et al. 2020, Section 4.2;
/// `direct_relationship_learning` in the authors' code).
package enum CoTuningRelationship {
    /// - Parameters:
    ///   - sourceLogits: [N, S] source-head logits of the pre-trained model on the
    ///     training samples, in the order of `labels`.
    ///   - labels: N target class ids in 0..<classCount.
    ///   - temperature: softmax(logits / T). The paper calibrates the source model
    ///     (temperature scaling fitted on held-out *source* data), which needs the
    ///     source dataset; T = 1 uses the probabilities as the model gives them.
    /// - Returns: [classCount, S] float32, rows summing to 1. A target class with no
    ///   training sample gets the average over all samples (the source marginal),
    ///   so its row is still a distribution.
    package static func direct(sourceLogits: Tensor, labels: [Int], classCount: Int, temperature: Double = 1) throws -> Tensor {
        let op = "CoTuningRelationship.direct"
        try LossChecks.rank(sourceLogits, 2, "source logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        guard sourceLogits.shape[0] == labels.count, !labels.isEmpty else {
            throw TorchError.invalidArgument(operation: op, message: "\(sourceLogits.shape[0]) rows of source logits for \(labels.count) labels")
        }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw TorchError.invalidArgument(operation: op, message: "label \(bad) is outside 0..<\(classCount)")
        }
        return try withNoGrad {
            // float64 so long class averages do not lose digits.
            let probabilities = try (sourceLogits.detach().to(.float64) / temperature).softmax(dim: 1)
            var rowsOfClass = [[Int]](repeating: [], count: classCount)
            for (row, label) in labels.enumerated() { rowsOfClass[label].append(row) }
            let marginal = try probabilities.mean(dim: 0)
            let rows = try rowsOfClass.map { rows in
                rows.isEmpty ? marginal : try probabilities.indexSelect(dim: 0, rows).mean(dim: 0)
            }
            return try Tensor.stack(rows, dim: 0).to(.float32)
        }
    }
}
