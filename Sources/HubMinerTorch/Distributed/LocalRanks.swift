import Distributed
import Foundation

/// `--nproc N`: this program started N times on 127.0.0.1 as the ranks of one run.
package enum LocalRanks {
    /// The arguments each rank runs with: `arguments` (this command's, without the
    /// program) minus `--nproc N`, plus `--distributed`, plus `--threads` sharing
    /// this machine's cores when the user gave none.
    package static func rankArguments(
        _ arguments: [String], processCount: Int,
        cores: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> [String] {
        var out = [String]()
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--nproc" { skipNext = true; continue }
            if argument.hasPrefix("--nproc=") || argument == "--distributed" { continue }
            out.append(argument)
        }
        out.append("--distributed")
        if !arguments.contains(where: { $0 == "--threads" || $0.hasPrefix("--threads=") }) {
            out += ["--threads", String(max(1, cores / max(processCount, 1)))]
        }
        return out
    }

    /// Starts the ranks and waits for them. Rank 0's stdout is this process's
    /// (the result); every other line goes to stderr prefixed "[rank i] ".
    ///
    /// - Returns: the exit status to end with: 0, or the first failed rank's
    ///   (128 + signal for a rank killed by a signal), after printing which ranks failed.
    package static func run(processCount: Int, arguments: [String], timeLimit: Double = 7 * 24 * 3600) throws -> Int32 {
        let launcher = Launcher(
            arguments: rankArguments(arguments, processCount: processCount), processCount: processCount,
            timeLimit: timeLimit, standardOutputRank: 0)
        let result = try launcher.start()
        guard let first = result.failed.first else { return 0 }
        FileHandle.standardError.write(Data("hubminer: \(DistributedError.ranksFailed(result.failed))\n".utf8))
        return first.signalled ? 128 + first.status : (first.status == 0 ? 1 : first.status)
    }
}
