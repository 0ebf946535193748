import Foundation
import Linalg
import Torch
import Support

/// Runs jobs on `workers` threads, each job on one thread with single-threaded
/// libtorch and OpenBLAS. The zoo's networks are so small that splitting one
/// operation across cores costs more than it gains (measured: a quick build took
/// 65 s with two intra-op threads on a busy 2-core machine, 7 s with one), so the
/// cores are used by training different models at once.
///
/// After the first failure no new job starts; jobs already running finish, and the
/// first error is rethrown.
enum WorkerPool {
    static func run(jobs: Int, workers: Int, _ body: @Sendable @escaping (Int) throws -> Void) throws {
        guard jobs > 0 else { return }
        let state = PoolState()
        let threads = max(1, min(workers, jobs))
        TorchRuntime.threadSettingLock.lock()
        defer { TorchRuntime.threadSettingLock.unlock() }
        BLASRuntime.withThreadCount(1) {
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                // OpenMP keeps the thread count per thread: set it on this one, and put
                // it back, since one iteration may run on the caller's thread.
                let previous = TorchRuntime.threadCount
                defer { TorchRuntime.threadCount = previous }
                TorchRuntime.threadCount = 1
                while let job = state.take(below: jobs) {
                    do { try body(job) } catch { state.fail(error) }
                }
            }
        }
        if let error = state.error { throw error }
    }
}

/// The next job and the first error, shared by the workers.
private struct PoolState: Sendable {
    private struct Counters { var next = 0; var firstError: (any Error)? }
    private let state = Locked(Counters())

    func take(below count: Int) -> Int? {
        state.withLock { s in
            guard s.firstError == nil, s.next < count else { return nil }
            defer { s.next += 1 }
            return s.next
        }
    }

    func fail(_ error: any Error) {
        state.withLock { s in if s.firstError == nil { s.firstError = error } }
    }

    var error: (any Error)? { state.withLock { $0.firstError } }
}
