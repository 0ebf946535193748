import ArgumentParser
import Foundation
import Report

// The options of the commands that run models (`hub`, `tune`, `zoo`). Both
// executables parse them with these types: `hubminer` to decide to forward (and for
// `--help`), `hubminer-torch` to run.

/// The `hub` command group's description; each executable lists its own subcommands.
public enum HubCommandGroup {
    public static func configuration(subcommands: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "hub",
            abstract: "List, inspect and add models of a hub (a directory of TorchScript models with model cards).",
            subcommands: subcommands)
    }
}

public struct HubListOptions: CommandOptions {
    public init() {}
    public static let configuration = CommandConfiguration(commandName: "list", abstract: "The hub's models as their cards describe them.")

    @Argument(help: "The hub directory.")
    public var hub: String

    /// --output may not land inside the hub (it would be read as a card or model).
    public var inputs: CommandInputs { CommandInputs([("the hub", hub)]) }

    @OptionGroup public var output: OutputOptions
}

public struct HubInspectOptions: CommandOptions {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Load each model, run a dummy batch of 2 and report its feature dimension, source classes and problems.",
        discussion: "Exits with status 1 when any model has a problem; the others are still inspected."
    )

    @Argument(help: "The hub directory.")
    public var hub: String

    /// --output may not land inside the hub (it would be read as a card or model).
    public var inputs: CommandInputs { CommandInputs([("the hub", hub)]) }

    @Option(help: "Only this model.")
    public var model: String?

    @OptionGroup public var output: OutputOptions
}

public struct HubAddOptions: CommandOptions {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Copy TorchScript models into the hub and write their cards, after checking that each runs.",
        discussion: """
            The card options (--input-size, --mean, --std, --representation, ...) apply to every model given. \
            The hub folder is created by the first add. Each model is named after its file's stem unless --name \
            is given (one model only). Prints one row per model (name, status, input, representation); a model \
            that fails is reported and the others are still added. Exits with status 1 when any model failed.
            """
    )

    @Argument(help: "The hub directory (created when missing).")
    public var hub: String

    @Option(
        name: .customLong("model"),
        help: ArgumentHelp(
            "A TorchScript file (torch.jit.save), or a folder: each model file in it (.pt, .pth, .ts, .pt2). Repeatable.",
            valueName: "file-or-folder"))
    public var models: [String] = []

    @Option(help: "The model's name (also the stem of its file and card in the hub); only with a single model. Default: the file's stem.")
    public var name: String?

    /// --output may not land inside the hub (it would be read as a card or model) nor
    /// overwrite a model being added.
    public var inputs: CommandInputs { CommandInputs([("the hub", hub)] + models.map { ("--model", $0) }) }

    public func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one --model FILE (or a folder of model files)") }
        if name != nil, models.count > 1 {
            throw ValidationError("--name names a single model; with several --model, each is named after its file's stem")
        }
    }

    @Option(name: .customLong("input-size"), help: "Input as C,H,W (images) or F (tabular). Default 3,224,224.")
    public var inputSize: String?

    @Option(help: "Image resize policy: resize_crop, resize or none.")
    public var resize: String = "resize_crop"

    @Option(help: "Per-channel mean, comma-separated (with --std).")
    public var mean: String?

    @Option(help: "Per-channel std, comma-separated (with --mean).")
    public var std: String?

    @Option(help: "Representation: method:NAME or submodule:PATH (default method:forward).")
    public var representation: String = "method:forward"

    @Option(help: "Pooling of the representation: none, avg, max or flatten.")
    public var pooling: String = "none"

    @Option(name: .customLong("source-head"), help: "Source-class logits: method:NAME or submodule:PATH (applied to the representation).")
    public var sourceHead: String?

    @Option(name: .customLong("source-dataset"), help: "Dataset the model was trained on.")
    public var sourceDataset: String?

    @Option(help: "The model's licence.")
    public var license: String?

    @OptionGroup public var output: OutputOptions
}

/// The options of `tune`.
public struct TuneOptions: CommandOptions {
    public init() {}

    /// The tuning methods' names, for the help text (which `hubminer` prints without
    /// loading the tuning layer); a test keeps it equal to `MethodRegistry.names`.
    public static let methodNames = [
        "finetune", "btuning", "feature-alignment", "multikd", "kd", "dkd", "fitnet", "at", "sp", "rkd", "pkt",
        "l2sp", "delta", "bss", "lwf", "cotuning", "aekd", "relsim", "lcc", "fewdata",
    ]

