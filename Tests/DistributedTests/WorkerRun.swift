import Distributed
import Foundation
import Testing

/// Starts the `DistributedWorker` program (built beside the test bundle) as the
/// ranks of a run on 127.0.0.1 and collects their "RESULT key=..." lines.
struct WorkerRun {
    let result: Launcher.Result

    static var workerExecutable: URL {
        Launcher.currentExecutable.deletingLastPathComponent().appendingPathComponent("DistributedWorker")
    }

    /// `timeout` bounds each collective inside the workers; `timeLimit` bounds the
    /// whole run (the launcher stops ranks still running then).
    static func start(
        _ arguments: [String], processes: Int = 2, timeout: Double = 5,
        timeLimit: Double = 18
    ) throws -> WorkerRun {
        let launcher = Launcher(
            executable: workerExecutable, arguments: arguments, processCount: processes,
            environment: ["HUBMINER_DIST_TIMEOUT": String(timeout), "OMP_NUM_THREADS": "1"],
            timeLimit: timeLimit, output: nil)
        return WorkerRun(result: try launcher.start())
    }

    /// The comma-separated numbers rank `rank` reported under `key`.
    func numbers(_ key: String, rank: Int) throws -> [Double] {
        let text = try #require(self.text(key, rank: rank), "rank \(rank) reported no \(key): \(log)")
        return text.split(separator: ",").compactMap { Double($0) }
    }

    func text(_ key: String, rank: Int) -> String? {
        let prefix = "[rank \(rank)] RESULT \(key)="
        return result.lines[rank].last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    var log: String { result.lines.flatMap { $0 }.joined(separator: "\n") }
}
