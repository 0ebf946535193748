import Foundation
import Support
import Torch

/// Where the NCCL process-group plugin is (docs/DISTRIBUTED.md, "GPUs and NCCL").
///
/// c10d's NCCL group lives in libtorch_cuda and its header needs CUDA's and NCCL's
/// headers, so it cannot be part of a build that must also start on machines
/// without CUDA. `bash scripts/dev.sh nccl` compiles it, on a machine with a CUDA
/// build of PyTorch of the linked version, into `libhubminer_nccl.so`; the shim
/// loads it when a data-parallel run on GPUs creates its group. Looked for, in
/// order: `$HUBMINER_NCCL_PLUGIN`; `libhubminer_nccl.so` beside the running
/// executable (where a release build travels with it); the per-machine cache
/// (`$HUBMINER_CACHE_DIR`, else `$XDG_CACHE_HOME/hubminer`, else
/// `~/.cache/hubminer`) under `nccl-<libtorch version>/`.
package enum NCCLPlugin {
    package static let fileName = "libhubminer_nccl.so"
    /// The libtorch version the plugin must be built against: the linked one
    /// (major.minor.patch, without a local tag such as "+cu130"); the shim checks
    /// the plugin's own record of it when loading.
    package static var torchVersion: String {
        String(TorchRuntime.version.prefix { $0 != "+" })
    }

    /// The plugin's location, or an error saying where it was looked for and how
    /// to build it.
    package static func require(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        let fm = FileManager.default
        if let explicit = environment["HUBMINER_NCCL_PLUGIN"], !explicit.isEmpty {
            guard fm.fileExists(atPath: explicit) else {
                throw DistributedError.backendUnavailable(
                    backend: "nccl",
                    message:
                        "HUBMINER_NCCL_PLUGIN is \(explicit), which does not exist; build the plugin with `bash scripts/dev.sh nccl`, or use --device cpu for data-parallel tuning (Gloo)"
                )
            }
            return URL(fileURLWithPath: explicit)
        }
        let candidates = searchPath(environment)
        if let found = candidates.first(where: { fm.fileExists(atPath: $0.path) }) { return found }
        throw DistributedError.backendUnavailable(
            backend: "nccl",
            message:
                "data-parallel runs on GPUs need c10d's NCCL backend, a plugin built apart from HubMiner because it needs libtorch_cuda and CUDA's headers; build it with `bash scripts/dev.sh nccl` on a machine with PyTorch \(torchVersion) for CUDA (pip), or set HUBMINER_NCCL_PLUGIN (looked in \(candidates.map(\.path).joined(separator: ", "))); or use --device cpu for data-parallel tuning (Gloo), or tune on one GPU without --nproc/--distributed"
        )
    }

    /// Beside the executable, then the per-machine cache.
    static func searchPath(_ environment: [String: String]) -> [URL] {
        [
            ProgramExecution.currentExecutable.deletingLastPathComponent().appendingPathComponent(fileName),
            CacheDirectory.default(environment: environment).appendingPathComponent("nccl-\(torchVersion)")
                .appendingPathComponent(fileName),
        ]
    }
}
