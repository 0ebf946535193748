import Foundation
import Testing

/// What a finished program printed and how it ended.
public struct CLIRun: Sendable {
    public let status: Int32
    /// True when a signal ended the program (a crash: SIGILL, SIGABRT, SIGBUS, ...).
    public let signalled: Bool
    public let stdout: String
    public let stderr: String

    public init(status: Int32, signalled: Bool = false, stdout: String, stderr: String) {
        self.status = status
        self.signalled = signalled
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs a program to its end, capturing both streams.
public enum ProcessRunner {
    /// `environment` replaces the test's environment; nil inherits it. `directory` is
    /// the working directory (nil: the test's).
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil
    ) throws -> CLIRun {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// The built executables (`hubminer`, `hubminer-torch`), which sit next to the test bundle.
public enum CLI {
    /// `hubminer`.
    public static var executable: URL { binDirectory.appendingPathComponent("hubminer") }

    /// Where the build put the executables and the test bundle.
    public static var binDirectory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    /// Runs `program` (built beside the tests) with `arguments`; the test fails when it
    /// was not built. `environment` replaces the test's environment; nil inherits it;
    /// `directory` is the working directory.
    public static func run(
        _ arguments: [String], program: String = "hubminer", environment: [String: String]? = nil, directory: URL? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CLIRun {
        let executable = binDirectory.appendingPathComponent(program)
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path), "\(program) not built at \(executable.path)",
            sourceLocation: sourceLocation)
        return try ProcessRunner.run(executable, arguments, environment: environment, directory: directory)
    }

    /// A fresh temporary directory.
    public static func scratch() throws -> URL { try TemporaryDirectory.make("hubminer-cli") }
}
