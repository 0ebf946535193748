import ArgumentParser
import Data
import Foundation
import HubMiner

extension DatasetSplit: ExpressibleByArgument {}
extension LayerSelection: ExpressibleByArgument {}

/// Options shared by `extract` and `rank --hub`.
public struct ExtractionOptions: ParsableArguments {
    public init() {}

    @Option(help: "The hub directory (TorchScript models with model cards).")
    public var hub: String?

    @Option(help: "The dataset: an image folder, CIFAR/MNIST files, images.npy + labels.npy, .npz or .csv.")
    public var data: String?

    @Option(help: "train, validation or test (default: everything the dataset holds).")
    public var split: DatasetSplit?

    @Option(name: .customLong("batch-size"), help: "Samples per forward pass.")
    public var batchSize: Int = 64

    @Option(
        name: .customLong("cache-dir"),
        help: "Extraction cache (default: $HUBMINER_CACHE_DIR, else $XDG_CACHE_HOME/hubminer, else ~/.cache/hubminer).")
    public var cacheDir: String?

    @Option(name: .customLong("models"), help: "Only these hub models, comma-separated.")
    public var models: String?

    @OptionGroup public var deviceOptions: DeviceOptions

    /// --device: cpu, cuda or auto.
    public var device: String { deviceOptions.device }

    @Option(
        name: .customLong("torch-threads"),
        help: ArgumentHelp("libtorch threads (with --loader-workers; overrides the automatic split).", visibility: .hidden))
    public var torchThreads: Int?

    @Option(name: .customLong("loader-workers"), help: ArgumentHelp("Data-loading threads (with --torch-threads).", visibility: .hidden))
    public var loaderWorkers: Int?

    /// --models as a list of names, nil for every model.
    public var modelList: [String]? {
        models.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    @Option(
        help:
            "last (the model's representation), all (every hidden layer as a row model@layerK), mean (the layers' mean), best (each model at its best layer). extract: anything but last writes every layer."
    )
    public var layers: LayerSelection = .last

    @Option(
        help: ArgumentHelp(
            "float32 (default), bfloat16, or float16 (CUDA only): the type the models compute in. Features come back as float32; the first samples of each pass are also run in float32 and the feature and LogME differences reported, with a warning when the ranking could change.",
            valueName: "type"))
    public var precision: String = "float32"

    @Flag(
        name: .customLong("plain-inference"),
        help: ArgumentHelp(
            "Run the models as loaded: no freezing or inference optimisation, no memory-format and batch-size probe (to measure them).",
            visibility: .hidden))
    public var plainInference = false

    @Option(
        name: .customLong("layout-probe"),
        help: ArgumentHelp(
            "auto (when it costs at most a tenth of a model's pass), always or off: the memory-format and batch-size probe on the first chunk.",
            visibility: .hidden))
    public var layoutProbe: String = "auto"

    public func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard ["auto", "always", "off"].contains(layoutProbe) else {
            throw ValidationError("--layout-probe must be auto, always or off, got '\(layoutProbe)'")
        }
        guard ["float32", "bfloat16", "float16"].contains(precision) else {
            throw ValidationError("--precision must be float32, bfloat16 or float16, got '\(precision)'")
        }
        if precision != "float32", layers != .last { throw ValidationError("--layers runs in float32: leave out --precision") }
        if (torchThreads == nil) != (loaderWorkers == nil) { throw ValidationError("--torch-threads and --loader-workers go together") }
        if let t = torchThreads, let w = loaderWorkers, t < 1 || w < 1 {
            throw ValidationError("--torch-threads and --loader-workers must be at least 1")
        }
    }
}

/// The options of `extract`.
public struct ExtractOptions: CommandOptions {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract every hub model's features (and source probabilities) on a dataset, through the cache.",
        discussion: """
            Writes OUT/features/<model>.npy, OUT/source_probs/<model>.npy (models with a source head), \
            OUT/labels.npy and OUT/extract.json (the list of files it wrote): rank them with `hubminer rank --features OUT/features --labels OUT/labels.npy \
            --source-probs OUT/source_probs`.
            """
    )

    @OptionGroup public var extraction: ExtractionOptions

    @Option(
        help: ArgumentHelp(
            "Output directory. Files an earlier extract wrote there (listed in OUT/extract.json) and this run does not are removed; other files are left alone.",
            valueName: "dir"))
    public var out: String

    @Flag(
        name: .customLong("allow-output-in-inputs"),
        help: "Allow --out inside (or around) the hub or the dataset folder, which this command reads.")
    public var allowOutputInInputs = false

    /// The paths extraction reads: --out may not lie inside them (nor hold them).
    public var inputs: CommandInputs { CommandInputs([("--hub", extraction.hub), ("--data", extraction.data)]) }

    @Option(help: "Cores to use (default: all).")
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress on stderr.")
    public var quiet = false

    public func validate() throws {
        guard extraction.hub != nil, extraction.data != nil else { throw ValidationError("extract needs --hub and --data") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }
}
