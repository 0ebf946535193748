import Foundation
internal import CLapack
import Support

/// Process-wide settings of the BLAS library (Debian's OpenBLAS).
///
/// Two facts about Debian's OpenBLAS 0.3.21 shape this type:
/// - It picks its kernels once, when the library is loaded, from the CPU it sees,
///   and it does not recognise recent Intel cores: it falls back to generic
///   "Prescott" kernels that are 4-5x slower. The only cure is the environment
///   variable `OPENBLAS_CORETYPE`, read at load time, so a program must set it and
///   re-execute itself (`ensureOptimizedKernels(arguments:)`).
/// - Its thread count is global to the process (`openblas_set_num_threads`).
public enum BLASRuntime {
    /// The kernel family OpenBLAS chose (for example "Haswell", "SkylakeX", "Prescott").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration string.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The number of threads BLAS calls may use.
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(Swift.max(1, newValue))) }
    }

    /// Runs `body` with BLAS limited to `threads` threads, restoring the previous count.
    public static func withThreadCount<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = threadCount
        threadCount = threads
        defer { threadCount = previous }
        return try body()
    }

    /// Kernel families that mean OpenBLAS did not recognise a modern CPU.
    static let genericCoreNames: Set<String> = [
        "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine", "Northwood", "Banias", "Unknown",
    ]

    /// The kernel family this CPU should use, from its instruction-set flags, or nil
    /// when OpenBLAS's own detection can be trusted (or the CPU is not x86-64).
    public static func recommendedCoreType(cpuFlags: Set<String>? = nil) -> String? {
        guard let flags = cpuFlags ?? readCPUFlags() else { return nil }
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        if flags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The flags line of /proc/cpuinfo, or nil where there is none.
    static func readCPUFlags() -> Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return nil
    }

    /// Whether OpenBLAS is running generic kernels although the CPU supports better ones.
    public static var isUsingGenericKernels: Bool {
        genericCoreNames.contains(coreName) && recommendedCoreType() != nil
    }

    /// Re-executes the current program with `OPENBLAS_CORETYPE` set when OpenBLAS
    /// picked generic kernels for a CPU that has better ones. Returns normally when
    /// nothing needs to change (already right, already re-executed once, or the
    /// user set `OPENBLAS_CORETYPE` themselves). Call it first thing in `main`.
    ///
    /// The environment variable also reaches every library in the process that
    /// uses the same OpenBLAS (libtorch's matrix products included).
    public static func ensureOptimizedKernels(arguments: [String] = CommandLine.arguments) {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env["HUBMINER_BLAS_REEXEC"] == nil else { return }
        guard isUsingGenericKernels, let core = recommendedCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("HUBMINER_BLAS_REEXEC", "1", 1)
        // Returns only on failure: carry on with the slow kernels rather than fail.
        ProgramExecution.reexecuteSelf(arguments: arguments)
    }
}
