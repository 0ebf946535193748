import Distributed
import Testing
import Torch

@Suite("Process-group backends")
struct BackendTests {
    @Test("the backend follows the device: Gloo on the CPU, NCCL on GPUs")
    func followsDevice() {
        #expect(ProcessGroup.Backend.for(.cpu) == .gloo)
        #expect(ProcessGroup.Backend.for(.cuda(0)) == .nccl)
        #expect(ProcessGroup.Backend.for(.cuda(3)) == .nccl)
        #expect(ProcessGroup.Backend.gloo.isAvailable)
    }

    @Test("NCCL, which this build lacks, is refused before any rendezvous with one line saying why and what to use")
    func ncclRefused() throws {
        // No launch variables at all: the backend is checked first, so the error is the backend's.
        do {
            _ = try ProcessGroup.fromEnvironment([:], backend: .nccl)
            Issue.record("an NCCL group was created")
        } catch let error as DistributedError {
            guard case .backendUnavailable(let backend, let message) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(backend == "nccl")
            #expect(message.contains("libtorch_cuda") && message.contains("--device cpu"))
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
}
