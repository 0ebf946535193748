import FeatureIO
import Foundation
import Support

/// A model's description in a hub: which TorchScript file, what input it takes,
/// where its representation and (optionally) its source-class logits come from,
/// and metadata. Read from `<stem>.json` beside the model or from `hub.json`.
///
/// JSON keys are snake_case. Every field but `name` and `file` has a default; an
/// unknown key is an error naming it (a typo would otherwise silently fall back to
/// a default). See docs/HUB.md for the reference.
public struct ModelCard: Codable, Sendable, Equatable {
    public var name: String
    /// The TorchScript file, relative to the hub directory.
    public var file: String
    public var input: InputSpec
    public var representation: RepresentationSpec
    public var sourceHead: Stage?
    /// Intermediate feature maps for hint-based tuning methods (FitNet, attention
    /// transfer, DELTA): a stage run on the input giving a list or tuple of tensors,
    /// shallow to deep.
    public var hints: Stage?
    public var metadata: Metadata

    public init(
        name: String, file: String, input: InputSpec = InputSpec(), representation: RepresentationSpec = RepresentationSpec(),
        sourceHead: Stage? = nil, hints: Stage? = nil, metadata: Metadata = Metadata()
    ) {
        self.name = name
        self.file = file
        self.input = input
        self.representation = representation
        self.sourceHead = sourceHead
        self.hints = hints
        self.metadata = metadata
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, file, input, representation, sourceHead = "source_head", hints, metadata
    }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        file = try c.decode(String.self, forKey: .file)
        input = try c.decodeIfPresent(InputSpec.self, forKey: .input) ?? InputSpec()
        representation = try c.decodeIfPresent(RepresentationSpec.self, forKey: .representation) ?? RepresentationSpec()
        sourceHead = try c.decodeIfPresent(Stage.self, forKey: .sourceHead)
        hints = try c.decodeIfPresent(Stage.self, forKey: .hints)
        metadata = try c.decodeIfPresent(Metadata.self, forKey: .metadata) ?? Metadata()
    }

    /// Checks that need no model: a usable name, consistent sizes, statistics per channel.
    /// Returns (field, message) of the first problem.
    public func validationProblem() -> (field: String, message: String)? {
        if name.isEmpty || name.hasPrefix(".") || name.contains("/") || name.contains("\\") {
            return ("name", "'\(name)' is not usable as a file name (no '/', not empty, not starting with '.')")
        }
        if file.isEmpty { return ("file", "empty path") }
        switch input.kind {
        case .image:
            if input.channels < 1 || input.height < 1 || input.width < 1 {
                return ("input", "channels, height and width must be positive, got \(input.channels)x\(input.height)x\(input.width)")
            }
        case .tabular:
            if (input.features ?? 0) < 1 { return ("input.features", "a tabular model needs the number of input features (>= 1)") }
        case .tokens:
            if (input.sequenceLength ?? 0) < 1 { return ("input.sequence_length", "a token model needs the sequence length (>= 1)") }
        }
        if let tokenizer = input.tokenizer {
            if input.kind != .tokens { return ("input.tokenizer", "only token models (input.kind tokens) have a tokenizer") }
            if tokenizer.isEmpty || tokenizer.hasPrefix("/") || tokenizer.split(separator: "/").contains("..") {
                return ("input.tokenizer", "'\(tokenizer)' must be a folder beside the card (a relative path without '..')")
            }
        }
        if let mean = input.mean, mean.count != input.channels {
            return ("input.mean", "\(mean.count) values for \(input.channels) channels")
        }
        if let std = input.std {
            if std.count != input.channels { return ("input.std", "\(std.count) values for \(input.channels) channels") }
            if std.contains(where: { !($0 > 0) }) { return ("input.std", "values must be positive") }
        }
        if (input.mean == nil) != (input.std == nil) { return (input.mean == nil ? "input.mean" : "input.std", "mean and std go together") }
        if format == .aotInductor, let p = packageProblem() { return p }
        if let p = representation.stageProblem(field: "representation") { return p }
        if let after = representation.after, let p = after.stageProblem(field: "representation.after") { return p }
        if let head = sourceHead, let p = head.stageProblem(field: "source_head") { return p }
        if let hints, let p = hints.stageProblem(field: "hints") { return p }
        return nil
    }
}

