import Torch

/// Process set-up for building a zoo, for callers that do not import the Torch
/// layer themselves (the command line).
public enum ZooRuntime {
    /// `TorchRuntime.configure`: optimised BLAS kernels, `threads` intra-op threads
    /// (default: every core), the allocator thresholds for training.
    public static func configure(threads: Int? = nil) {
        TorchRuntime.configure(threads: threads)
    }
}