    public static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune a hub model on a labelled dataset with a tuning method (fine-tuning, distillation, regularisers, ...).",
        discussion: """
            Writes OUT/config.json (the resolved configuration), OUT/log.jsonl (metrics), OUT/result.json, \
            OUT/checkpoint/ and OUT/model/ (the tuned network as a hub entry). Epochs are chosen on validation \
            (the dataset's validation split, or a seeded part held out of its training data); a test split is read \
            once, after training, for the chosen epoch. Interrupt with Ctrl-C to \
            stop after a checkpoint; run the same command with --resume to continue exactly. \
            Data-parallel: --nproc N runs N local processes, each training on 1/N of every batch \
            (--batch-size is the global batch); --distributed joins a run described by RANK, WORLD_SIZE, \
            MASTER_ADDR and MASTER_PORT (every rank must see the same hub, data and --out directory). \
            Methods: \(methodNames.joined(separator: ", ")) (docs/TUNING.md describes each).
            """
    )

    @Option(help: "The hub directory.")
    public var hub: String?

    @Option(help: "The target dataset.")
    public var data: String?

    @Option(help: "The hub model to tune.")
    public var target: String?

    @Option(help: "The tuning method (default finetune).")
    public var method: String?

    @Option(help: "A run configuration file (JSON or YAML); options given here override it.")
    public var config: String?

    @Option(name: .customLong("teacher"), help: "A hub model the method uses as a teacher (repeatable).")
    public var teacher: [String] = []

    @Option(help: "Teachers, comma-separated.")
    public var teachers: String?

    @Option(name: .customLong("option"), help: "A method option key=value (repeatable; overrides method_options).")
    public var option: [String] = []

    @Option(help: "Epochs of training.")
    public var epochs: Int?

    @Option(help: "Optimiser steps of training (instead of --epochs).")
    public var iterations: Int?

    @Option(name: .customLong("batch-size"), help: "Batch size.")
    public var batchSize: Int?

    @Option(help: "The head's learning rate (the backbone's is backbone_lr_multiplier times it).")
    public var lr: Double?

    @Option(help: "Optimiser: sgd or adamw.")
    public var optimizer: String?

    @Option(help: "Random seed.")
    public var seed: Int?

    @Flag(help: "Random crop and horizontal flip of training images.")
    public var augment = false

    @Option(
        name: .customLong("eval-crop"),
        help:
            "How validation images are cropped: none (the card's transform, default), center, or ten (corners, centre and their mirror images, softmax averaged)."
    )
    public var evalCrop: String?

    @Option(help: "Output directory.")
    public var out: String?

    @Flag(help: "Continue the run in --out from its checkpoint.")
    public var resume = false

    @OptionGroup public var output: OutputOptions

    @Flag(help: "Be one rank of a data-parallel run (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).")
    public var distributed = false

    @Option(help: "Run N local processes data-parallel (each with --distributed); --batch-size is the global batch.")
    public var nproc: Int?

    @OptionGroup public var deviceOptions: DeviceOptions

    public func validate() throws {
        if epochs != nil && iterations != nil { throw ValidationError("give --epochs or --iterations, not both") }
        if let nproc, nproc < 1 { throw ValidationError("--nproc expects a process count of at least 1, got \(nproc)") }
        if nproc != nil && distributed {
            throw ValidationError("give --nproc N (start N local ranks) or --distributed (be one rank started by a launcher), not both")
        }
        for o in option where !o.contains("=") || o.hasPrefix("=") {
            throw ValidationError("--option expects key=value, got '\(o)'")
        }
    }

    /// The paths a tuning run reads: --output may be none of them, nor inside them.
    public var inputs: CommandInputs { CommandInputs([("--hub", hub), ("--data", data), ("--config", config)]) }

    /// --teacher and --teachers together.
    public var teacherList: [String] {
        teacher + (teachers?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? [])
    }

    /// --option key=value pairs in order.
    public var methodOptions: [(key: String, value: String)] {
        option.map { text in
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
    }
}

/// The `zoo` command group's description.
public enum ZooCommandGroup {
    public static func configuration(subcommands: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "zoo",
            abstract: "Build the built-in model zoo: procedural tasks and small models pre-trained on them, as a hub.",
            subcommands: subcommands)
    }
}

/// The options of `zoo build` (docs/ZOO.md).
public struct ZooBuildOptions: CommandOptions {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate the tasks and pre-train the zoo's models (cached: a second run reuses them).",
        discussion: """
            Writes DIR/hub (TorchScript models with cards, usable as --hub), DIR/target (the target task, usable as \
            --data), DIR/sources/<task> and DIR/zoo.json. An interrupted build resumes, keeping finished models.
            """
    )

    @Option(help: "The zoo directory (default: <cache>/zoo/quick or <cache>/zoo/full).")
    public var out: String?

    @Flag(help: "The quick zoo (6 models, about half a minute on 2 cores) instead of the full one (12 models).")
    public var quick = false

    @Option(help: "Seed of the tasks and the initial weights.")
    public var seed: UInt64 = 0

    @Option(
        name: .customLong("cache-dir"),
        help:
            "Cache directory holding the default zoo location (default: $HUBMINER_CACHE_DIR, else $XDG_CACHE_HOME/hubminer, else ~/.cache/hubminer).")
    public var cacheDir: String?

    @Option(help: "Cores to use: models trained at once, one core each (default: all).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress on stderr.")
    public var quiet = false

    @Option(
        help: ArgumentHelp(
            "A zoo plan as JSON (tasks, models, image size) instead of a built-in size; for tests and experiments.",
            visibility: .hidden))
    public var plan: String?

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if out != nil && cacheDir != nil { throw ValidationError("--out and --cache-dir are alternatives: give one") }
    }
}