/// What the model is fed.
public struct InputSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case image, tabular, tokens }
    /// How images are brought to `height` x `width`.
    public enum ResizePolicy: String, Codable, Sendable {
        /// Shorter side to max(height, width) keeping the aspect ratio, then a centre crop.
        case resizeCrop = "resize_crop"
        /// Both sides to the target size (aspect ratio not kept).
        case resize
        /// Images must already have the size (a batch of another size is an error).
        case none
    }
    public var kind: Kind = .image
    public var channels: Int = 3
    public var height: Int = 224
    public var width: Int = 224
    public var resize: ResizePolicy = .resizeCrop
    /// Per-channel normalisation `(x - mean) / std` of values in 0...1; none when absent.
    public var mean: [Float]?
    public var std: [Float]?
    /// Tabular models: the number of input features.
    public var features: Int?
    /// Token models: the truncation length of the token-id sequence.
    public var sequenceLength: Int?
    /// Token models saved as TorchScript (as `tune` exports them): the folder, beside
    /// the card, holding the tokenizer files and `config.json` the model was trained
    /// with. Checkpoint folders carry theirs and need none.
    public var tokenizer: String?

    public init(
        kind: Kind = .image, channels: Int = 3, height: Int = 224, width: Int = 224, resize: ResizePolicy = .resizeCrop,
        mean: [Float]? = nil, std: [Float]? = nil, features: Int? = nil, sequenceLength: Int? = nil, tokenizer: String? = nil
    ) {
        self.kind = kind
        self.channels = channels
        self.height = height
        self.width = width
        self.resize = resize
        self.mean = mean
        self.std = std
        self.features = features
        self.sequenceLength = sequenceLength
        self.tokenizer = tokenizer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, channels, height, width, resize, mean, std, features, sequenceLength = "sequence_length", tokenizer
    }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = InputSpec()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        channels = try c.decodeIfPresent(Int.self, forKey: .channels) ?? d.channels
        height = try c.decodeIfPresent(Int.self, forKey: .height) ?? d.height
        width = try c.decodeIfPresent(Int.self, forKey: .width) ?? d.width
        resize = try c.decodeIfPresent(ResizePolicy.self, forKey: .resize) ?? d.resize
        mean = try c.decodeIfPresent([Float].self, forKey: .mean)
        std = try c.decodeIfPresent([Float].self, forKey: .std)
        features = try c.decodeIfPresent(Int.self, forKey: .features)
        sequenceLength = try c.decodeIfPresent(Int.self, forKey: .sequenceLength)
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
    }

    /// The shape of one sample the model takes, without the batch axis.
    public var sampleShape: [Int] {
        switch kind {
        case .image: return [channels, height, width]
        case .tabular: return [features ?? 0]
        case .tokens: return [sequenceLength ?? 0]
        }
    }
}

/// An element of a method's tuple, list or dict result: a position or a key.
public enum OutputSelector: Codable, Sendable, Equatable, CustomStringConvertible {
    case index(Int)
    case key(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .index(i) } else { self = .key(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .index(let i): try c.encode(i)
        case .key(let k): try c.encode(k)
        }
    }

    public var description: String {
        switch self {
        case .index(let i): return "\(i)"
        case .key(let k): return "'\(k)'"
        }
    }
}

/// One call into the model: a method of the top module, or a submodule's `forward`,
/// optionally followed by picking one element of a tuple/list/dict result.
public struct Stage: Codable, Sendable, Equatable {
    public var method: String?
    public var submodule: String?
    public var output: OutputSelector?

    public init(method: String? = nil, submodule: String? = nil, output: OutputSelector? = nil) {
        self.method = method
        self.submodule = submodule
        self.output = output
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case method, submodule, output }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        submodule = try c.decodeIfPresent(String.self, forKey: .submodule)
        output = try c.decodeIfPresent(OutputSelector.self, forKey: .output)
    }

    func stageProblem(field: String) -> (field: String, message: String)? {
        if method != nil && submodule != nil { return (field, "give either 'method' or 'submodule', not both") }
        if method == "" { return (field + ".method", "empty method name") }
        return nil
    }

    /// "method forward", "submodule backbone[0]", for messages.
    public var summary: String {
        let base = submodule.map { "submodule \($0)" } ?? "method \(method ?? "forward")"
        return base + (output.map { "[\($0)]" } ?? "")
    }
}

