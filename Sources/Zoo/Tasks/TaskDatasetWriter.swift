import FeatureIO
import Foundation
import Support

/// Writes a generated task as a NumPy dataset directory the Data layer reads
/// (`DatasetLoader` detects the split folders):
///
///     DIR/train/images.npy   uint8, N x 3 x S x S
///     DIR/train/labels.npy   int64, N
///     DIR/train/classes.txt  one class name per line
///     DIR/test/...           the same for the test split
///     DIR/task.json          the spec, image size, seed and generator version
///
/// Every file is written atomically, and `task.json` last: a directory with a
/// `task.json` matching the wanted spec is complete.
package enum TaskDatasetWriter {
    package static let descriptionFile = "task.json"

    /// What `task.json` records.
    package struct Description: Codable, Sendable, Equatable {
        package var generatorVersion: Int
        package var seed: UInt64
        package var imageSize: Int
        package var spec: TaskSpec
        package var classNames: [String]

        enum CodingKeys: String, CodingKey {
            case generatorVersion = "generator_version", seed, imageSize = "image_size", spec, classNames = "class_names"
        }
    }

    package static func write(_ task: GeneratedTask, seed: UInt64, to directory: URL) throws {
        let names = classNames(task.spec)
        for (splitName, split) in [("train", task.train), ("test", task.test)] {
            let dir = directory.appendingPathComponent(splitName)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let images = NumericArray(shape: [split.count] + split.sampleShape, dtype: .uint8, values: split.images.map(Double.init))
            try FeatureFile.writeNpy(images, to: dir.appendingPathComponent("images.npy"))
            try FeatureFile.writeNpy(
                NumericArray(shape: [split.count], dtype: .int64, values: split.labels.map(Double.init)),
                to: dir.appendingPathComponent("labels.npy"))
            try writeAtomically(Data((names.joined(separator: "\n") + "\n").utf8), to: dir.appendingPathComponent("classes.txt"))
        }
        let description = Description(
            generatorVersion: ZooVersion.generator, seed: seed, imageSize: task.train.imageSize,
            spec: task.spec, classNames: names)
        try writeAtomically(try ZooJSON.encode(description), to: directory.appendingPathComponent(descriptionFile))
    }

    /// The description of a complete dataset directory, nil when it is absent or unreadable.
    package static func readDescription(_ directory: URL) -> Description? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(descriptionFile)) else { return nil }
        return try? JSONDecoder().decode(Description.self, from: data)
    }

    /// Readable class names: the label factors' values ("orient45+red"), or
    /// "glyph3" for a task whose glyphs alone carry the label.
    package static func classNames(_ spec: TaskSpec) -> [String] {
        spec.classCodes.enumerated().map { c, code in
            if spec.labelFactors.isEmpty { return "glyph\(c)" }
            return zip(spec.labelFactors, code).map { factorValueName($0, $1) }.joined(separator: "+")
        }
    }

    static let colourNames = ["red", "green", "blue", "yellow", "magenta", "cyan"]

    static func factorValueName(_ factor: SceneFactor, _ value: Int) -> String {
        switch factor {
        case .orientation:
            let degrees = Double(value) * 22.5
            return "orient" + (degrees == degrees.rounded() ? String(Int(degrees)) : String(degrees))
        case .frequency: return "freq\(value)"
        case .colour: return colourNames[value]
        case .layout: return "layout\(value)"
        }
    }
}

/// JSON as the zoo writes it: pretty, sorted keys.
enum ZooJSON {
    static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(value)
    }
}
