import Foundation
import Linalg
import Support

/// What a dataset's samples are: images (`[C, H, W]`), rows of a table (`[F]`) or
/// texts (`Sample.texts`, no values).
public enum SampleKind: String, Codable, Sendable {
    case image, tabular, text
}

/// One example. Images are channels-first `[C, H, W]` with values in `0...1` as decoded
/// (8-bit samples divided by 255: the scaling happens in decoding, so `ToFloat` is the
/// identity); tabular rows are `[F]` with the file's values.
public struct Sample: Sendable, Equatable {
    /// Row-major values; `values.count` is the product of `shape`.
    public var values: [Float]
    /// `[C, H, W]` for images, `[F]` for tabular rows.
    public var shape: [Int]
    /// The class index in `0..<classNames.count`, or nil for unlabelled data.
    public var label: Int?
    /// Where the sample came from (a file, or `file#record`), for error messages.
    public var source: String?
    /// A text sample's text, or pair of texts (empty for images and tables): the hub
    /// layer tokenises them for each model.
    public var texts: [String]
    /// Targets that are not one class: a regression value `[y]`, or a multi-label
    /// 0/1 vector over the class names. Nil for single-label classification.
    public var targets: [Float]?

    public init(values: [Float], shape: [Int], label: Int?, source: String? = nil, texts: [String] = [], targets: [Float]? = nil) {
        self.values = values
        self.shape = shape
        self.label = label
        self.source = source
        self.texts = texts
        self.targets = targets
    }

    /// A readable name for messages: the source, or a placeholder.
    var name: String { source ?? "(unnamed sample)" }
}

/// A finite, randomly accessible collection of samples. Implementations are values
/// (or immutable references) safe to read from several loader threads at once.
public protocol Dataset: Sendable {
    var count: Int { get }
    /// Class names; label `i` is `classNames[i]`.
    var classNames: [String] { get }
    var kind: SampleKind { get }
    /// The sample at `index` in `0..<count`, decoded, without transforms.
    func sample(at index: Int) throws -> Sample
    /// The label of sample `index` without decoding it where the format allows
    /// (used by stratified splits).
    func label(at index: Int) throws -> Int?
    /// A stable fingerprint of the content (and split) for cache keys: changes whenever
    /// any sample or label would change. Hex SHA-256.
    var fingerprint: String { get }
}

extension Dataset {
    public func label(at index: Int) throws -> Int? { try sample(at: index).label }

    /// All labels in index order (nil entries for unlabelled samples).
    public func labels() throws -> [Int?] { try (0..<count).map { try label(at: $0) } }
}

/// A collated batch: samples stacked along a new leading axis.
public struct Batch: Sendable, Equatable {
    /// Contiguous, row-major.
    public var values: [Float]
    /// `[B, C, H, W]` or `[B, F]`.
    public var shape: [Int]
    /// One per sample; `-1` for an unlabelled sample.
    public var labels: [Int]
    /// The dataset indices of the samples, in batch order.
    public var indices: [Int]
    /// Text samples' texts (one or two strings each), for the model's tokenizer;
    /// empty for images and tables.
    public var texts: [[String]]
    /// Per sample, `Sample.targets` (regression values, multi-label vectors); empty
    /// when the samples have none.
    public var targets: [[Float]]

    public init(values: [Float], shape: [Int], labels: [Int], indices: [Int], texts: [[String]] = [], targets: [[Float]] = []) {
        self.values = values
        self.shape = shape
        self.labels = labels
        self.indices = indices
        self.texts = texts
        self.targets = targets
    }

    public var count: Int { indices.count }
}

/// A predefined part of a dataset.
public enum DatasetSplit: String, Sendable, Codable, CaseIterable {
    case train, validation, test
}

/// The dataset layouts `DatasetLoader` reads.
public enum DatasetFormat: String, Sendable, Codable, CaseIterable {
    case imageFolder, cifar10, cifar100, mnist, numpy, csv
    /// Labelled texts: CSV/TSV with a text column, or JSON Lines (`TextDataset`).
    case text
}

/// Everything that goes wrong reading datasets, transforming and batching samples.
/// `description` is one line naming the file (or sample), the field and what was
/// expected, like `FeatureIOError`.
public enum DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file or directory cannot be read.
    case cannotRead(path: String, reason: String)
    /// An image file that libpng/libjpeg cannot decode.
    case decodeFailed(path: String, reason: String)
    /// A header or structure field holding something unexpected.
    case invalidField(path: String, field: String, expected: String, found: String)
    /// A path whose layout matches no supported dataset format.
    case unrecognizedLayout(path: String, reason: String)
    /// The requested split is not defined by the dataset.
    case splitNotDefined(path: String, split: String, available: [String])
    /// A transform that cannot handle a sample (wrong rank, too small, ...).
    case transformFailed(transform: String, sample: String, reason: String)
    /// Samples of one batch with different shapes.
    case shapeMismatch(sample: String, shape: [Int], expected: [Int], firstSample: String)
    /// A caller-supplied argument that is out of range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .decodeFailed(path, reason): return "\(path): cannot decode image: \(reason)"
        case let .invalidField(path, field, expected, found): return "\(path): \(field): expected \(expected), found \(found)"
        case let .unrecognizedLayout(path, reason): return "\(path): not a recognised dataset: \(reason)"
        case let .splitNotDefined(path, split, available):
            return "\(path): the dataset defines no '\(split)' split (available: "
                + (available.isEmpty ? "none; open it without a split and use SeededSplit" : available.joined(separator: ", ")) + ")"
        case let .transformFailed(transform, sample, reason): return "\(sample): \(transform): \(reason)"
        case let .shapeMismatch(sample, shape, expected, first):
            return "\(sample): shape \(shape) differs from \(expected) of \(first) in the same batch "
                + "(add Resize/CenterCrop to make images one size)"
        case let .invalidArgument(message): return message
        }
    }
}

/// The seeded generator of splits, shuffles and augmentations: the package's
/// SplitMix64 (`Support.SeededGenerator`), under the name the data layer's API uses.
public typealias DataRandom = SeededGenerator

extension SeededGenerator {
    /// Uniform in `range`.
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }
}
