import Foundation
import Torch

/// How extraction splits the cores between libtorch and data loading.
///
/// Rule: when decoding is heavy (image files: PNG/JPEG decoding and resizing per
/// sample) on a machine with at least 4 cores, `workers = cores / 4` loader threads
/// decode ahead and libtorch gets the remaining `cores - workers`, so the two never
/// compete for a core. With fewer cores, giving a whole core away costs libtorch
/// half its speed or more while decoding needs only part of a core: libtorch keeps
/// every core and one loader thread shares them (on 2 cores, 1 + 1 threads ran at
/// 61 images/s, 2 + 1 at 76; benchmarks/extraction/RESULTS.md). When decoding is
/// light (arrays, idx, CIFAR and CSV files, whose samples are copies out of memory)
/// one loader thread is enough, it mostly waits, and libtorch gets every core.
package struct ExtractionThreads: Sendable, Equatable {
    package var torch: Int
    package var loaderWorkers: Int

    package init(torch: Int, loaderWorkers: Int) {
        self.torch = torch
        self.loaderWorkers = loaderWorkers
    }

    package static func plan(cores: Int, heavyDecoding: Bool) -> ExtractionThreads {
        let cores = max(1, cores)
        guard heavyDecoding, cores >= 4 else { return ExtractionThreads(torch: cores, loaderWorkers: 1) }
        let workers = cores / 4
        return ExtractionThreads(torch: cores - workers, loaderWorkers: workers)
    }

    /// Sets libtorch's intra-op threads (and OpenBLAS's) for the calling thread, which
    /// runs the forward passes, and keeps large freed blocks in the heap: every batch
    /// allocates the same activation sizes again, and with glibc's defaults each of
    /// them would be a fresh mapping with its page faults (measured in
    /// benchmarks/extraction/RESULTS.md).
    package func apply() {
        TorchRuntime.configure(threads: torch, tuneAllocator: true)
    }
}
