import ArgumentParser
import Data
import Foundation

extension DatasetSplit: ExpressibleByArgument {}

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

    @Option(name: .customLong("cache-dir"), help: "Extraction cache (default: $HUBMINER_CACHE_DIR, else $XDG_CACHE_HOME/hubminer, else ~/.cache/hubminer).")
    public var cacheDir: String?

    @Option(name: .customLong("models"), help: "Only these hub models, comma-separated.")
    public var models: String?

    @Option(help: "cpu, cuda or auto: where the models run (auto: the first GPU when there is one, else the CPU).")
    public var device: String = "auto"

    @Option(name: .customLong("torch-threads"), help: ArgumentHelp("libtorch threads (with --loader-workers; overrides the automatic split).", visibility: .hidden))
    public var torchThreads: Int?

    @Option(name: .customLong("loader-workers"), help: ArgumentHelp("Data-loading threads (with --torch-threads).", visibility: .hidden))
    public var loaderWorkers: Int?

    public func validate() throws {
        guard ["cpu", "cuda", "auto"].contains(device) else { throw ValidationError("--device must be cpu, cuda or auto, got '\(device)'") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if (torchThreads == nil) != (loaderWorkers == nil) { throw ValidationError("--torch-threads and --loader-workers go together") }
        if let t = torchThreads, let w = loaderWorkers, t < 1 || w < 1 { throw ValidationError("--torch-threads and --loader-workers must be at least 1") }
    }
}

