import ArgumentParser
import Foundation
import HubMiner
import Ranking

/// Shared behaviour of HubMiner's commands.
///
/// The program is two executables, as git's subcommands are: `hubminer` holds the
/// ranking stack only, so ranking from feature files starts in milliseconds, and
/// `hubminer-torch` (next to it) adds the deep-learning layer for the commands
/// that run models (`hub`, `extract`, `zoo`, `tune`, `demo`, `rank --hub`). Loading libtorch costs most of
/// a second per process start; `hubminer` forwards those commands with `exec`, so
/// users only ever type `hubminer`.
public enum HubMinerCommand {
    /// Runs a command body and turns any error into one line on stderr and exit 1,
    /// so users never see a stack trace or a Swift type name.
    public static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hubminer: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    public static let abstract = "Rank pre-trained models by how well they will transfer to a target task."

    /// The executable that runs the model commands.
    public static let torchExecutableName = "hubminer-torch"

    /// Whether `arguments` (argv without the program) ask for a command that runs models.
    public static func needsTorch(_ arguments: [String]) -> Bool {
        guard let verb = arguments.first else { return false }
        if verb == "hub" || verb == "extract" || verb == "tune" || verb == "zoo" { return true }
        if verb == "demo" { return !arguments.contains("--features-only") && !arguments.contains("--help") && !arguments.contains("-h") }
        return verb == "rank" && arguments.contains {
            $0 == "--hub" || $0.hasPrefix("--hub=") || $0 == "--data" || $0.hasPrefix("--data=")
                // Multi-process ranking talks through libtorch's c10d runtime.
                || $0 == "--distributed" || $0 == "--nproc" || $0.hasPrefix("--nproc=")
        }
    }

    /// Replaces this process with `hubminer-torch` and the same arguments. Returns
    /// only by throwing, when that executable is missing.
    public static func forwardToTorchExecutable(arguments: [String] = Array(CommandLine.arguments.dropFirst())) throws -> Never {
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let torch = own.deletingLastPathComponent().appendingPathComponent(torchExecutableName).path
        guard FileManager.default.isExecutableFile(atPath: torch) else {
            throw ValidationError("\(arguments.first ?? "this command") runs models and needs \(torchExecutableName) next to hubminer (\(torch)); build both with `bash scripts/dev.sh build`")
        }
        let argv = [torch] + arguments
        let cArgs = argv.map { strdup($0) } + [nil]
        execv(torch, cArgs)
        throw ValidationError("could not start \(torch): \(String(cString: strerror(errno)))")
    }
}

/// What `rank --hub` needs from the deep-learning side; `hubminer-torch` sets it at
/// start-up. In `hubminer` it stays nil and the command is forwarded instead.
public protocol HubRankingBackend: Sendable {
    func rank(extraction: ExtractionOptions, threads: Int, rank: RankConfiguration, progress: ProgressReporter) throws -> RankingResult
}

/// What `rank --distributed` and `rank --nproc N` need from the process-group
/// runtime (libtorch's c10d); `hubminer-torch` sets it at start-up.
public protocol DistributedRankingBackend: Sendable {
    /// Runs this process as one rank of the run the launch variables describe
    /// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); the ranking on rank 0, nil on the others.
    func rankAsProcess(_ configuration: DistributedRankConfiguration, progress: ProgressReporter) throws -> RankingResult?
    /// Starts `processCount` local ranks of this program with `arguments` (this
    /// command's, without the program) and waits; returns the status to exit with.
    func launchLocalRanks(processCount: Int, arguments: [String]) throws -> Int32
}

public enum HubBackend {
    /// Set once by `hubminer-torch`'s `main` before any command is parsed.
    nonisolated(unsafe) public static var ranking: (any HubRankingBackend)?
    /// Extra `info` lines about the deep-learning runtime (libtorch version and
    /// threads); set by `hubminer-torch`, nil in `hubminer`.
    nonisolated(unsafe) public static var runtimeInfo: (@Sendable () -> [String])?
    /// Set once by `hubminer-torch`'s `main`; nil in `hubminer`, which forwards.
    nonisolated(unsafe) public static var distributedRanking: (any DistributedRankingBackend)?
}

/// Prints `text` on stdout and, when asked, writes it to a file atomically.
public func emit(_ text: String, to output: String?) throws {
    FileHandle.standardOutput.write(Data(text.utf8))
    if let output { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) }
}
