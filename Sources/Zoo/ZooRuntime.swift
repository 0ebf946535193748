import Torch

/// Process set-up for building a zoo, for callers that do not import the Torch
/// layer themselves (the command line).
package enum ZooRuntime {
    /// `TorchRuntime.configure`: optimised BLAS kernels, `threads` intra-op threads
    /// (default: every core), the allocator thresholds for training.
    package static func configure(threads: Int? = nil) {
        TorchRuntime.configure(threads: threads)
    }
}
