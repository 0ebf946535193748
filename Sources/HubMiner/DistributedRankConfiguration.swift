import Foundation
import Ranking

/// Everything `rank --distributed` needs besides the process group: the feature
/// files and labels every rank reads (a shared file system, or the same copy on
/// every machine), and the metrics, which must run on sufficient statistics.
///
/// Plain data, so the command line (which never loads libtorch) can build it; the
/// job itself lives in `HubMinerDistributed`.
public struct DistributedRankConfiguration: Sendable {
    /// One feature file, or a directory of them (one per model, stem = name).
    public var features: URL
    public var labelsFile: URL
    public var task: TaskKind
    public var featureKey: String?
    public var labelKey: String?
    public var metrics: [any TransferabilityMetric]
    public var logME: LogME
    /// `--metric all`: leave out the metrics that need the samples (with a note).
    public var skipUnsupportedMetrics: Bool
    /// BLAS threads of this process.
    public var threads: Int
    /// Rows per chunk; nil sizes chunks as `hubminer stats` does.
    public var chunkRows: Int?
    /// `rank --hub --data --distributed`: extract every hub model's features on this
    /// rank's block of samples instead of reading `features` and `labelsFile`
    /// (which are then unused).
    public var hubExtraction: DistributedHubExtraction?

    public init(
        features: URL, labelsFile: URL, task: TaskKind = .classification, featureKey: String? = nil,
        labelKey: String? = nil, metrics: [any TransferabilityMetric] = [LogME()], logME: LogME = LogME(),
        skipUnsupportedMetrics: Bool = false, threads: Int = 1, chunkRows: Int? = nil,
        hubExtraction: DistributedHubExtraction? = nil
    ) {
        self.features = features
        self.labelsFile = labelsFile
        self.task = task
        self.featureKey = featureKey
        self.labelKey = labelKey
        self.metrics = metrics
        self.logME = logME
        self.skipUnsupportedMetrics = skipUnsupportedMetrics
        self.threads = threads
        self.chunkRows = chunkRows
        self.hubExtraction = hubExtraction
    }
}

/// Where a distributed hub ranking extracts from: plain data (the command line that
/// builds it never loads libtorch); the extraction lives in `HubMinerDistributed`.
public struct DistributedHubExtraction: Sendable {
    public var hub: URL
    public var data: URL
    /// `train`, `validation` or `test`; nil for everything the dataset holds.
    public var split: String?
    public var batchSize: Int
    /// Only these hub models (all when nil).
    public var models: [String]?
    /// Overrides the automatic split of this rank's cores into libtorch threads and
    /// data-loading workers (`--torch-threads`, `--loader-workers`).
    public var torchThreads: Int?
    public var loaderWorkers: Int?

    public init(
        hub: URL, data: URL, split: String? = nil, batchSize: Int = 64, models: [String]? = nil,
        torchThreads: Int? = nil, loaderWorkers: Int? = nil
    ) {
        self.hub = hub
        self.data = data
        self.split = split
        self.batchSize = batchSize
        self.models = models
        self.torchThreads = torchThreads
        self.loaderWorkers = loaderWorkers
    }
}

/// How a distributed run splits rows and models among its processes.
public enum RankPartition {
    /// Rank `rank`'s contiguous rows of `count`: sizes differ by at most one, the
    /// first `count % worldSize` ranks take the extra row; empty when count < worldSize.
    public static func rows(of count: Int, rank: Int, worldSize: Int) -> Range<Int> {
        precondition(worldSize >= 1 && (0..<worldSize).contains(rank) && count >= 0)
        let base = count / worldSize, extra = count % worldSize
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// The rank that computes model `index`'s metrics (round-robin).
    public static func owner(ofModel index: Int, worldSize: Int) -> Int { index % worldSize }
}
