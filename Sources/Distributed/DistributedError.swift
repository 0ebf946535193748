/// Errors of multi-process runs: a bad launch environment, a failed rendezvous or
/// collective (a peer that died, a timeout), a launched rank that failed, or ranks
/// whose parameters no longer agree.
package enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// An environment variable is missing or malformed.
    case environment(variable: String, value: String?, expected: String)
    /// The rendezvous with the other ranks failed (master unreachable, timeout).
    case initialization(master: String, rank: Int, worldSize: Int, message: String)
    /// A collective failed on this rank (a peer is gone, a timeout, a bad tensor).
    case collective(operation: String, rank: Int, worldSize: Int, message: String)
    /// An argument is out of its valid range.
    case invalidArgument(operation: String, message: String)
    /// A launched process could not be started.
    case launchFailed(rank: Int, message: String)
    /// Launched ranks exited with a non-zero status (rank, status), in rank order.
    case ranksFailed([RankExit])
    /// Launched ranks were still running when the launcher's time limit ended.
    case launchTimedOut(seconds: Double, running: [Int])
    /// The ranks' parameters differ (ranks whose checksum differs from rank 0's).
    case parametersDiverged(ranks: [Int])
    /// The process-group backend a device needs is not in this build (NCCL).
    case backendUnavailable(backend: String, message: String)

    package struct RankExit: Equatable, Sendable, CustomStringConvertible {
        package let rank: Int
        package let status: Int32
        /// Terminated by a signal rather than by exiting.
        package let signalled: Bool

        package init(rank: Int, status: Int32, signalled: Bool) {
            self.rank = rank
            self.status = status
            self.signalled = signalled
        }
        package var description: String {
            signalled ? "rank \(rank) killed by signal \(status)" : "rank \(rank) exited with status \(status)"
        }
    }

    package var description: String {
        switch self {
        case let .environment(variable, value, expected):
            let shown = value.map { "'\($0)'" } ?? "not set"
            return "environment variable \(variable) is \(shown); expected \(expected)"
        case let .initialization(master, rank, worldSize, message):
            return "rank \(rank) of \(worldSize) could not join the process group at \(master): \(message)"
        case let .collective(operation, rank, worldSize, message):
            return "\(operation) failed on rank \(rank) of \(worldSize): \(message)"
        case let .invalidArgument(operation, message):
            return "\(operation): \(message)"
        case let .launchFailed(rank, message):
            return "could not start rank \(rank): \(message)"
        case let .ranksFailed(exits):
            return "distributed run failed: " + exits.map(\.description).joined(separator: ", ")
        case let .launchTimedOut(seconds, running):
            return "distributed run did not finish within \(seconds) s; ranks \(running) were still running and were stopped"
        case let .parametersDiverged(ranks):
            return "parameters differ across processes: ranks \(ranks) disagree with rank 0"
        case let .backendUnavailable(backend, message):
            return "no \(backend) process group: \(message)"
        }
    }
}
