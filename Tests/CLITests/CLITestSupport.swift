import Foundation
import FeatureIO
import Linalg
import Testing
// `CLI`, `CLIRun`, temporary directories and tolerances, for every file of this target.
@_exported import TestSupport

extension CLI {
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
