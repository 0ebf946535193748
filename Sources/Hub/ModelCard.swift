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
package struct ModelCard: Codable, Sendable, Equatable {
    package var name: String
    /// The TorchScript file, relative to the hub directory.
    package var file: String
    package var input: InputSpec
    package var representation: RepresentationSpec
    package var sourceHead: Stage?
    /// Intermediate feature maps for hint-based tuning methods (FitNet, attention
    /// transfer, DELTA): a stage run on the input giving a list or tuple of tensors,
    /// shallow to deep.
    package var hints: Stage?
    package var metadata: Metadata

    package init(
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

    /// The longest model name, in UTF-8 bytes: file names derived from it (with a
    /// suffix such as `.features.npy` or `-tuned.pt`) stay under the usual 255.
    package static let maxNameBytes = 200

    package init(from decoder: any Decoder) throws {
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
    package func validationProblem() -> (field: String, message: String)? {
        if name.isEmpty || name.hasPrefix(".") || name.contains("/") || name.contains("\\") {
            return ("name", "'\(name)' is not usable as a file name (no '/', not empty, not starting with '.')")
        }
        // Names become file names (features, caches, exports with suffixes), and file
        // systems stop at 255 bytes: a longer name would fail only when written.
        if name.utf8.count > Self.maxNameBytes {
            return ("name", "\(name.utf8.count) bytes long, at most \(Self.maxNameBytes) (it becomes a file name)")
        }
        if file.isEmpty { return ("file", "empty path") }
        // The model must lie below the hub directory, not be the hub itself.
        if file.hasPrefix("/") {
            return (
                "file",
                "'\(file)' is an absolute path; a card's file is relative to the hub directory (copy the model into the hub, e.g. with `hubminer hub add`)"
            )
        }
        let fileComponents = file.split(separator: "/", omittingEmptySubsequences: true)
        if fileComponents.isEmpty || fileComponents.allSatisfy({ $0 == "." })
            || fileComponents.contains("..")
        {
            return ("file", "'\(file)' is not a path inside the hub directory")
        }
        switch input.kind {
        case .image:
            if input.channels < 1 || input.height < 1 || input.width < 1 {
                return ("input", "channels, height and width must be positive, got \(input.channels)x\(input.height)x\(input.width)")
            }
            // Checked before any tensor of that size is allocated (a probe batch of one
            // 100000 x 100000 image would need 120 GB).
            if input.channels > InputSpec.maxChannels || input.height > InputSpec.maxSide || input.width > InputSpec.maxSide
                || input.channels * input.height * input.width > InputSpec.maxSampleElements
            {
                return (
                    "input",
                    "\(input.channels)x\(input.height)x\(input.width) is too large (at most \(InputSpec.maxChannels) channels, sides of \(InputSpec.maxSide), \(InputSpec.maxSampleElements) values per image)"
                )
            }
        case .tabular:
            if (input.features ?? 0) < 1 { return ("input.features", "a tabular model needs the number of input features (>= 1)") }
            if let f = input.features, f > InputSpec.maxSampleElements {
                return ("input.features", "\(f) is too large (at most \(InputSpec.maxSampleElements))")
            }
        case .tokens:
            if (input.sequenceLength ?? 0) < 1 { return ("input.sequence_length", "a token model needs the sequence length (>= 1)") }
            if let l = input.sequenceLength, l > InputSpec.maxSequenceLength {
                return ("input.sequence_length", "\(l) is too large (at most \(InputSpec.maxSequenceLength))")
            }
        }
        if let tokenizer = input.tokenizer {
            if input.kind != .tokens { return ("input.tokenizer", "only token models (input.kind tokens) have a tokenizer") }
            if tokenizer.isEmpty || tokenizer.hasPrefix("/") || tokenizer.split(separator: "/").contains("..") {
                return ("input.tokenizer", "'\(tokenizer)' must be a folder beside the card (a relative path without '..')")
            }
        }
        if let crop = input.cropPercentage {
            if !(crop > 0 && crop <= 1) { return ("input.crop_pct", "\(crop) must be in (0, 1] (the fraction the centre crop keeps)") }
            if input.kind != .image || input.resize == .none {
                return ("input.crop_pct", "only images resized by the card (resize_crop or resize) have a crop fraction")
            }
            let side = Double(Swift.max(input.height, input.width)) / crop
            if side > Double(InputSpec.maxSide) {
                return ("input.crop_pct", "\(crop) makes the resized side \(Int(side)), above \(InputSpec.maxSide)")
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
package struct InputSpec: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable { case image, tabular, tokens }
    /// How images are brought to `height` x `width`.
    package enum ResizePolicy: String, Codable, Sendable {
        /// Shorter side to max(height, width) keeping the aspect ratio, then a centre crop.
        case resizeCrop = "resize_crop"
        /// Both sides to the target size (aspect ratio not kept).
        case resize
        /// Images must already have the size (a batch of another size is an error).
        case none
    }
    /// Bounds on the sizes a card may ask for, checked before allocating (a card is
    /// untrusted input): far above any real model, far below what would exhaust memory.
    package static let maxChannels = 1024
    package static let maxSide = 16384
    /// Values in one input sample (images: channels x height x width; tables: features).
    package static let maxSampleElements = 1 << 28
    package static let maxSequenceLength = 1 << 20

    package var kind: Kind = .image
    package var channels: Int = 3
    package var height: Int = 224
    package var width: Int = 224
    package var resize: ResizePolicy = .resizeCrop
    /// timm's `crop_pct`: the fraction of the resized image the centre crop keeps.
    /// With `resize_crop` the shorter side goes to ⌊max(height, width) / crop_pct⌋
    /// before the crop to height x width; with `resize` (timm's "squash") both sides
    /// go to ⌊side / crop_pct⌋, then the crop. Absent: 1 (no margin). In (0, 1].
    package var cropPercentage: Double?
    /// Per-channel normalisation `(x - mean) / std` of values in 0...1; none when absent.
    package var mean: [Float]?
    package var std: [Float]?
    /// Tabular models: the number of input features.
    package var features: Int?
    /// Token models: the truncation length of the token-id sequence.
    package var sequenceLength: Int?
    /// Token models saved as TorchScript (as `tune` exports them): the folder, beside
    /// the card, holding the tokenizer files and `config.json` the model was trained
    /// with. Checkpoint folders carry theirs and need none.
    package var tokenizer: String?

    package init(
        kind: Kind = .image, channels: Int = 3, height: Int = 224, width: Int = 224, resize: ResizePolicy = .resizeCrop,
        cropPercentage: Double? = nil, mean: [Float]? = nil, std: [Float]? = nil, features: Int? = nil, sequenceLength: Int? = nil,
        tokenizer: String? = nil
    ) {
        self.kind = kind
        self.channels = channels
        self.height = height
        self.width = width
        self.resize = resize
        self.cropPercentage = cropPercentage
        self.mean = mean
        self.std = std
        self.features = features
        self.sequenceLength = sequenceLength
        self.tokenizer = tokenizer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, channels, height, width, resize, cropPercentage = "crop_pct", mean, std, features, sequenceLength = "sequence_length", tokenizer
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = InputSpec()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        channels = try c.decodeIntegerIfPresent(forKey: .channels) ?? d.channels
        height = try c.decodeIntegerIfPresent(forKey: .height) ?? d.height
        width = try c.decodeIntegerIfPresent(forKey: .width) ?? d.width
        resize = try c.decodeIfPresent(ResizePolicy.self, forKey: .resize) ?? d.resize
        cropPercentage = try c.decodeIfPresent(Double.self, forKey: .cropPercentage)
        mean = try c.decodeIfPresent([Float].self, forKey: .mean)
        std = try c.decodeIfPresent([Float].self, forKey: .std)
        features = try c.decodeIntegerIfPresent(forKey: .features)
        sequenceLength = try c.decodeIntegerIfPresent(forKey: .sequenceLength)
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
    }

    /// The shape of one sample the model takes, without the batch axis.
    package var sampleShape: [Int] {
        switch kind {
        case .image: return [channels, height, width]
        case .tabular: return [features ?? 0]
        case .tokens: return [sequenceLength ?? 0]
        }
    }
}

/// An element of a method's tuple, list or dict result: a position or a key.
package enum OutputSelector: Codable, Sendable, Equatable, CustomStringConvertible {
    case index(Int)
    case key(String)

    package init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .index(i) } else { self = .key(try c.decode(String.self)) }
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .index(let i): try c.encode(i)
        case .key(let k): try c.encode(k)
        }
    }

    package var description: String {
        switch self {
        case .index(let i): return "\(i)"
        case .key(let k): return "'\(k)'"
        }
    }
}

/// One call into the model: a method of the top module, or a submodule's `forward`,
/// optionally followed by picking one element of a tuple/list/dict result.
package struct Stage: Codable, Sendable, Equatable {
    package var method: String?
    package var submodule: String?
    package var output: OutputSelector?

    package init(method: String? = nil, submodule: String? = nil, output: OutputSelector? = nil) {
        self.method = method
        self.submodule = submodule
        self.output = output
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case method, submodule, output }

    package init(from decoder: any Decoder) throws {
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
    package var summary: String {
        let base = submodule.map { "submodule \($0)" } ?? "method \(method ?? "forward")"
        return base + (output.map { "[\($0)]" } ?? "")
    }
}

/// Where the features come from: a stage applied to the model input, or to the
/// output of `after` (itself applied to the input), then pooled to N x D.
package struct RepresentationSpec: Codable, Sendable, Equatable {
    package enum Pooling: String, Codable, Sendable {
        /// The output must already be N x D.
        case none
        /// Mean over every axis after the second (N x C x H x W -> N x C).
        case avg
        /// Maximum over every axis after the second.
        case max
        /// All axes after the first flattened (N x C x H x W -> N x CHW).
        case flatten
    }
    package var method: String?
    package var submodule: String?
    package var output: OutputSelector?
    package var after: Stage?
    package var pooling: Pooling = .none

    package init(method: String? = nil, submodule: String? = nil, output: OutputSelector? = nil, after: Stage? = nil, pooling: Pooling = .none) {
        self.method = method
        self.submodule = submodule
        self.output = output
        self.after = after
        self.pooling = pooling
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case method, submodule, output, after, pooling }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        submodule = try c.decodeIfPresent(String.self, forKey: .submodule)
        output = try c.decodeIfPresent(OutputSelector.self, forKey: .output)
        after = try c.decodeIfPresent(Stage.self, forKey: .after)
        pooling = try c.decodeIfPresent(Pooling.self, forKey: .pooling) ?? .none
    }

    /// The final stage (without `after` and pooling).
    package var stage: Stage { Stage(method: method, submodule: submodule, output: output) }

    func stageProblem(field: String) -> (field: String, message: String)? { stage.stageProblem(field: field) }

    /// A stable text for cache keys: every field, fixed order.
    package var cacheDescription: String {
        func s(_ st: Stage?) -> String {
            guard let st else { return "-" }
            return "m=\(st.method ?? "-"),s=\(st.submodule ?? "-"),o=\(st.output?.description ?? "-")"
        }
        return "stage(\(s(stage)));after(\(s(after)));pool=\(pooling.rawValue)"
    }
}

package struct Metadata: Codable, Sendable, Equatable {
    package var parameters: Int?
    package var sourceDataset: String?
    package var license: String?
    package var description: String?
    /// Filled in by `hub add` (and checked by `hub inspect`).
    package var featureDimension: Int?
    package var sourceClasses: Int?

    package init(
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

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try c.decodeIntegerIfPresent(forKey: .parameters)
        sourceDataset = try c.decodeIfPresent(String.self, forKey: .sourceDataset)
        license = try c.decodeIfPresent(String.self, forKey: .license)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        featureDimension = try c.decodeIntegerIfPresent(forKey: .featureDimension)
        sourceClasses = try c.decodeIntegerIfPresent(forKey: .sourceClasses)
    }
}

/// The formats a hub model file can have, told apart by the file's extension.
package enum ModelFormat: String, Sendable {
    /// `torch.jit.save` archives (`.pt`, `.pth`, ...): inference and tuning.
    case torchScript = "torchscript"
    /// `.pt2` AOTInductor packages (`torch.export` + `aoti_compile_and_package`):
    /// inference only (extraction and ranking).
    case aotInductor = "aotinductor"
}

extension ModelCard {
    package var format: ModelFormat { file.lowercased().hasSuffix(".pt2") ? .aotInductor : .torchScript }

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
