import Torch

/// A frozen teacher: runs its model without gradient, and caches per-sample
/// outputs (features and source logits) by dataset index while inputs are not
/// augmented, so each training sample is seen by the teacher once.
///
/// Hints are never cached: they are large, and only hint-based methods need them.
/// Put the wrapped model in eval mode before training (`HubModel.freeze()`).
package final class Teacher {
    package let runner: any ModelRunner
    /// Row caches keyed by dataset index.
    private var featureRows: [Int: Tensor] = [:]
    private var sourceRows: [Int: Tensor] = [:]
    package private(set) var cacheHits = 0
    package private(set) var cacheMisses = 0

    package init(_ runner: any ModelRunner) {
        self.runner = runner
    }

    package var name: String { runner.name }

    /// The teacher's outputs on `step.input`, without gradient.
    package func outputs(for step: TrainingStep, needs: OutputNeeds = []) throws -> ModelOutputs {
        let cacheable = !step.augmented && !needs.contains(.hints)
        if cacheable, let cached = try cachedOutputs(step.indices, needs: needs) {
            cacheHits += 1
            return cached
        }
        cacheMisses += 1
        let outputs = try withNoGrad { try runner.outputs(step.input, needs: needs) }
        if cacheable {
            for (row, index) in step.indices.enumerated() {
                featureRows[index] = try outputs.features.select(dim: 0, index: row).clone()
                if let source = outputs.sourceLogits {
                    sourceRows[index] = try source.select(dim: 0, index: row).clone()
                }
            }
        }
        return outputs
    }

    private func cachedOutputs(_ indices: [Int], needs: OutputNeeds) throws -> ModelOutputs? {
        var features: [Tensor] = []
        var source: [Tensor] = []
        features.reserveCapacity(indices.count)
        for index in indices {
            guard let row = featureRows[index] else { return nil }
            features.append(row)
            if needs.contains(.sourceLogits) {
                guard let s = sourceRows[index] else { return nil }
                source.append(s)
            }
        }
        return ModelOutputs(
            features: try Tensor.stack(features, dim: 0),
            sourceLogits: needs.contains(.sourceLogits) ? try Tensor.stack(source, dim: 0) : nil)
    }
}
