import FeatureIO
import Foundation
import Linalg
import Ranking
import TestSupport

/// Random classification features with an offset mean (so the statistics' FᵀF/N − μμᵀ
/// form is exercised), written as float32 .npy files for the command-line tests.
struct RankProblem {
    let labels: [Int]
    let targets: EncodedTargets
    let features: [Matrix]

    static func make(samples n: Int, dimension d: Int, classes: Int, models: Int, seed: UInt64 = 7) throws -> RankProblem {
        var state = seed
        func uniform() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1.0p-53 }
        func normal() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
        let labels = (0..<n).map { ($0 * 7 + 3) % classes }
        let features = (0..<models).map { m -> Matrix in
            var f = Matrix(rows: n, columns: d)
            for r in 0..<n { for j in 0..<d { f[r, j] = 0.5 + normal() + (j % classes == labels[r] ? 0.3 * Double(m + 1) : 0) } }
            // float32 on disk: round here so the in-memory reference sees the same values.
            for i in f.storage.indices { f.storage[i] = Double(Float(f.storage[i])) }
            return f
        }
        let targets = try TargetEncoder.encodeClasses(labels)
        return RankProblem(labels: labels, targets: targets, features: features)
    }

    /// Writes `feats/model_i.npy` and `labels.npy` under `dir`.
    func write(in dir: URL) throws -> (features: URL, labels: URL) {
        let featuresDir = dir.appendingPathComponent("feats")
        try FileManager.default.createDirectory(at: featuresDir, withIntermediateDirectories: true)
        for (i, f) in features.enumerated() {
            try FeatureFile.writeNpy(f, to: featuresDir.appendingPathComponent("model_\(i).npy"), dtype: .float32)
        }
        let labelsURL = dir.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [labels.count], dtype: .int64, values: labels.map(Double.init)), to: labelsURL)
        return (featuresDir, labelsURL)
    }

    static func scratch() throws -> URL { try TemporaryDirectory.make("hubminer-distrank") }
}
