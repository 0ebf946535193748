import Torch

/// DELTA's supervised channel attention (Li et al. 2019, Section 3.3): a channel
/// matters as much as the target loss rises when it is removed from the
/// pre-trained model under a classifier trained for the target task.
///
/// The reference (`calculate_channel_attention` in Transfer-Learning-Library)
/// trains a head on the frozen network, zeroes each filter of a named conv layer,
/// and turns the mean loss increases into weights with
/// softmax(standardise(increase) / 5). HubMiner's models are TorchScript stages,
/// not named conv layers, so this measures removal where it can be done exactly
/// without re-running the network: on the pooled representation (zeroing channel
/// j of an average-pooled map removes it from the linear head's input). The
/// weights therefore apply to feature maps with D channels, the map the
/// representation pools.
package enum DeltaAttention {
    /// - Parameters:
    ///   - features: [N, D] pre-trained representation of the training samples.
    ///   - labels: N target ids in 0..<classCount.
    ///   - steps: full-batch Adam steps fitting the linear head (zero start).
    /// - Returns: [D] float32 weights summing to 1.
    package static func channelWeights(
        features: Tensor, labels: [Int], classCount: Int, steps: Int = 100,
        learningRate: Double = 0.01, softmaxTemperature: Double = 5
    ) throws -> Tensor {
        let op = "DeltaAttention.channelWeights"
        try LossChecks.rank(features, 2, "features", op)
        let n = features.shape[0], d = features.shape[1]
        guard n == labels.count, n > 0 else {
            throw TorchError.invalidArgument(operation: op, message: "\(n) feature rows for \(labels.count) labels")
        }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw TorchError.invalidArgument(operation: op, message: "label \(bad) is outside 0..<\(classCount)")
        }
        // Fitted on the CPU (features from a GPU are copied); the weights go back to features' device.
        let x = try features.detach().to(.float32).to(.cpu)
        let y = try Tensor(labels.map(Int64.init), shape: [n])
        let weight = try Tensor.zeros([classCount, d]).requiresGrad(true)
        let bias = try Tensor.zeros([classCount]).requiresGrad(true)
        let optimizer = try Adam([ParameterGroup([weight, bias])], options: .init(learningRate: learningRate))
        try Autograd.withGradEnabled(true) {
            for _ in 0..<steps {
                try weight.zeroGrad()
                try bias.zeroGrad()
                try Loss.crossEntropy(Functional.linear(x, weight: weight, bias: bias), y).backward()
                try optimizer.step()
            }
        }
        return try withNoGrad {
            let logits = try Functional.linear(x, weight: weight, bias: bias)
            let base = try Loss.crossEntropy(logits, y).item()
            // Removing channel j subtracts x[:, j] · W[:, j] from every logit; chunks of
            // channels keep the [N, chunk, C] tensor near 4M elements.
            let chunk = Swift.max(1, Swift.min(d, 4_000_000 / Swift.max(1, n * classCount)))
            var increases = [Double]()
            increases.reserveCapacity(d)
            var start = 0
            while start < d {
                let width = Swift.min(chunk, d - start)
                let xs = try x.narrow(dim: 1, start: start, length: width).unsqueeze(dim: 2)
                let ws = try weight.narrow(dim: 1, start: start, length: width).t().unsqueeze(dim: 0)
                let removed = try logits.unsqueeze(dim: 1) - xs * ws
                let picked = try removed.gather(dim: 2, y.view([n, 1, 1]).expand([n, width, 1])).squeeze(dim: 2)
                let losses = try (removed.logsumexp(dims: [2]) - picked).mean(dim: 0)
                increases += try losses.to(.float64).toArray(of: Double.self).map { $0 - base }
                start += width
            }
            let mean = increases.reduce(0, +) / Double(d)
            let std = (increases.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)).squareRoot()
            // Equal increases (or one channel) carry no preference: uniform weights.
            let standardised = increases.map { std > 0 ? ($0 - mean) / std : 0 }
            return try Tensor(standardised.map { Float($0 / softmaxTemperature) }, shape: [d]).softmax(dim: 0).to(features.device)
        }
    }
}
