import Foundation
import Torch

/// How a zoo model is pre-trained on its source task.
package struct PretrainingOptions: Codable, Sendable, Equatable {
    package var epochs: Int
    package var batchSize: Int
    /// Peak learning rate of AdamW (after the linear warm-up, before the cosine decay).
    package var learningRate: Double
    package var weightDecay: Double
    /// Fraction of the steps spent warming up linearly from a third of the rate.
    package var warmupFraction: Double

    package init(epochs: Int, batchSize: Int = 32, learningRate: Double = 3e-3, weightDecay: Double = 0.05, warmupFraction: Double = 0.05) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.warmupFraction = warmupFraction
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case warmupFraction = "warmup_fraction"
    }
}

/// What pre-training achieved.
package struct PretrainingSummary: Codable, Sendable, Equatable {
    package var epochs: Int
    package var steps: Int
    /// Mean training loss over the last epoch.
    package var finalLoss: Double
    /// Accuracy on the source task's test split, in eval mode.
    package var sourceAccuracy: Double
    package var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epochs, steps, finalLoss = "final_loss", sourceAccuracy = "source_accuracy", seconds
    }
}

/// Supervised training from scratch in float32: AdamW, linear warm-up then cosine
/// decay to zero, cross-entropy, shuffled mini-batches (a seeded order per epoch),
/// the last partial batch kept. Batch norm runs in training mode during training
/// (batch statistics, running averages updated) and the model is left in eval mode.
package enum Pretrainer {
    /// Called after every epoch with (epochs done, epochs, mean training loss of the epoch).
    package typealias EpochObserver = (Int, Int, Double) -> Void

    package static func train(
        _ network: ScriptModule, task: GeneratedTask, options: PretrainingOptions, seed: UInt64,
        name: String, onEpoch: EpochObserver? = nil
    ) throws -> PretrainingSummary {
        guard options.epochs >= 1, options.batchSize >= 1, options.learningRate > 0 else {
            throw ZooError.invalidArgument("\(name): pre-training needs epochs >= 1, batch size >= 1 and a positive learning rate")
        }
        let started = Date()
        do {
            let train = task.train
            let images = try Tensor(taking: train.floatImages(), shape: [train.count] + train.sampleShape)
            let labels = try Tensor(train.labels.map(Int64.init))
            let parameters = try network.parameters()
            for p in parameters { try p.requiresGrad(true) }
            let optimizer = try Adam(parameters, options: .adamW(learningRate: options.learningRate, weightDecay: options.weightDecay))
            let batchesPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
            let totalSteps = batchesPerEpoch * options.epochs
            let warmup = max(1, Int((Double(totalSteps) * options.warmupFraction).rounded()))
            let scheduler = LearningRateScheduler(
                optimizer: optimizer,
                schedule: WarmupSchedule(
                    warmup: LinearWarmup(steps: warmup), then: CosineSchedule(period: max(1, totalSteps - warmup))))
            try network.train()
            var step = 0
            var lastEpochLoss = 0.0
            for epoch in 0..<options.epochs {
                var order = Array(0..<train.count)
                var rng = ZooRandom(seed: seed, stream: stableHash("epoch"), index: UInt64(epoch))
                rng.shuffle(&order)
                var epochLoss = 0.0
                for b in 0..<batchesPerEpoch {
                    let indices = Array(order[(b * options.batchSize)..<min(train.count, (b + 1) * options.batchSize)])
                    let index = try Tensor(indices.map(Int64.init))
                    let x = try images.indexSelect(dim: 0, index)
                    let y = try labels.indexSelect(dim: 0, index)
                    try optimizer.zeroGrad()
                    let loss = try Loss.crossEntropy(try network.forward(x), y)
                    try loss.backward()
                    try optimizer.step()
                    scheduler.step()
                    let value = try loss.item()
                    guard value.isFinite else {
                        throw ZooError.trainingFailed(
                            model: name, message: "the loss became \(value) at step \(step + 1) (learning rate \(options.learningRate) too high?)")
                    }
                    epochLoss += value * Double(indices.count)
                    step += 1
                }
                lastEpochLoss = epochLoss / Double(train.count)
                onEpoch?(epoch + 1, options.epochs, lastEpochLoss)
            }
            try network.eval()
            for p in parameters { try p.requiresGrad(false) }
            let accuracy = try Self.accuracy(network, on: task.test)
            return PretrainingSummary(
                epochs: options.epochs, steps: step, finalLoss: lastEpochLoss, sourceAccuracy: accuracy,
                seconds: Date().timeIntervalSince(started))
        } catch let error as ZooError {
            throw error
        } catch {
            throw ZooError.trainingFailed(model: name, message: "\(error)")
        }
    }

    /// Top-1 accuracy of `forward` on a split, in eval mode, without gradients.
    package static func accuracy(_ network: ScriptModule, on split: GeneratedSplit, batchSize: Int = 256) throws -> Double {
        try network.eval()
        let pixels = split.floatImages()
        let sampleSize = split.sampleShape.reduce(1, *)
        var correct = 0
        try withNoGrad {
            for start in stride(from: 0, to: split.count, by: batchSize) {
                let end = min(split.count, start + batchSize)
                let x = try Tensor(Array(pixels[(start * sampleSize)..<(end * sampleSize)]), shape: [end - start] + split.sampleShape)
                let predicted = try network.forward(x).argmax(dim: 1).toArray(of: Int64.self)
                for (i, p) in predicted.enumerated() where Int(p) == split.labels[start + i] { correct += 1 }
            }
        }
        return Double(correct) / Double(max(1, split.count))
    }
}
