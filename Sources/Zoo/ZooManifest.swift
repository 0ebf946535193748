import Foundation
import Hub
import Support

/// Versions hashed into every fingerprint: a change to the task generator or to how
/// models are built and trained rebuilds every cached zoo.
package enum ZooVersion {
    /// Task rendering and sampling (`SceneRenderer`, `TaskGenerator`).
    /// 2: task streams from the package's one stream derivation (`SeededGenerator(seed:stream:)`).
    package static let generator = 2
    /// Architectures, initialisation, pre-training and the card layout.
    /// 3: model and epoch streams from the package's one stream derivation.
    package static let builder = 3
}

/// A task as `zoo.json` lists it.
package struct ZooTaskSummary: Codable, Sendable, Equatable {
    package var name: String
    package var summary: String
    package var classes: Int
    package var trainImages: Int
    package var testImages: Int
    package var labelFactors: [SceneFactor]
    package var specificShare: Double
    /// Relative to the zoo directory.
    package var directory: String

    init(_ spec: TaskSpec, directory: String) {
        name = spec.name
        summary = spec.summary
        classes = spec.classCount
        trainImages = spec.trainPerClass * spec.classCount
        testImages = spec.testPerClass * spec.classCount
        labelFactors = spec.labelFactors
        specificShare = spec.specificShare
        self.directory = directory
    }

    enum CodingKeys: String, CodingKey {
        case name, summary, classes, trainImages = "train_images", testImages = "test_images"
        case labelFactors = "label_factors", specificShare = "specific_share", directory
    }
}

/// One model as `zoo.json` (and its record) lists it: what it is, how it was
/// trained and how it did.
package struct ZooModelSummary: Codable, Sendable, Equatable {
    package var name: String
    package var family: String
    package var architecture: ArchitectureSpec
    package var sourceTask: String
    package var parameters: Int
    package var featureDimension: Int
    package var sourceClasses: Int
    package var training: PretrainingOptions
    package var result: PretrainingSummary
    /// Linear-probe accuracy on the target task (train split fit, test split scored).
    package var targetProbeAccuracy: Double
    /// The stage giving intermediate maps, shallow to deep (`{"method": "hints"}`).
    /// The same stage is the card's `hints`.
    package var hints: Stage
    /// Relative to the hub directory.
    package var file: String

    enum CodingKeys: String, CodingKey {
        case name, family, architecture, sourceTask = "source_task", parameters, featureDimension = "feature_dimension"
        case sourceClasses = "source_classes", training, result, targetProbeAccuracy = "target_probe_accuracy", hints, file
    }
}

/// `zoo.json`: written last, so its presence with a matching fingerprint means the
/// zoo is complete.
package struct ZooManifest: Codable, Sendable, Equatable {
    package static let fileName = "zoo.json"
    package var format = 1
    package var generatorVersion: Int
    package var builderVersion: Int
    package var seed: UInt64
    package var size: String
    /// SHA-256 of the versions, the seed and the plan.
    package var fingerprint: String
    package var imageSize: Int
    /// Relative to the zoo directory.
    package var hub: String
    package var target: ZooTaskSummary
    package var sources: [ZooTaskSummary]
    package var models: [ZooModelSummary]
    /// Wall-clock seconds of the build that completed the zoo (models resumed from an
    /// interrupted build not counted again).
    package var buildSeconds: Double
    /// The same linear probe on the raw pixels (3·S² values): the baseline a model's
    /// features must beat to have transferred anything.
    package var targetPixelProbeAccuracy: Double

    /// Best minus worst linear-probe accuracy on the target: how much the models'
    /// transferability differs.
    package var probeSpread: Double {
        let accuracies = models.map(\.targetProbeAccuracy)
        return (accuracies.max() ?? 0) - (accuracies.min() ?? 0)
    }

    enum CodingKeys: String, CodingKey {
        case format, generatorVersion = "generator_version", builderVersion = "builder_version", seed, size, fingerprint
        case imageSize = "image_size", hub, target, sources, models, buildSeconds = "build_seconds"
        case targetPixelProbeAccuracy = "target_pixel_probe_accuracy"
    }

    package static func read(from directory: URL) -> ZooManifest? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(ZooManifest.self, from: data)
    }
}

/// What a build hands back: where the hub and the target dataset are, and the manifest.
package struct BuiltZoo: Sendable {
    package var directory: URL
    package var hub: URL
    /// The target task's dataset directory (train and test splits).
    package var target: URL
    package var manifest: ZooManifest
    /// True when the zoo was already complete and nothing was built.
    package var reused: Bool
    /// Models trained by this call (the others came from an earlier, interrupted build).
    package var trainedModels: [String]
    package var seconds: Double
}
