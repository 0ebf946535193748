import Torch

/// The new classifier over the target classes: logits = features · Wᵀ + b, with W
/// [C, D] drawn from N(0, 0.01²) (standard deviation 0.01) and b = 0, the usual
/// initialisation of a fine-tuning head. Seeded, so a run is reproducible.
package final class LinearHead {
    package let weight: Tensor
    package let bias: Tensor

    package init(features: Int, classes: Int, seed: UInt64) throws {
        guard features > 0, classes > 0 else {
            throw TuningError.model(name: "head", message: "needs a positive feature dimension and class count, got \(features) -> \(classes)")
        }
        let generator = try Generator(seed: seed)
        weight = try Tensor.zeros([classes, features]).normal_(mean: 0, std: 0.01, generator: generator).requiresGrad(true)
        bias = try Tensor.zeros([classes]).requiresGrad(true)
    }

    package var parameters: [Tensor] { [weight, bias] }
    package var classCount: Int { weight.shape[0] }
    package var featureDimension: Int { weight.shape[1] }

    package func callAsFunction(_ features: Tensor) throws -> Tensor {
        try Functional.linear(features, weight: weight, bias: bias)
    }
}
