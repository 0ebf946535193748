import Foundation
import FeatureIO
import Linalg
import Ranking
import Support

/// A small generated "hub" of feature files for the built-in demo: one target task
/// and several models whose features carry the class signal with different
/// strength, dimension and distortion, so the ranking is non-trivial.
///
/// Every feature matrix is a function of the same latent class structure: a class
/// mean in a latent space, projected into the model's dimension, bent by a
/// nonlinearity, and buried in noise at a per-model level. Models with more signal
/// and less noise should (and do) rank higher.
public enum DemoFeatureSet {
    public struct ModelSpec: Sendable {
        public let name: String
        public let dimension: Int
        /// Fraction of the latent signal the model retains.
        public let signal: Double
        /// Standard deviation of the added noise.
        public let noise: Double
    }

    public static let models: [ModelSpec] = [
        ModelSpec(name: "resnet-like-512", dimension: 512, signal: 1.0, noise: 0.8),
        ModelSpec(name: "vit-like-384", dimension: 384, signal: 0.9, noise: 0.7),
        ModelSpec(name: "convnext-like-256", dimension: 256, signal: 0.8, noise: 0.9),
        ModelSpec(name: "mobilenet-like-128", dimension: 128, signal: 0.6, noise: 1.0),
        ModelSpec(name: "mlp-mixer-like-256", dimension: 256, signal: 0.45, noise: 1.1),
        ModelSpec(name: "random-init-256", dimension: 256, signal: 0.0, noise: 1.0),
    ]

    /// Writes `labels.npy` and `features/<model>.npy` under `directory` (atomically,
    /// skipping files already present) and returns the two locations.
    @discardableResult
    public static func write(to directory: URL, samples: Int = 1500, classes: Int = 10, seed: UInt64 = 7) throws -> (features: URL, labels: URL) {
        let featuresDir = directory.appendingPathComponent("features")
        try FileManager.default.createDirectory(at: featuresDir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        let latent = 32
        let centers = Matrix(rows: classes, columns: latent, storage: (0..<(classes * latent)).map { _ in rng.normal() })
        let labels = (0..<samples).map { $0 < classes ? $0 : Int(rng.next() % UInt64(classes)) }
        // Latent code: class mean plus within-class spread.
        var codes = Matrix(rows: samples, columns: latent)
        for r in 0..<samples { for j in 0..<latent { codes[r, j] = centers[labels[r], j] + 0.9 * rng.normal() } }

        let labelsURL = directory.appendingPathComponent("labels.npy")
        if !FileManager.default.fileExists(atPath: labelsURL.path) {
            try FeatureFile.writeNpy(NumericArray(shape: [samples], dtype: .int64, values: labels.map(Double.init)), to: labelsURL)
        }
        for spec in models {
            let url = featuresDir.appendingPathComponent(spec.name + ".npy")
            var modelRNG = SeededGenerator(seed: seed &+ UInt64(spec.dimension) &* 31 &+ UInt64(spec.name.count))
            let projection = Matrix(
                rows: latent, columns: spec.dimension,
                storage: (0..<(latent * spec.dimension)).map { _ in modelRNG.normal() / Double(latent).squareRoot() })
            var features = try codes.multiplied(by: projection)
            for i in features.storage.indices {
                features.storage[i] = tanh(spec.signal * features.storage[i]) + spec.noise * modelRNG.normal()
            }
            if !FileManager.default.fileExists(atPath: url.path) {
                try FeatureFile.writeNpy(features, to: url, dtype: .float32)
            }
        }
        return (featuresDir, labelsURL)
    }
}
