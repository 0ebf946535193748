import Cache
import Foundation
import TestSupport
import Testing

@Suite("feature cache opened by several processes at once")
struct CacheConcurrencyTests {
    /// Each opener has its own SQLite connection, as separate processes do, on its own
    /// thread (not the cooperative pool, which has as few threads as cores). Before,
    /// the schema check ran outside the write transaction and a second opener failed
    /// with "table meta already exists".
    @Test("eight openers of a fresh cache all succeed")
    func concurrentOpenOfFreshCache() throws {
        final class Failures: @unchecked Sendable {
            let lock = NSLock()
            var messages = [String]()
            func add(_ m: String) { lock.lock(); messages.append(m); lock.unlock() }
        }
        let failures = Failures()
        for round in 0..<5 {
            // The cache directory itself must not exist yet: creating it is part of the race.
            let parent = try TemporaryDirectory.make("hubminer-cache-race")
            defer { TemporaryDirectory.remove(parent) }
            let dir = parent.appendingPathComponent("cache")
            let group = DispatchGroup()
            let start = DispatchSemaphore(value: 0)
            for _ in 0..<8 {
                group.enter()
                Thread.detachNewThread {
                    start.wait()
                    do {
                        _ = try FeatureCache(directory: dir).entries()
                    } catch {
                        failures.add("round \(round): \(error)")
                    }
                    group.leave()
                }
            }
            for _ in 0..<8 { start.signal() }
            group.wait()
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
    }
}
