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

    @Option(name: .customLong("cache-dir"), help: "Extraction cache (default: $HUBMINER_CACHE_DIR, else $XDG_CACHE_HOME/hubminer, else ~/.cache/hubminer).")
    public var cacheDir: String?

    @Option(name: .customLong("models"), help: "Only these hub models, comma-separated.")
    public var models: String?

    @Option(name: .customLong("torch-threads"), help: ArgumentHelp("libtorch threads (with --loader-workers; overrides the automatic split).", visibility: .hidden))
    public var torchThreads: Int?

    @Option(name: .customLong("loader-workers"), help: ArgumentHelp("Data-loading threads (with --torch-threads).", visibility: .hidden))
    public var loaderWorkers: Int?

    @Option(help: "last (the model's representation), all (every hidden layer as a row model@layerK), mean (the layers' mean), best (each model at its best layer). extract: anything but last writes every layer.")
    public var layers: LayerSelection = .last

    public func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        if (torchThreads == nil) != (loaderWorkers == nil) { throw ValidationError("--torch-threads and --loader-workers go together") }
        if let t = torchThreads, let w = loaderWorkers, t < 1 || w < 1 { throw ValidationError("--torch-threads and --loader-workers must be at least 1") }
    }
}

