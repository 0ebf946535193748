internal import CTorch
import Foundation
import Linalg

/// Process-wide libtorch settings: threads, seeding, version and build information.
public enum TorchRuntime {
    /// Held while code changes the thread count for a while (zoo pre-training runs
    /// its workers single-threaded): with OpenMP a change on one thread reaches
    /// threads that start later, so readers that need the process default take it
    /// too. Recursive, so nested scopes of one thread do not deadlock.
    public static let threadSettingLock = NSRecursiveLock()

    /// Intra-op threads (those one large operation is split across).
    ///
    /// libtorch would size this from the physical cores (1 on a 2-vCPU machine);
    /// the shim sets it to the logical core count when it is loaded, unless
    /// OMP_NUM_THREADS is set. OpenMP keeps the value per thread: a change reaches
    /// the calling thread and threads that have not yet run libtorch code, so set
    /// it early (as `configure` does), as with `torch.set_num_threads`.
    public static var threadCount: Int {
        get {
            var n: Int32 = 1
            _ = ht_runtime_num_threads(&n)
            return Int(n)
        }
        set { _ = ht_runtime_set_num_threads(Int32(Swift.max(1, newValue))) }
    }

    /// Inter-op threads (TorchScript's parallel forks). libtorch only accepts a
    /// change before the first parallel work starts; later calls throw.
    public static func setInteropThreadCount(_ n: Int) throws {
        try check("setInteropThreadCount", ht_runtime_set_num_interop_threads(Int32(n)))
    }

    public static var interopThreadCount: Int {
        var n: Int32 = 1
        _ = ht_runtime_num_interop_threads(&n)
        return Int(n)
    }

    /// Seeds libtorch's global generator (used when no `Generator` is passed,
    /// and by dropout).
    public static func manualSeed(_ seed: UInt64) {
        _ = ht_runtime_manual_seed(seed)
    }

    /// The libtorch version this package was compiled against ("1.13.0").
    public static var version: String {
        (try? stringResult("version") { ht_runtime_version($0) }) ?? "unknown"
    }

    /// libtorch's build configuration (compiler, BLAS, CPU capability, ...).
    public static var buildConfiguration: String {
        (try? stringResult("buildConfiguration") { ht_runtime_config($0) }) ?? ""
    }

    /// libtorch's parallel backend and current thread settings.
    public static var parallelInfo: String {
        (try? stringResult("parallelInfo") { ht_runtime_parallel_info($0) }) ?? ""
    }

    /// Sets up the process for fast CPU training. Call it first thing in `main`.
    ///
    /// 1. libtorch's matrix products run on the process's OpenBLAS, which picks
    ///    slow generic kernels on CPUs it does not recognise;
    ///    `BLASRuntime.ensureOptimizedKernels` re-executes the program with
    ///    OPENBLAS_CORETYPE set when that happens (it may not return).
    /// 2. libtorch's intra-op thread count is set to `threads` (default: the
    ///    number of active cores), and so is OpenBLAS's own thread pool, which
    ///    libtorch's thread setting does not reach.
    /// 3. With `tuneAllocator` (glibc only), large blocks up to 32 MiB stay in the
    ///    heap instead of being mapped and unmapped on every training step, which
    ///    saves the page faults of fresh mappings (about 20% of a small CNN's step
    ///    here). The process then holds on to up to 128 MiB of freed memory.
    public static func configure(
        threads: Int? = nil, tuneAllocator: Bool = true,
        arguments: [String] = CommandLine.arguments
    ) {
        BLASRuntime.ensureOptimizedKernels(arguments: arguments)
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        threadCount = count
        BLASRuntime.threadCount = count
        if tuneAllocator { tuneAllocatorForTraining() }
    }

    /// Fixed glibc mmap/trim thresholds (see `configure`); the environment
    /// variables MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_, when set, win.
    /// A no-op on other C libraries.
    @discardableResult
    static func tuneAllocatorForTraining() -> Bool {
        let env = ProcessInfo.processInfo.environment
        let mmap: Int64 = env["MALLOC_MMAP_THRESHOLD_"] == nil ? 32 << 20 : 0
        let trim: Int64 = env["MALLOC_TRIM_THRESHOLD_"] == nil ? 128 << 20 : 0
        return ht_runtime_set_allocator_thresholds(mmap, trim) == 0
    }
}
