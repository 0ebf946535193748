import Data
import Foundation
import Hub
import HubMiner
import Linalg
import Ranking

/// `rank --hub HUB --data DATA --distributed`: every rank runs every hub model over
/// its own contiguous block of samples (`RankPartition.rows`, the same split as the
/// feature-file path) and accumulates the statistics straight from the extracted
/// batches. Nothing is written: no feature files and no cache entries, so ranks on
/// one machine never contend for the cache's database.
///
/// Each rank reads every label (cheap next to decoding images) so that all of them
/// encode the same classes in the same column order, whatever their block holds.
struct HubExtractionInputs: RankInputs {
    let source: DistributedHubExtraction
    let entries: [HubEntry]
    let dataset: any Dataset
    let targets: EncodedTargets
    let knownFailures: [ModelFailure]
    let threads: ExtractionThreads
    var modelNames: [String] { entries.map(\.name) }

    /// Opens the hub and the dataset, reads the labels and sets this process's
    /// libtorch threads (from `cores`, this rank's share of the machine).
    init(_ source: DistributedHubExtraction, cores: Int) throws {
        self.source = source
        guard source.batchSize >= 1 else { throw HubError.invalidArgument("--batch-size must be at least 1") }
        let manifest = try HubManifest.load(source.hub)
        let selection = try manifest.selecting(source.models)
        let entries = selection.entries
        let failures = selection.problems.map { ModelFailure(name: $0.name, error: $0.message) }
        self.entries = entries
        knownFailures = failures

        var split: DatasetSplit?
        if let name = source.split {
            guard let parsed = DatasetSplit(rawValue: name) else {
                throw HubError.invalidArgument(
                    "--split is '\(name)'; expected one of \(DatasetSplit.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            split = parsed
        }
        dataset = try DatasetLoader.open(source.data, split: split)
        guard dataset.count > 0 else { throw HubError.invalidArgument("\(source.data.path): the dataset has no samples") }
        var labels = [Int]()
        labels.reserveCapacity(dataset.count)
        for (i, label) in try dataset.labels().enumerated() {
            guard let label else { throw HubError.invalidArgument("\(source.data.path): sample \(i) has no label (ranking needs labelled data)") }
            labels.append(label)
        }
        targets = try TargetEncoder.encodeClasses(labels)

        let heavy = ((try? DatasetLoader.detect(source.data)) ?? .imageFolder) == .imageFolder
        threads =
            source.torchThreads.map { ExtractionThreads(torch: $0, loaderWorkers: source.loaderWorkers ?? 1) }
            ?? ExtractionThreads.plan(cores: cores, heavyDecoding: heavy)
        threads.apply()
    }

    func statistics(ofModel index: Int, rows: Range<Int>, classGrams: Bool) throws -> FeatureStatistics {
        let entry = entries[index]
        let extractor = try FeatureExtractor(entry: entry)
        // A rank without rows still contributes (zero) statistics of the right width.
        guard !rows.isEmpty else {
            return FeatureStatistics(
                modelName: entry.name, featureDimension: try extractor.probe().dimension,
                targets: targets, classGrams: classGrams)
        }
        let block = SubsetDataset(base: dataset, indices: Array(rows))
        let loader = DataLoader(
            dataset: block, batchSize: source.batchSize, transform: entry.card.transform(),
            shuffle: false, seed: 0, prefetch: max(2, 2 * threads.loaderWorkers), workers: threads.loaderWorkers)
        var statistics: FeatureStatistics?
        var next = rows.lowerBound
        try loader.forEachBatch(epoch: 0) { batch in
            let out = try extractor.extract(values: batch.values, shape: batch.shape)
            if statistics == nil {
                statistics = FeatureStatistics(
                    modelName: entry.name, featureDimension: out.dimension, targets: targets,
                    classGrams: classGrams)
            }
            guard out.dimension == statistics?.featureDimension, out.rows == batch.shape[0] else {
                throw HubError.modelFailed(
                    model: entry.name,
                    message:
                        "output changed shape between batches (\(out.rows) x \(out.dimension) for a batch of \(batch.shape[0]); first batch had width \(statistics?.featureDimension ?? 0))"
                )
            }
            // Float32 features widened to float64, as reading the cache's float32 file does.
            let features = Matrix(rows: out.rows, columns: out.dimension, storage: out.features.map(Double.init))
            do {
                try statistics?.accumulate(features: features, targets: targets, rows: next..<(next + out.rows))
            } catch let error as RankingError {
                throw HubError.modelFailed(model: entry.name, message: "samples \(next)..<\(next + out.rows): \(error)")
            }
            next += out.rows
        }
        guard let statistics, next == rows.upperBound else {
            throw HubError.modelFailed(
                model: entry.name,
                message: "extracted \(next - rows.lowerBound) rows for the \(rows.count) samples \(rows.lowerBound)..<\(rows.upperBound)")
        }
        return statistics
    }

    func wholeOrigin(ofModel index: Int) -> ShardOrigin {
        ShardOrigin(
            file: entries[index].modelFile.lastPathComponent, fileBytes: nil, fileRows: targets.sampleCount,
            rows: 0..<targets.sampleCount)
    }
}
