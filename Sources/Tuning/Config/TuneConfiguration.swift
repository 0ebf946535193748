import Foundation

/// Everything that describes one tuning run: read from a JSON or YAML file
/// (snake_case keys), overridden by command-line options, validated, and saved
/// resolved (every effective value) as `OUT/config.json`. docs/TUNING.md is the
/// reference; every field has a default.
///
/// Optional fields whose default depends on another (`optimizer.lr` on the
/// optimiser, `epochs` on `iterations`) stay nil until `resolved()` fills them in.
public struct TuneConfiguration: Codable, Sendable, Equatable {
    /// The hub directory holding the target model (and teachers).
    public var hub: String?
    /// The target dataset (any layout the Data layer reads).
    public var data: String?
    /// The hub model to tune (the student).
    public var target: String?
    /// The tuning method (`MethodRegistry`).
    public var method: String = "finetune"
    /// Hub models the method may use as teachers.
    public var teachers: [String] = []
    /// The method's hyper-parameters (see the method's docs); unknown keys are errors.
    public var methodOptions: [String: OptionValue] = [:]
    /// Output directory (config.json, log.jsonl, result.json, checkpoint/, model/).
    public var out: String = "tune-output"
    /// Seeds data order, head initialisation, augmentation and libtorch's generator.
    public var seed: Int = 0
    /// Passes over the training split; default 10 unless `iterations` is given.
    public var epochs: Int?
    /// Optimiser steps in total (instead of `epochs`).
    public var iterations: Int?
    public var batchSize: Int = 32
    /// Drop the last incomplete training batch of each epoch (a batch of one breaks batch norm).
    public var dropLast: Bool = true
    public var optimizer = OptimizerSettings()
    public var schedule = ScheduleSettings()
    /// Random crop (with padding) and horizontal flip of training images.
    public var augment: Bool = false
    /// Pixels of zero padding around an image before the random crop (`augment`).
    public var augmentPadding: Int = 4
    /// Label smoothing of the cross-entropy term.
    public var labelSmoothing: Double = 0
    /// Weight of the cross-entropy term.
    public var ceWeight: Double = 1
    /// Also report mean per-class accuracy on the validation split.
    public var meanClass: Bool = false
    /// Write a `step` log line every this many iterations (and at each epoch's end).
    public var logEvery: Int = 10
    /// Also checkpoint every this many iterations (checkpoints are always written at each epoch's end).
    public var checkpointEvery: Int?
    /// How the validation split is chosen when the dataset has none.
    public var split = SplitSettings()
    /// Data-loader threads decoding ahead of training.
    public var workers: Int = 1
    /// Writing the tuned network as a hub entry (`OUT/model/`).
    public var export = ExportSettings()

    public init() {}

    public struct OptimizerSettings: Codable, Sendable, Equatable {
        /// `sgd` (momentum, Nesterov) or `adamw`.
        public var name: String = "sgd"
        /// The head's learning rate; default 0.01 for SGD, 0.001 for AdamW.
        public var lr: Double?
        /// The backbone's learning rate is `lr` times this (0 freezes the backbone).
        public var backboneLrMultiplier: Double = 0.1
        /// Default 5e-4 for SGD (L2), 0.01 for AdamW (decoupled).
        public var weightDecay: Double?
        /// SGD only.
        public var momentum: Double = 0.9
        /// SGD only.
        public var nesterov: Bool = true
        /// AdamW only.
        public var beta1: Double = 0.9
        public var beta2: Double = 0.999
        public var eps: Double = 1e-8
        public init() {}
    }

    public struct ScheduleSettings: Codable, Sendable, Equatable {
        /// `cosine` (to `min_lr` over the run), `step` (times `gamma` every `step_epochs`) or `constant`.
        public var name: String = "cosine"
        /// Linear warm-up from a third of the rate, in epochs (fractions allowed).
        public var warmupEpochs: Double = 0
        public var minLr: Double = 0
        /// `step`: epochs between decays; default a third of the run.
        public var stepEpochs: Double?
        public var gamma: Double = 0.1
        public init() {}
    }

    public struct SplitSettings: Codable, Sendable, Equatable {
        /// Part of the training data held out for validation when the dataset defines
        /// neither a validation nor a test split (stratified, seeded).
        public var validationFraction: Double = 0.2
        public var seed: Int = 0
        public init() {}
    }

    public struct ExportSettings: Codable, Sendable, Equatable {
        public var enabled: Bool = true
        /// `best` (highest validation top-1) or `last`.
        public var weights: String = "best"
        /// The exported model's name; default `<target>-<method>`.
        public var name: String?
        public init() {}
    }
}

/// A method option's value as written in a config file: a number, string, boolean
/// or list (the same cases as `MethodOptions.Value`, in plain JSON form).
public struct OptionValue: Codable, Sendable, Equatable {
    public var value: MethodOptions.Value

    public init(_ value: MethodOptions.Value) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            value = .bool(b)
        } else if let x = try? c.decode(Double.self) {
            value = .number(x)
        } else if let s = try? c.decode(String.self) {
            value = .string(s)
        } else if let list = try? c.decode([OptionValue].self) {
            value = .list(list.map(\.value))
        } else {
            throw DecodingError.typeMismatch(
                OptionValue.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "expected a number, string, boolean or list"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .number(let x): try c.encode(x)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .list(let items): try c.encode(items.map(OptionValue.init))
        }
    }

    /// A command-line value: `true`/`false`, a number, else a string.
    public init(parsing text: String) {
        if text == "true" || text == "false" {
            value = .bool(text == "true")
        } else if let x = Double(text), x.isFinite {
            value = .number(x)
        } else {
            value = .string(text)
        }
    }
}
