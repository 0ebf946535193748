import Foundation

/// Everything that describes one tuning run: read from a JSON or YAML file
/// (snake_case keys), overridden by command-line options, validated, and saved
/// resolved (every effective value) as `OUT/config.json`. docs/TUNING.md is the
/// reference; every field has a default.
///
/// Optional fields whose default depends on another (`optimizer.lr` on the
/// optimiser, `epochs` on `iterations`) stay nil until `resolved()` fills them in.
package struct TuneConfiguration: Codable, Sendable, Equatable {
    /// The hub directory holding the target model (and teachers).
    package var hub: String?
    /// The target dataset (any layout the Data layer reads).
    package var data: String?
    /// The hub model to tune (the student).
    package var target: String?
    /// The tuning method (`MethodRegistry`).
    package var method: String = "finetune"
    /// Hub models the method may use as teachers.
    package var teachers: [String] = []
    /// The method's hyper-parameters (see the method's docs); unknown keys are errors.
    package var methodOptions: [String: OptionValue] = [:]
    /// Output directory (config.json, log.jsonl, result.json, checkpoint/, model/).
    package var out: String = "tune-output"
    /// Seeds data order, head initialisation, augmentation and libtorch's generator.
    package var seed: Int = 0
    /// Passes over the training split; default 10 unless `iterations` is given.
    package var epochs: Int?
    /// Optimiser steps in total (instead of `epochs`).
    package var iterations: Int?
    package var batchSize: Int = 32
    /// Drop the last incomplete training batch of each epoch (a batch of one breaks batch norm).
    package var dropLast: Bool = true
    package var optimizer = OptimizerSettings()
    package var schedule = ScheduleSettings()
    /// Random crop (with padding) and horizontal flip of training images.
    package var augment: Bool = false
    /// Pixels of zero padding around an image before the random crop (`augment`).
    package var augmentPadding: Int = 4
    /// Label smoothing of the cross-entropy term.
    package var labelSmoothing: Double = 0
    /// Weight of the cross-entropy term.
    package var ceWeight: Double = 1
    /// How evaluated images are cropped (`EvaluationCrop`): `none` (the card's own
    /// transform, as ranking uses), `center` or `ten` (the B-Tuning protocol's
    /// ten-crop: softmax averaged over the corners, the centre and their mirror images).
    package var evalCrop: String = EvaluationCrop.none.rawValue
    /// Also report mean per-class accuracy on the validation split.
    package var meanClass: Bool = false
    /// Write a `step` log line every this many iterations (and at each epoch's end).
    package var logEvery: Int = 10
    /// Also checkpoint every this many iterations (checkpoints are always written at each epoch's end).
    package var checkpointEvery: Int?
    /// How the validation split is chosen when the dataset has none.
    package var split = SplitSettings()
    /// Data-loader threads decoding ahead of training.
    package var workers: Int = 1
    /// Writing the tuned network as a hub entry (`OUT/model/`).
    package var export = ExportSettings()

    package init() {}

    package struct OptimizerSettings: Codable, Sendable, Equatable {
        /// `sgd` (momentum, Nesterov) or `adamw`.
        package var name: String = "sgd"
        /// The head's learning rate; default 0.01 for SGD, 0.001 for AdamW.
        package var lr: Double?
        /// The backbone's learning rate is `lr` times this (0 freezes the backbone).
        package var backboneLrMultiplier: Double = 0.1
        /// Default 5e-4 for SGD (L2), 0.01 for AdamW (decoupled).
        package var weightDecay: Double?
        /// SGD only.
        package var momentum: Double = 0.9
        /// SGD only.
        package var nesterov: Bool = true
        /// AdamW only.
        package var beta1: Double = 0.9
        package var beta2: Double = 0.999
        package var eps: Double = 1e-8
        package init() {}
    }

    package struct ScheduleSettings: Codable, Sendable, Equatable {
        /// `cosine` (to `min_lr` over the run), `step` (times `gamma` every `step_epochs`) or `constant`.
        package var name: String = "cosine"
        /// Linear warm-up from a third of the rate, in epochs (fractions allowed).
        package var warmupEpochs: Double = 0
        package var minLr: Double = 0
        /// `step`: epochs between decays; default a third of the run.
        package var stepEpochs: Double?
        package var gamma: Double = 0.1
        package init() {}
    }

    package struct SplitSettings: Codable, Sendable, Equatable {
        /// Part of the training data held out for validation when the dataset defines
        /// neither a validation nor a test split (stratified, seeded).
        package var validationFraction: Double = 0.2
        package var seed: Int = 0
        /// Few-data runs: keep this many training samples of each class (all of a
        /// class that has fewer), chosen with `seed` from the training split only,
        /// after the validation hold-out; unset keeps every training sample.
        package var trainPerClass: Int?
        package init() {}
    }

    package struct ExportSettings: Codable, Sendable, Equatable {
        package var enabled: Bool = true
        /// `best` (highest validation top-1) or `last`.
        package var weights: String = "best"
        /// The exported model's name; default `<target>-<method>`.
        package var name: String?
        package init() {}
    }
}

/// A method option's value as written in a config file: a number, string, boolean
/// or list (the same cases as `MethodOptions.Value`, in plain JSON form).
package struct OptionValue: Codable, Sendable, Equatable {
    package var value: MethodOptions.Value

    package init(_ value: MethodOptions.Value) { self.value = value }

    package init(from decoder: any Decoder) throws {
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

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch value {
        case .number(let x): try c.encode(x)
        case .string(let s): try c.encode(s)
        case .bool(let b): try c.encode(b)
        case .list(let items): try c.encode(items.map(OptionValue.init))
        }
    }

    /// A command-line value: `true`/`false`, a number, else a string.
    package init(parsing text: String) {
        if text == "true" || text == "false" {
            value = .bool(text == "true")
        } else if let x = Double(text), x.isFinite {
            value = .number(x)
        } else {
            value = .string(text)
        }
    }
}
