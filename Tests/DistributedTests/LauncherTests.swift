import Distributed
import Foundation
import Testing

@Suite("Launcher")
struct LauncherTests {
    let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("each rank gets its variables and its output lines are prefixed with its rank")
    func environmentAndPrefixes() throws {
        let launcher = Launcher(
            executable: shell, arguments: ["-c", "echo $RANK/$WORLD_SIZE $MASTER_ADDR; echo err$RANK >&2; printf tail"],
            processCount: 3, timeLimit: 10, output: nil)
        let result = try launcher.run()
        for rank in 0..<3 {
            let lines = Set(result.lines[rank])
            #expect(lines.contains("[rank \(rank)] \(rank)/3 127.0.0.1"), "\(lines)")
            #expect(lines.contains("[rank \(rank)] err\(rank)"))
            #expect(lines.contains("[rank \(rank)] tail"), "an unterminated last line is kept")
        }
    }

    @Test("non-zero exits are reported per rank")
    func failingRanks() throws {
        let launcher = Launcher(
            executable: shell, arguments: ["-c", "exit $((RANK * 2))"], processCount: 3,
            timeLimit: 10, output: nil)
        #expect(
            throws: DistributedError.ranksFailed([
                .init(rank: 1, status: 2, signalled: false),
                .init(rank: 2, status: 4, signalled: false),
            ])
        ) {
            try launcher.run()
        }
    }

    @Test("ranks still running at the time limit are stopped and named")
    func timeLimit() throws {
        // `exec`: the rank itself sleeps. Foundation's Process sees a rank end only
        // when every process that inherited its descriptors has ended, so a rank's
        // own children would delay the stop (docs/DISTRIBUTED.md).
        let launcher = Launcher(
            executable: shell, arguments: ["-c", "[ $RANK = 0 ] || exec sleep 30"], processCount: 2,
            timeLimit: 0.5, output: nil)
        let started = Date()
        #expect(throws: DistributedError.launchTimedOut(seconds: 0.5, running: [1])) { try launcher.run() }
        #expect(Date().timeIntervalSince(started) < 4)
    }
}
