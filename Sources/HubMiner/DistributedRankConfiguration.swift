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

    public init(features: URL, labelsFile: URL, task: TaskKind = .classification, featureKey: String? = nil,
                labelKey: String? = nil, metrics: [any TransferabilityMetric] = [LogME()], logME: LogME = LogME(),
                skipUnsupportedMetrics: Bool = false, threads: Int = 1, chunkRows: Int? = nil) {
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
