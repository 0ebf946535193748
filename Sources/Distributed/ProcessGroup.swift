internal import CTorch
import Foundation
import Torch

/// A group of processes that exchange tensors through libtorch's distributed
/// runtime: c10d's Gloo backend over TCP, with a TCPStore on rank 0 for the
/// rendezvous.
///
/// Every rank must call the same collectives in the same order with tensors of the
/// same shapes and dtypes. Each call blocks until it completes on this rank or
/// fails: a peer that exited or stays silent beyond `timeout` makes it throw
/// `DistributedError.collective` rather than hang.
///
/// Not `Sendable`: one thread drives a group (Gloo's own worker threads do the
/// communication).
package final class ProcessGroup {
    /// Internal so other collectives of this module (the overlapping reducer) reach the group.
    let handle: OpaquePointer
    package let rank: Int
    package let worldSize: Int
    /// Seconds allowed for the rendezvous and for each collective.
    package let timeout: Double

    package enum ReduceOp: Sendable {
        case sum
        /// The sum divided by the world size.
        case average
    }

    /// Joins the group described by `environment`; returns once every rank has
    /// joined, or throws after `environment.timeout` seconds.
    package init(_ environment: DistributedEnvironment) throws {
        let master = "\(environment.masterAddress):\(environment.masterPort)"
        // Gloo's device: a named interface wins; all-loopback runs bind to loopback;
        // otherwise libtorch resolves this machine's hostname.
        let hostname: String? = environment.socketInterface == nil && environment.isLoopback ? "127.0.0.1" : nil
        var out: OpaquePointer? = nil
        let status = ht_dist_init(
            environment.masterAddress, Int32(environment.masterPort), Int32(environment.rank),
            Int32(environment.worldSize), Int64((environment.timeout * 1000).rounded(.up)),
            environment.socketInterface, hostname, &out)
        guard status == 0, let out else {
            throw DistributedError.initialization(
                master: master, rank: environment.rank,
                worldSize: environment.worldSize, message: lastErrorMessage())
        }
        handle = out
        rank = environment.rank
        worldSize = environment.worldSize
        timeout = environment.timeout
    }

    /// Joins the group the launch variables describe (RANK, WORLD_SIZE,
    /// MASTER_ADDR, MASTER_PORT; see `DistributedEnvironment`), with the backend
    /// the ranks' device needs (`Backend.for(_:)`).
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, backend: Backend = .gloo
    ) throws -> ProcessGroup {
        try backend.requireAvailable()
        return try ProcessGroup(DistributedEnvironment.parse(environment))
    }

    /// c10d's backends: Gloo for tensors on the CPU, NCCL for tensors on GPUs.
    package enum Backend: String, Sendable, CaseIterable {
        case gloo, nccl

        /// The backend for ranks whose tensors live on `device`.
        package static func `for`(_ device: Device) -> Backend {
            device == .cpu ? .gloo : .nccl
        }

        /// Whether this build can create the backend's groups.
        package var isAvailable: Bool { self == .gloo }

        /// Throws, saying why and what to do, when this build cannot create the backend's groups.
        package func requireAvailable() throws {
            guard !isAvailable else { return }
            // Why (docs/DISTRIBUTED.md, "GPUs and NCCL"): ProcessGroupNCCL lives in
            // libtorch_cuda, which this build never links (it is dlopened only when a
            // GPU is asked for), and its header needs CUDA's and NCCL's headers.
            throw DistributedError.backendUnavailable(
                backend: rawValue,
                message:
                    "data-parallel runs on GPUs need c10d's NCCL backend, which this build does not include (it lives in libtorch_cuda, loaded only at run time); use --device cpu for data-parallel tuning (Gloo), or tune on one GPU without --nproc/--distributed"
            )
        }
    }

    deinit {
        ht_dist_free(handle)
    }

    // MARK: Collectives

    /// Reduces each tensor in place across ranks (float32 or float64, contiguous).
    package func allReduce(_ tensors: [Tensor], op: ReduceOp = .sum) throws {
        let code = op == .sum ? Int32(HT_DIST_SUM) : Int32(HT_DIST_AVERAGE)
        try run("all-reduce") {
            withHandles(tensors) { hs in hs.withUnsafeBufferPointer { ht_dist_all_reduce(handle, $0.baseAddress, Int64(hs.count), code) } }
        }
    }

    /// Overwrites each tensor in place with rank `root`'s.
    package func broadcast(_ tensors: [Tensor], from root: Int = 0) throws {
        guard (0..<worldSize).contains(root) else {
            throw DistributedError.invalidArgument(operation: "broadcast", message: "root \(root) is not in 0..<\(worldSize)")
        }
        try run("broadcast") {
            withHandles(tensors) { hs in hs.withUnsafeBufferPointer { ht_dist_broadcast(handle, $0.baseAddress, Int64(hs.count), Int32(root)) } }
        }
    }

    /// Every rank's `tensor` (same shape and dtype on every rank), in rank order.
    package func allGather(_ tensor: Tensor) throws -> [Tensor] {
        var list: OpaquePointer? = nil
        try run("all-gather") { tensor.withHandle { ht_dist_all_gather(handle, $0, &list) } }
        guard let list else {
            throw DistributedError.collective(operation: "all-gather", rank: rank, worldSize: worldSize, message: "no result")
        }
        defer { ht_tensor_list_free(list) }
        return try TensorList.tensors(of: list)
    }

    /// Returns once every rank has reached it.
    package func barrier() throws {
        try run("barrier") { ht_dist_barrier(handle) }
    }

    private func run(_ operation: String, _ body: () -> Int32) throws {
        let status = withExtendedLifetime(self) { body() }
        if status != 0 {
            throw DistributedError.collective(
                operation: operation, rank: rank, worldSize: worldSize,
                message: lastErrorMessage())
        }
    }
}
