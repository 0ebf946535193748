import Torch

/// `info`'s lines about the deep-learning runtime (libtorch's version and threads).
package enum TorchInfo {
    package static var lines: [String] {
        ["libtorch:     \(TorchRuntime.version)", "libtorch threads: \(TorchRuntime.threadCount)"]
    }
}