/// Where the features come from: a stage applied to the model input, or to the
/// output of `after` (itself applied to the input), then pooled to N x D.
public struct RepresentationSpec: Codable, Sendable, Equatable {
    public enum Pooling: String, Codable, Sendable {
        /// The output must already be N x D.
        case none
        /// Mean over every axis after the second (N x C x H x W -> N x C).
        case avg
        /// Maximum over every axis after the second.
        case max
        /// All axes after the first flattened (N x C x H x W -> N x CHW).
        case flatten
    }
    public var method: String?
    public var submodule: String?
    public var output: OutputSelector?
    public var after: Stage?
    public var pooling: Pooling = .none

    public init(method: String? = nil, submodule: String? = nil, output: OutputSelector? = nil, after: Stage? = nil, pooling: Pooling = .none) {
        self.method = method
        self.submodule = submodule
        self.output = output
        self.after = after
        self.pooling = pooling
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case method, submodule, output, after, pooling }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        submodule = try c.decodeIfPresent(String.self, forKey: .submodule)
        output = try c.decodeIfPresent(OutputSelector.self, forKey: .output)
        after = try c.decodeIfPresent(Stage.self, forKey: .after)
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? .none
    }

    /// The final stage (without `after` and pooling).
    public var stage: Stage { Stage(method: method, submodule: submodule, output: output) }

    func stageProblem(field: String) -> (field: String, message: String)? { stage.stageProblem(field: field) }

    /// A stable text for cache keys: every field, fixed order.
    public var cacheDescription: String {
        func s(_ st: Stage?) -> String {
            guard let st else { return "-" }
            return "m=\(st.method ?? "-"),s=\(st.submodule ?? "-"),o=\(st.output?.description ?? "-")"
        }
        return "stage(\(s(stage)));after(\(s(after)));pool=\(pooling.rawValue)"
    }
}

public struct Metadata: Codable, Sendable, Equatable {
    public var parameters: Int?
    public var sourceDataset: String?
    public var license: String?
    public var description: String?
    /// Filled in by `hub add` (and checked by `hub inspect`).
    public var featureDimension: Int?
    public var sourceClasses: Int?

    public init(
        parameters: Int? = nil, sourceDataset: String? = nil, license: String? = nil, description: String? = nil,
        featureDimension: Int? = nil, sourceClasses: Int? = nil
    ) {
        self.parameters = parameters
        self.sourceDataset = sourceDataset
        self.license = license
        self.description = description
        self.featureDimension = featureDimension
        self.sourceClasses = sourceClasses
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case parameters, sourceDataset = "source_dataset", license, description
        case featureDimension = "feature_dimension", sourceClasses = "source_classes"
    }

    public init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try c.decodeIfPresent(Int.self, forKey: .parameters)
        sourceDataset = try c.decodeIfPresent(String.self, forKey: .sourceDataset)
        license = try c.decodeIfPresent(String.self, forKey: .license)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        featureDimension = try c.decodeIfPresent(Int.self, forKey: .featureDimension)
        sourceClasses = try c.decodeIfPresent(Int.self, forKey: .sourceClasses)
    }
}

/// The formats a hub model file can have, told apart by the file's extension.
public enum ModelFormat: String, Sendable {
    /// `torch.jit.save` archives (`.pt`, `.pth`, ...): inference and tuning.
    case torchScript = "torchscript"
    /// `.pt2` AOTInductor packages (`torch.export` + `aoti_compile_and_package`):
    /// inference only (extraction and ranking).
    case aotInductor = "aotinductor"
}

extension ModelCard {
    public var format: ModelFormat { file.lowercased().hasSuffix(".pt2") ? .aotInductor : .torchScript }

    /// An AOTInductor package runs its exported program, nothing else: the card can
    /// only say which of its outputs is the representation (`representation.output`)
    /// and which the source logits (`source_head.output`).
    func packageProblem() -> (field: String, message: String)? {
        let only = "an AOTInductor package (.pt2) runs only its exported program; name its outputs with 'output'"
        if representation.submodule != nil { return ("representation.submodule", only) }
        if let m = representation.method, m != "forward" { return ("representation.method", only) }
        if representation.after != nil { return ("representation.after", only) }
        if let head = sourceHead {
            if head.submodule != nil { return ("source_head.submodule", only) }
            if let m = head.method, m != "forward" { return ("source_head.method", only) }
            if head.output == nil { return ("source_head.output", "which output of the package are the source logits (an index or key)") }
        }
        if hints != nil { return ("hints", "an AOTInductor package (.pt2) cannot give hint maps (they need a TorchScript model)") }
        return nil
    }
}
