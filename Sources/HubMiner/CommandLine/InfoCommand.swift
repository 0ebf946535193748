import ArgumentParser
import Foundation
import Linalg

/// The options of `info` (none): the command both executables list.
public struct InfoOptions: CommandOptions {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the runtime: BLAS kernels and threads (and libtorch's, in hubminer-torch)."
    )

    /// The ranking stack's runtime, one line each.
    public static var blasLines: [String] {
        var lines = [
            "BLAS kernels: \(BLASRuntime.coreName)",
            "BLAS threads: \(BLASRuntime.threadCount)",
            "BLAS build:   \(BLASRuntime.configuration)",
            "cores:        \(ProcessInfo.processInfo.activeProcessorCount)",
        ]
        if let core = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { lines.append("OPENBLAS_CORETYPE=\(core)") }
        return lines
    }
}

/// `hubminer info`: BLAS only (no libtorch in this process).
public struct InfoCommand: ParsableCommand {
    public init() {}
    public static let configuration = InfoOptions.configuration
    public func run() {
        for line in InfoOptions.blasLines { print(line) }
    }
}
