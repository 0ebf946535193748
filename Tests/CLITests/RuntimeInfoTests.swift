import Foundation
import Testing

/// libtorch's default intra-op thread count, checked in a fresh process (inside the
/// test process other suites change it): the shim sets it to the logical core
/// count when it loads, unless OMP_NUM_THREADS says otherwise.
@Suite struct RuntimeInfoTests {
    func environment(dropping key: String? = nil, adding extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let key { env.removeValue(forKey: key) }
        env.merge(extra) { $1 }
        return env
    }

    @Test func defaultThreadCountIsTheLogicalCoreCount() throws {
        let run = try CLI.run(["info"], program: "hubminer-torch", environment: environment(dropping: "OMP_NUM_THREADS"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("libtorch threads: \(ProcessInfo.processInfo.activeProcessorCount)\n"), "\(run.stdout)")
    }

    @Test func ompNumThreadsIsRespected() throws {
        let run = try CLI.run(["info"], program: "hubminer-torch", environment: environment(adding: ["OMP_NUM_THREADS": "1"]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("libtorch threads: 1\n"), "\(run.stdout)")
    }

    @Test func theRankingExecutableShowsNoLibtorchLines() throws {
        let run = try CLI.run(["info"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("BLAS threads"))
        #expect(!run.stdout.contains("libtorch"))
    }
}
