import Distributed
import Foundation
import Testing

/// Two real processes on 127.0.0.1 running c10d's Gloo collectives. Serialized:
/// each run already uses both cores.
@Suite("Distributed collectives", .serialized)
struct CollectiveTests {
    @Test("all-reduce, broadcast, all-gather and barrier give the expected values on both ranks")
    func collectives() throws {
        let run = try WorkerRun.start(["collectives"])
        #expect(run.result.failed.isEmpty, "\(run.log)")
        for rank in 0..<2 {
            // rank 0 sends (1, 10, 0.5), rank 1 (2, 20, 0.5)
            #expect(try run.numbers("sum32", rank: rank) == [3, 30, 1])
            // (1, 0) and (3, -1) averaged
            #expect(try run.numbers("average64", rank: rank) == [2, -0.5])
            // two tensors in one call are reduced separately, not summed together
            #expect(try run.numbers("pairA", rank: rank) == [1, 1])
            #expect(try run.numbers("pairB", rank: rank) == [1, 2, 4, 1])
            #expect(try run.numbers("broadcast0", rank: rank) == [0, 1, 2, 3])
            #expect(try run.numbers("broadcastLast", rank: rank) == [8])
            // rank order: rank 0's (0, 7), then rank 1's (1, 8)
            #expect(try run.numbers("gather", rank: rank) == [0, 7, 1, 8])
            let dtypeError = try #require(run.text("int64Error", rank: rank))
            #expect(dtypeError.contains("all-reduce failed on rank \(rank) of 2"), "\(dtypeError)")
            #expect(dtypeError.contains("float32 or float64"), "\(dtypeError)")
        }
    }

    @Test("a float64 buffer larger than one chunk reduces to the exact sum")
    func chunkedBuffer() throws {
        // 2.5 chunks: the last chunk is partial.
        let count = 1_300_000, chunk = 1 << 19
        let run = try WorkerRun.start(["chunked", String(count), String(chunk)])
        #expect(run.result.failed.isEmpty, "\(run.log)")
        for rank in 0..<2 {
            let numbers = try run.numbers("chunked", rank: rank)
            #expect(numbers.count == 3)
            #expect(numbers.first == Double(count))
            #expect(numbers.dropFirst().first == 0, "largest error against the closed-form sum")
            print("chunked all-reduce of \(count) float64 (\(count * 8 / 1_000_000) MB), rank \(rank): \(numbers.last ?? -1) s")
        }
    }

    @Test("a rank that exits makes the other fail with a clear error, without waiting for the timeout")
    func peerExits() throws {
        let timeout = 5.0
        let started = Date()
        let run = try WorkerRun.start(["peer-exits"], timeout: timeout)
        let wall = Date().timeIntervalSince(started)
        #expect(run.result.exits[1].status == 3, "\(run.log)")
        #expect(run.result.exits[0].status == 0, "rank 0 must catch the error: \(run.log)")
        let message = try #require(run.text("peerExitError", rank: 0), "\(run.log)")
        #expect(message.hasPrefix("all-reduce failed on rank 0 of 2:"), "\(message)")
        let elapsed = try #require(try run.numbers("peerExitElapsed", rank: 0).first)
        #expect(elapsed < timeout + 1, "the failure must come within the timeout")
        print("peer exit detected after \(elapsed) s (timeout \(timeout) s); whole run \(wall) s; message: \(message)")
    }

    @Test("a rank that stays silent makes the other fail when the timeout ends")
    func peerStalls() throws {
        let timeout = 2.0
        let run = try WorkerRun.start(["peer-stalls"], timeout: timeout)
        #expect(run.result.exits[0].status == 0, "\(run.log)")
        let message = try #require(run.text("stallError", rank: 0), "\(run.log)")
        #expect(
            message
                == "all-reduce failed on rank 0 of 2: all-reduce did not complete within 2000 ms (a peer is stalled, or has not reached the same collective)",
            "\(message)")
        let elapsed = try #require(try run.numbers("stallElapsed", rank: 0).first)
        #expect(elapsed >= timeout * 0.9 && elapsed < timeout + 2, "failed after \(elapsed) s")
        print("silent peer detected after \(elapsed) s (timeout \(timeout) s); message: \(message)")
    }

    @Test("a missing rank makes the rendezvous fail within the timeout")
    func missingRank() throws {
        // Only rank 0 of a 2-process group starts: nobody else ever connects.
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": String(try Launcher.freePort()), "HUBMINER_DIST_TIMEOUT": "1.5",
        ]) { $1 }
        let started = Date()
        var message = ""
        #expect {
            _ = try ProcessGroup.fromEnvironment(environment)
        } throws: { error in
            message = "\(error)"
            return message.hasPrefix("rank 0 of 2 could not join the process group at 127.0.0.1:")
                && message.contains("rendezvous of 2 ranks (timeout 1500 ms) failed")
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 6, "rendezvous gave up after \(elapsed) s")
        print("missing rank: rendezvous gave up after \(elapsed) s; message: \(message)")
    }
}
