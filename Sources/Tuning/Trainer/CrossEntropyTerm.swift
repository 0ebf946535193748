import Torch

/// Cross-entropy of the new head's logits against the target labels: the first
/// term of every method's loss (log key "ce"), optionally with label smoothing.
public final class CrossEntropyTerm: LossTerm {
    public let name = "ce"
    public let weight: Double
    public let labelSmoothing: Double

    public init(weight: Double = 1, labelSmoothing: Double = 0) {
        self.weight = weight
        self.labelSmoothing = labelSmoothing
    }

    public func loss(_ step: TrainingStep) throws -> Tensor {
        try Loss.crossEntropy(step.logits, step.labels, labelSmoothing: labelSmoothing)
    }
}
