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

    /// Joins the group described by `environment` on `backend`; returns once every
    /// rank has joined, or throws after `environment.timeout` seconds. NCCL groups
    /// reduce tensors on `device` (this rank's GPU), which must be a GPU; Gloo's are
    /// on the CPU.
    /// `plugin`: the NCCL plugin to load (nil: `NCCLPlugin.require()`).
    package init(_ environment: DistributedEnvironment, backend: Backend = .gloo, device: Device = .cpu, plugin: URL? = nil) throws {
        let master = "\(environment.masterAddress):\(environment.masterPort)"
        let timeoutMilliseconds = Int64((environment.timeout * 1000).rounded(.up))
        var out: OpaquePointer? = nil
        let status: Int32
        switch backend {
        case .gloo:
            // Gloo's device: a named interface wins; all-loopback runs bind to loopback;
            // otherwise libtorch resolves this machine's hostname.
            let hostname: String? = environment.socketInterface == nil && environment.isLoopback ? "127.0.0.1" : nil
            status = ht_dist_init(
                environment.masterAddress, Int32(environment.masterPort), Int32(environment.rank),
                Int32(environment.worldSize), timeoutMilliseconds, environment.socketInterface, hostname, &out)
        case .nccl:
            guard case .cuda(let index) = device else {
                throw DistributedError.invalidArgument(
                    operation: "process group", message: "the NCCL backend reduces tensors on a GPU, not on \(device)")
            }
            let plugin = try plugin ?? NCCLPlugin.require()
            status = ht_dist_init_nccl(
                environment.masterAddress, Int32(environment.masterPort), Int32(environment.rank),
                Int32(environment.worldSize), timeoutMilliseconds, plugin.path, Int32(index), &out)
        }
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
    /// the ranks' device needs (`Backend.for(_:)`). The backend is checked before
    /// the variables, so a missing NCCL plugin is the error even outside a launch.
    package static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment, backend: Backend = .gloo,
        device: Device = .cpu
    ) throws -> ProcessGroup {
        let plugin = backend == .nccl ? try NCCLPlugin.require(environment) : nil
        return try ProcessGroup(DistributedEnvironment.parse(environment), backend: backend, device: device, plugin: plugin)
    }

    /// c10d's backends: Gloo for tensors on the CPU, NCCL for tensors on GPUs.
    package enum Backend: String, Sendable, CaseIterable {
        case gloo, nccl

        /// The backend for ranks whose tensors live on `device`.
        package static func `for`(_ device: Device) -> Backend {
            device == .cpu ? .gloo : .nccl
        }

        /// Whether groups of this backend can be created here: Gloo always (it is in
        /// libtorch_cpu); NCCL when its plugin is found (`NCCLPlugin`).
        package func isAvailable(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
            self == .gloo || (try? NCCLPlugin.require(environment)) != nil
        }

        /// Throws, saying why and what to do, when groups of this backend cannot be
        /// created here.
        package func requireAvailable(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
            if self == .nccl { _ = try NCCLPlugin.require(environment) }
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
