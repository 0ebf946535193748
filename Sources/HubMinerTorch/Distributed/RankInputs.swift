import Foundation
import HubMiner
import Ranking

/// What a distributed ranking ranks: the models, the targets every rank encodes the
/// same way, and each model's statistics over a block of rows. Feature files and a
/// hub extraction are the two sources; the reductions, metrics and gathering after
/// them are one code path (`DistributedRankJob`).
protocol RankInputs {
    var modelNames: [String] { get }
    var targets: EncodedTargets { get }
    /// Models known to fail before any row is read (a broken model card), reported once.
    var knownFailures: [ModelFailure] { get }
    /// Model `index`'s statistics over `rows` (possibly empty) of the samples.
    func statistics(ofModel index: Int, rows: Range<Int>, classGrams: Bool) throws -> FeatureStatistics
    /// Where model `index`'s whole-data statistics came from (recorded on the reduced sum).
    func wholeOrigin(ofModel index: Int) -> ShardOrigin
}

/// `rank --features DIR --labels FILE --distributed`: rows of every model's feature file.
struct FeatureFileInputs: RankInputs {
    let config: DistributedRankConfiguration
    let files: [RankJob.ModelFile]
    let targets: EncodedTargets
    var modelNames: [String] { files.map(\.name) }
    var knownFailures: [ModelFailure] { [] }

    init(_ config: DistributedRankConfiguration) throws {
        self.config = config
        files = try StatsJob.modelFiles(config.features)
        targets = try RankJob.loadTargets(config.labelsFile, key: config.labelKey, task: config.task)
    }

    func statistics(ofModel index: Int, rows: Range<Int>, classGrams: Bool) throws -> FeatureStatistics {
        let statsConfig = StatsConfiguration(
            features: config.features, labelsFile: config.labelsFile, task: config.task,
            featureKey: config.featureKey, labelKey: config.labelKey, rows: rows,
            outputDirectory: config.features, classGrams: classGrams,
            chunkRows: config.chunkRows)
        return try StatsJob.accumulate(files[index], rows: rows, targets: targets, config: statsConfig)
    }

    func wholeOrigin(ofModel index: Int) -> ShardOrigin {
        let file = files[index]
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? NSNumber)?.intValue
        return ShardOrigin(
            file: file.url.lastPathComponent, fileBytes: bytes, fileRows: targets.sampleCount,
            rows: 0..<targets.sampleCount)
    }
}
