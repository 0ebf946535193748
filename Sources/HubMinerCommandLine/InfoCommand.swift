import ArgumentParser
import Foundation
import Linalg

public struct InfoCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the runtime: BLAS kernels and threads (and libtorch's, in hubminer-torch)."
    )

    public func run() {
        print("BLAS kernels: \(BLASRuntime.coreName)")
        print("BLAS threads: \(BLASRuntime.threadCount)")
        print("BLAS build:   \(BLASRuntime.configuration)")
        print("cores:        \(ProcessInfo.processInfo.activeProcessorCount)")
        if let core = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] { print("OPENBLAS_CORETYPE=\(core)") }
        for line in HubBackend.runtimeInfo?() ?? [] { print(line) }
    }
}
