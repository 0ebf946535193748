import Torch

/// Cross-entropy of the new head's logits against the target labels: the first
/// term of every method's loss (log key "ce"), optionally with label smoothing.
package final class CrossEntropyTerm: LossTerm {
    package let name = "ce"
    package let weight: Double
    package let labelSmoothing: Double

    package init(weight: Double = 1, labelSmoothing: Double = 0) {
        self.weight = weight
        self.labelSmoothing = labelSmoothing
    }

    package func loss(_ step: TrainingStep) throws -> Tensor {
        try Loss.crossEntropy(step.logits, step.labels, labelSmoothing: labelSmoothing)
    }
}
