import Distributed
import Foundation
import Testing
import Torch

@Suite("Process-group backends")
struct BackendTests {
    @Test("the backend follows the device: Gloo on the CPU, NCCL on GPUs")
    func followsDevice() {
        #expect(ProcessGroup.Backend.for(.cpu) == .gloo)
        #expect(ProcessGroup.Backend.for(.cuda(0)) == .nccl)
        #expect(ProcessGroup.Backend.for(.cuda(3)) == .nccl)
        #expect(ProcessGroup.Backend.gloo.isAvailable([:]))
    }

    @Test("NCCL without its plugin is refused before any rendezvous with one line saying why and what to do")
    func ncclRefused() throws {
        // No launch variables at all: the backend is checked first, so the error is the
        // backend's. The cache is pointed at an empty directory so that a plugin built on
        // this machine is not found.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-no-nccl-\(getpid())")
        let environment = ["HUBMINER_CACHE_DIR": empty.path]
        #expect(!ProcessGroup.Backend.nccl.isAvailable(environment))
        do {
            _ = try ProcessGroup.fromEnvironment(environment, backend: .nccl)
            Issue.record("an NCCL group was created")
        } catch let error as DistributedError {
            guard case .backendUnavailable(let backend, let message) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(backend == "nccl")
            #expect(message.contains("libtorch_cuda") && message.contains("scripts/dev.sh nccl") && message.contains("--device cpu"))
            #expect(message.contains(empty.appendingPathComponent("nccl-").path))
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("no nccl process group: "))
        }
        // Gloo gets as far as reading the (missing) launch variables.
        do {
            _ = try ProcessGroup.fromEnvironment([:], backend: .gloo)
            Issue.record("a group was created without launch variables")
        } catch let error as DistributedError {
            guard case .environment = error else { Issue.record("unexpected error \(error)"); return }
        }
    }

    @Test("an NCCL group where CUDA cannot be used fails at once, naming what is missing, before any rendezvous")
    func ncclWithoutGPU() throws {
        // On a GPU machine the real NCCL run is scripts/gpu-check.sh's.
        guard Device.cudaDeviceCount == 0 else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-nccl-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plugin = dir.appendingPathComponent(NCCLPlugin.fileName)
        try Data("not a shared library".utf8).write(to: plugin)
        // A port nobody listens on: were the rendezvous attempted, the error would be a timeout.
        let environment = DistributedEnvironment(rank: 0, worldSize: 1, masterAddress: "127.0.0.1", masterPort: 1, timeout: 5)
        let started = Date()
        do {
            _ = try ProcessGroup(environment, backend: .nccl, device: .cuda(0), plugin: plugin)
            Issue.record("an NCCL group was created without a GPU")
        } catch let error as DistributedError {
            guard case .initialization(_, _, _, let message) = error else { Issue.record("unexpected error \(error)"); return }
            #expect(message.contains("no CUDA libtorch") || message.contains("no GPU"), "\(message)")
            #expect(message.contains("--device cpu"), "\(message)")
        }
        #expect(Date().timeIntervalSince(started) < 4)
        // NCCL reduces on a GPU: a CPU device is a caller error, named as such.
        #expect(throws: DistributedError.self) {
            _ = try ProcessGroup(environment, backend: .nccl, device: .cpu, plugin: plugin)
        }
    }
}
