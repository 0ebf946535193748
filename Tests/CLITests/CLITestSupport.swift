import Foundation
import FeatureIO
import Linalg
import Testing

/// Runs the built `hubminer` program (it sits next to the test bundle).
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String
    /// Ended by a signal (a crash) rather than by exiting.
    var signalled = false
}

enum CLI {
    static var executable: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDir.appendingPathComponent("hubminer")
    }

    static func run(_ arguments: [String], program: String = "hubminer", environment: [String: String]? = nil) throws -> CLIRun {
        let executable = Self.executable.deletingLastPathComponent().appendingPathComponent(program)
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "\(program) not built at \(executable.path)")
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIRun(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self), signalled: process.terminationReason == .uncaughtSignal)
    }

    /// A fresh temporary directory.
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Features for `models` (name -> signal strength) and labels, written as .npy files.
    static func writeProblem(
        in dir: URL, samples n: Int = 200, classes: Int = 3,
        models: [(String, Double)] = [("good", 3), ("weak", 0.3)], seed: UInt64 = 1
    ) throws -> (features: URL, labels: URL) {
        let features = dir.appendingPathComponent("feats")
        try FileManager.default.createDirectory(at: features, withIntermediateDirectories: true)
        var state = seed
        func uniform() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1.0p-53 }
        func normal() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
        let labels = (0..<n).map { $0 % classes }
        for (name, signal) in models {
            var f = Matrix(rows: n, columns: 8)
            for r in 0..<n { for j in 0..<8 { f[r, j] = normal() + (j == labels[r] ? signal : 0) } }
            try FeatureFile.writeNpy(f, to: features.appendingPathComponent("\(name).npy"), dtype: .float32)
        }
        let labelsURL = dir.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [n], dtype: .int64, values: labels.map(Double.init)), to: labelsURL)
        return (features, labelsURL)
    }
}
