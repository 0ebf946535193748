import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts N local processes of one program as the ranks of a distributed run
/// (`--nproc N`): each gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1 and
/// a free MASTER_PORT; their output lines are prefixed with "[rank i] ".
package struct Launcher: Sendable {
    package var executable: URL
    package var arguments: [String]
    package var processCount: Int
    /// Extra variables for every rank (on top of this process's environment).
    package var environment: [String: String]
    /// Seconds after which ranks still running are stopped (SIGTERM, then SIGKILL).
    package var timeLimit: Double
    /// Receives every output line, already prefixed; nil keeps them only in the result.
    package var output: (@Sendable (String) -> Void)?
    /// The rank whose stdout goes straight to this process's stdout, unprefixed
    /// (the rank that prints a command's result); nil prefixes every rank's.
    package var standardOutputRank: Int?

    package struct Result: Sendable {
        /// Per rank, its prefixed output lines (stdout and stderr, in arrival order).
        package let lines: [[String]]
        package let exits: [DistributedError.RankExit]
        package let seconds: Double
        package var failed: [DistributedError.RankExit] {
            exits.filter { $0.status != 0 || $0.signalled }
        }
    }

    /// The running program (the launcher re-executes itself as the ranks).
    package static var currentExecutable: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    package init(
        executable: URL = Launcher.currentExecutable, arguments: [String], processCount: Int,
        environment: [String: String] = [:], timeLimit: Double = 600,
        output: (@Sendable (String) -> Void)? = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) },
        standardOutputRank: Int? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.processCount = processCount
        self.environment = environment
        self.timeLimit = timeLimit
        self.output = output
        self.standardOutputRank = standardOutputRank
    }

    /// Runs the ranks to completion and returns their exits; does not throw for a
    /// failing rank (see `run()`), only for a launch that could not start.
    package func start() throws -> Result {
        guard processCount >= 1 else {
            throw DistributedError.invalidArgument(operation: "launch", message: "process count must be at least 1, got \(processCount)")
        }
        guard timeLimit > 0 else {
            throw DistributedError.invalidArgument(operation: "launch", message: "time limit must be positive, got \(timeLimit)")
        }
        let port = try Self.freePort()
        let began = Date()
        let collectors = (0..<processCount).map { RankOutput(rank: $0, sink: output) }
        var processes = [Process]()
        for rank in 0..<processCount {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env.merge(environment) { _, new in new }
            env["RANK"] = String(rank)
            env["LOCAL_RANK"] = String(rank)
            env["WORLD_SIZE"] = String(processCount)
            env["MASTER_ADDR"] = "127.0.0.1"
            env["MASTER_PORT"] = String(port)
            process.environment = env
            process.standardOutput = rank == standardOutputRank ? FileHandle.standardOutput : collectors[rank].pipe(stream: 0)
            process.standardError = collectors[rank].pipe(stream: 1)
            do {
                try process.run()
            } catch {
                for started in processes { Self.stop(started) }
                throw DistributedError.launchFailed(rank: rank, message: "\(executable.path): \(error)")
            }
            processes.append(process)
        }
        // Poll rather than block on one process, so the time limit covers all ranks.
        let deadline = began.addingTimeInterval(timeLimit)
        while processes.contains(where: \.isRunning), Date() < deadline {
            usleep(20_000)
        }
        let running = processes.indices.filter { processes[$0].isRunning }
        for rank in running { Self.stop(processes[rank]) }
        for process in processes { process.waitUntilExit() }
        let lines = collectors.map { $0.finish() }
        if !running.isEmpty {
            throw DistributedError.launchTimedOut(seconds: timeLimit, running: running)
        }
        let exits = processes.enumerated().map { rank, process in
            DistributedError.RankExit(
                rank: rank, status: process.terminationStatus,
                signalled: process.terminationReason == .uncaughtSignal)
        }
        return Result(lines: lines, exits: exits, seconds: Date().timeIntervalSince(began))
    }

    /// Runs the ranks and throws `.ranksFailed` naming every rank that failed.
    @discardableResult
    package func run() throws -> Result {
        let result = try start()
        if !result.failed.isEmpty { throw DistributedError.ranksFailed(result.failed) }
        return result
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let grace = Date().addingTimeInterval(2)
        while process.isRunning, Date() < grace { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A TCP port that is free now on 127.0.0.1 (the kernel picks it). Another
    /// program could take it before rank 0 binds it; the window is milliseconds.
    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DistributedError.launchFailed(rank: 0, message: "socket(): errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic -> Bool in
                bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
            }
        }
        guard bound else { throw DistributedError.launchFailed(rank: 0, message: "no free TCP port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Collects one rank's stdout and stderr as lines, prefixes them and forwards them.
/// One reader thread per stream blocks on the pipe until the process closes it.
/// `@unchecked Sendable`: the readers run on their own threads; all state is
/// guarded by `lock`.
private final class RankOutput: @unchecked Sendable {
    let rank: Int
    let sink: (@Sendable (String) -> Void)?
    private let lock = NSLock()
    private let readers = DispatchGroup()
    private var lines = [String]()
    private var partial = [Data(), Data()]

    init(rank: Int, sink: (@Sendable (String) -> Void)?) {
        self.rank = rank
        self.sink = sink
    }

    func pipe(stream: Int) -> Pipe {
        let pipe = Pipe()
        let reading = pipe.fileHandleForReading
        readers.enter()
        Thread.detachNewThread { [self] in
            while true {
                let data = reading.availableData
                if data.isEmpty { break }
                receive(data, stream: stream)
            }
            readers.leave()
        }
        return pipe
    }

    private func receive(_ data: Data, stream: Int) {
        var complete = [String]()
        lock.withLock {
            partial[stream].append(data)
            while let newline = partial[stream].firstIndex(of: UInt8(ascii: "\n")) {
                let line = partial[stream][partial[stream].startIndex..<newline]
                complete.append("[rank \(rank)] " + String(decoding: line, as: UTF8.self))
                partial[stream].removeSubrange(partial[stream].startIndex...newline)
            }
            lines.append(contentsOf: complete)
        }
        for line in complete { sink?(line) }
    }

    /// Waits for both streams to close and returns every line. The process has
    /// exited, but a child it started may still hold the pipes open (a stopped
    /// shell's `sleep`), so the wait is bounded; lines arriving later are dropped.
    func finish(grace: Double = 2) -> [String] {
        _ = readers.wait(timeout: .now() + grace)
        var last = [String]()
        let all = lock.withLock {
            for stream in partial.indices where !partial[stream].isEmpty {
                last.append("[rank \(rank)] " + String(decoding: partial[stream], as: UTF8.self))
                partial[stream] = Data()
            }
            lines.append(contentsOf: last)
            return lines
        }
        for line in last { sink?(line) }
        return all
    }
}
