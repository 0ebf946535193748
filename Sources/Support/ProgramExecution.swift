import Foundation

/// Replacing this process with a program (itself again, or a sibling executable).
/// Linux: the running executable is `/proc/self/exe`.
package enum ProgramExecution {
    /// The running executable's path, symbolic links resolved.
    package static var currentExecutable: URL {
        URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
    }

    /// An executable named `name` in the running executable's directory.
    package static func sibling(named name: String) -> URL {
        currentExecutable.deletingLastPathComponent().appendingPathComponent(name)
    }

    /// `execv(path, arguments)`: replaces this process and never returns on success;
    /// returns the system's reason when the program could not be started.
    @discardableResult
    package static func replaceProcess(with path: String, arguments: [String]) -> String {
        let cArgs = arguments.map { strdup($0) } + [nil]
        execv(path, cArgs)
        let reason = String(cString: strerror(errno))
        for p in cArgs { free(p) }
        return reason
    }

    /// Re-executes the running program with the same arguments (after the caller has
    /// changed the environment); returns the reason when that failed.
    @discardableResult
    package static func reexecuteSelf(arguments: [String] = CommandLine.arguments) -> String {
        replaceProcess(with: "/proc/self/exe", arguments: arguments)
    }
}

extension ProgramExecution {
    /// SHA-256 of the running executable's bytes, read once per process: the identity
    /// of the code that produced a result. Stages of a run kept for reuse (the demo's)
    /// are keyed by it, so a rebuilt program never shows results an older one computed.
    /// Empty when the executable cannot be read (the caller then keys by its inputs
    /// only).
    package static let executableDigest: String = {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/exe") else { return "" }
        defer { try? handle.close() }
        var hasher = SHA256.Hasher()
        while let chunk = try? handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return SHA256.hexString(hasher.finalize())
    }()
}
