import Torch

/// Data-parallel training: after `backward()` and before `optimizer.step()`,
/// `synchronize()` replaces every parameter's gradient by its average over the
/// ranks, so each rank takes the same step as one process on the whole global
/// batch (when every rank's loss is the mean over an equal shard).
///
/// Gradients are packed into buckets of about `bucketBytes` (same dtype,
/// parameter order), one all-reduce per bucket: few large messages instead of
/// one per parameter. The reduction runs after the whole backward pass;
/// `OverlappingGradientReducer` gives the same result while backward runs (the
/// trainer's default); this one stays as the reference it is compared with.
package final class GradientSynchronizer {
    package let group: ProcessGroup
    package let parameters: [Tensor]
    package let bucketBytes: Int
    /// Parameter indices per bucket, fixed at creation so every rank packs alike.
    package let buckets: [[Int]]

    package static let defaultBucketBytes = 25 << 20

    package init(group: ProcessGroup, parameters: [Tensor], bucketBytes: Int = GradientSynchronizer.defaultBucketBytes) throws {
        guard bucketBytes > 0 else {
            throw DistributedError.invalidArgument(operation: "GradientSynchronizer", message: "bucket size must be positive, got \(bucketBytes)")
        }
        for (i, p) in parameters.enumerated() where p.dtype != .float32 && p.dtype != .float64 {
            throw DistributedError.invalidArgument(
                operation: "GradientSynchronizer", message: "parameter \(i) is \(p.dtype); expected float32 or float64")
        }
        self.group = group
        self.parameters = parameters
        self.bucketBytes = bucketBytes
        var buckets = [[Int]]()
        var current = [Int]()
        var bytes = 0
        for (i, p) in parameters.enumerated() {
            let size = p.count * (p.dtype == .float64 ? 8 : 4)
            let fits = current.isEmpty || (parameters[current[0]].dtype == p.dtype && bytes + size <= bucketBytes)
            if !fits {
                buckets.append(current)
                current = []
                bytes = 0
            }
            current.append(i)
            bytes += size
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
    }

    /// Averages the gradients across ranks in place. A parameter without a
    /// gradient on this rank counts as a zero gradient and receives the average,
    /// so bucket layouts agree on every rank.
    package func synchronize() throws {
        guard group.worldSize > 1 else { return }
        for bucket in buckets {
            let grads = try bucket.map { i -> Tensor in
                let p = parameters[i]
                if let g = p.grad { return g }
                let zero = try Tensor.zeros(p.shape, dtype: p.dtype)
                try p.setGrad(zero)
                return zero
            }
            let flat = try Tensor.cat(grads.map { try $0.reshape([-1]) })
            try group.allReduce([flat], op: .average)
            var offset = 0
            try withNoGrad {
                for g in grads {
                    let n = g.count
                    try g.copy_(try flat.narrow(dim: 0, start: offset, length: n).reshape(g.shape))
                    offset += n
                }
            }
        }
    }
}
