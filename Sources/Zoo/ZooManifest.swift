import Foundation
import Hub
import Support

/// Versions hashed into every fingerprint: a change to the task generator or to how
/// models are built and trained rebuilds every cached zoo.
public enum ZooVersion {
    /// Task rendering and sampling (`SceneRenderer`, `TaskGenerator`).
    /// 2: task streams from the package's one stream derivation (`SeededGenerator(seed:stream:)`).
    public static let generator = 2
    /// Architectures, initialisation, pre-training and the card layout.
    /// 3: model and epoch streams from the package's one stream derivation.
    public static let builder = 3
}

/// A task as `zoo.json` lists it.
public struct ZooTaskSummary: Codable, Sendable, Equatable {
    public var name: String
    public var summary: String
    public var classes: Int
    public var trainImages: Int
    public var testImages: Int
    public var labelFactors: [SceneFactor]
    public var specificShare: Double
    /// Relative to the zoo directory.
    public var directory: String

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
public struct ZooModelSummary: Codable, Sendable, Equatable {
    public var name: String
    public var family: String
    public var architecture: ArchitectureSpec
    public var sourceTask: String
    public var parameters: Int
    public var featureDimension: Int
    public var sourceClasses: Int
    public var training: PretrainingOptions
    public var result: PretrainingSummary
    /// Linear-probe accuracy on the target task (train split fit, test split scored).
    public var targetProbeAccuracy: Double
    /// The stage giving intermediate maps, shallow to deep (`{"method": "hints"}`).
    /// The same stage is the card's `hints`.
    public var hints: Stage
    /// Relative to the hub directory.
    public var file: String

    enum CodingKeys: String, CodingKey {
        case name, family, architecture, sourceTask = "source_task", parameters, featureDimension = "feature_dimension"
        case sourceClasses = "source_classes", training, result, targetProbeAccuracy = "target_probe_accuracy", hints, file
    }
}

/// `zoo.json`: written last, so its presence with a matching fingerprint means the
/// zoo is complete.
public struct ZooManifest: Codable, Sendable, Equatable {
    public static let fileName = "zoo.json"
    public var format = 1
    public var generatorVersion: Int
    public var builderVersion: Int
    public var seed: UInt64
    public var size: String
    /// SHA-256 of the versions, the seed and the plan.
    public var fingerprint: String
    public var imageSize: Int
    /// Relative to the zoo directory.
    public var hub: String
    public var target: ZooTaskSummary
    public var sources: [ZooTaskSummary]
    public var models: [ZooModelSummary]
    /// Wall-clock seconds of the build that completed the zoo (models resumed from an
    /// interrupted build not counted again).
    public var buildSeconds: Double
    /// The same linear probe on the raw pixels (3·S² values): the baseline a model's
    /// features must beat to have transferred anything.
    public var targetPixelProbeAccuracy: Double

    /// Best minus worst linear-probe accuracy on the target: how much the models'
    /// transferability differs.
    public var probeSpread: Double {
        let accuracies = models.map(\.targetProbeAccuracy)
        return (accuracies.max() ?? 0) - (accuracies.min() ?? 0)
    }

    enum CodingKeys: String, CodingKey {
        case format, generatorVersion = "generator_version", builderVersion = "builder_version", seed, size, fingerprint
        case imageSize = "image_size", hub, target, sources, models, buildSeconds = "build_seconds"
        case targetPixelProbeAccuracy = "target_pixel_probe_accuracy"
    }

    public static func read(from directory: URL) -> ZooManifest? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(fileName)) else { return nil }
        return try? JSONDecoder().decode(ZooManifest.self, from: data)
    }
}

/// What a build hands back: where the hub and the target dataset are, and the manifest.
public struct BuiltZoo: Sendable {
    public var directory: URL
    public var hub: URL
    /// The target task's dataset directory (train and test splits).
    public var target: URL
    public var manifest: ZooManifest
    /// True when the zoo was already complete and nothing was built.
    public var reused: Bool
    /// Models trained by this call (the others came from an earlier, interrupted build).
    public var trainedModels: [String]
    public var seconds: Double
}
