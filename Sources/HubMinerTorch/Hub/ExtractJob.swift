import Cache
import Data
import FeatureIO
import Foundation
import Torch
import HubMiner
import Hub
import Ranking
import Support

/// Everything `hubminer extract` (and the extraction half of `rank --hub`) needs.
package struct ExtractConfiguration: Sendable {
    package var hub: URL
    package var data: URL
    package var split: DatasetSplit?
    package var batchSize: Int
    package var cacheDirectory: URL
    /// Only these models (all of the hub when nil).
    package var models: [String]?
    /// Cores to use in all.
    package var threads: Int
    /// Overrides `ExtractionThreads.plan` (for measuring the rule).
    package var threadPlan: ExtractionThreads?
    /// When set, features go to `DIR/features/<model>.npy`, source probabilities to
    /// `DIR/source_probs/<model>.npy` and labels to `DIR/labels.npy`: the layout
    /// `hubminer rank --features DIR/features --labels DIR/labels.npy --source-probs DIR/source_probs` reads.
    package var outputDirectory: URL?
    /// Where the models run (`--device`); features come back to the CPU. The cache
    /// does not tell devices apart: their features agree to float32 rounding.
    package var device: Device = .cpu
    /// Which layers `rank --hub` ranks (`LayerSelection`; `HubRankJob` hands anything
    /// but `.last` to `LayerRankJob`).
    package var layers: LayerSelection = .last

    package init(
        hub: URL, data: URL, split: DatasetSplit? = nil, batchSize: Int = 64,
        cacheDirectory: URL = FeatureCache.defaultDirectory(), models: [String]? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, threadPlan: ExtractionThreads? = nil,
        outputDirectory: URL? = nil
    ) {
        self.hub = hub
        self.data = data
        self.split = split
        self.batchSize = batchSize
        self.cacheDirectory = cacheDirectory
        self.models = models
        self.threads = threads
        self.threadPlan = threadPlan
        self.outputDirectory = outputDirectory
    }
}

/// One model's features, from the cache or freshly extracted.
package struct ExtractedModel: Sendable, Equatable {
    package var name: String
    package var featuresURL: URL
    package var probabilitiesURL: URL?
    package var rows: Int
    package var columns: Int
    package var fromCache: Bool
    package var seconds: Double
    /// Samples per second of a fresh extraction.
    package var samplesPerSecond: Double?
    /// Why a cached entry was dropped and re-extracted, if it was.
    package var invalidation: String?
}

package struct ExtractionResult: Sendable {
    package var models: [ExtractedModel]
    package var failed: [ModelFailure]
    /// The dataset's labels in sample order (the rows of every feature file).
    package var labels: [Int]
    package var classNames: [String]
    package var datasetFingerprint: String
    package var threads: ExtractionThreads
}

/// Test and tooling hooks: called after each model is stored. A hook that throws
/// stops the job there, as a killed process would (used by the resume tests).
package struct ExtractHooks: Sendable {
    package var afterModel: (@Sendable (ExtractedModel) throws -> Void)?
    package init(afterModel: (@Sendable (ExtractedModel) throws -> Void)? = nil) { self.afterModel = afterModel }
}

package enum ExtractJob {
    /// Per model: cache lookup → (on a miss) load, run every batch, store → next.
    /// A model that fails (broken file, wrong card, wrong output rank) is recorded and
    /// skipped. Each finished model is committed to the cache before the next starts,
    /// so an interrupted run keeps them.
    package static func run(
        _ config: ExtractConfiguration, progress: ProgressReporter = ProgressReporter(),
        hooks: ExtractHooks = ExtractHooks()
    ) throws -> ExtractionResult {
        try runEach(config, progress: progress, hooks: hooks) { entry, dataset, fingerprint, cache, threads in
            [
                try extractOne(
                    entry, dataset: dataset, fingerprint: fingerprint, config: config, cache: cache,
                    threads: threads, progress: progress)
            ]
        }
    }

    /// What every extraction shares (`run`, and `runLayers` for every layer): the
    /// hub's selected models, the dataset and its labels, the thread plan and the
    /// cache; then `perModel` for each model in name order, a failing model recorded
    /// and skipped.
    static func runEach(
        _ config: ExtractConfiguration, progress: ProgressReporter, hooks: ExtractHooks,
        perModel: (HubEntry, any Dataset, String, FeatureCache, ExtractionThreads) throws -> [ExtractedModel]
    ) throws -> ExtractionResult {
        guard config.batchSize >= 1 else { throw HubError.invalidArgument("--batch-size must be at least 1") }
        let manifest = try HubManifest.load(config.hub)
        let selection = try manifest.selecting(config.models)
        let entries = selection.entries
        var failed = selection.problems.map { ModelFailure(name: $0.name, error: $0.message) }
        for problem in failed { progress.log("\(problem.name) skipped: \(problem.error)") }

        let dataset = try DatasetLoader.open(config.data, split: config.split)
        guard dataset.count > 0 else { throw HubError.invalidArgument("\(config.data.path): the dataset has no samples") }
        var labels = [Int]()
        labels.reserveCapacity(dataset.count)
        for (i, label) in try dataset.labels().enumerated() {
            guard let label else { throw HubError.invalidArgument("\(config.data.path): sample \(i) has no label (ranking needs labelled data)") }
            labels.append(label)
        }
        // Hashes the dataset's files: computed once, not per model.
        let fingerprint = dataset.fingerprint
        let heavy = ((try? DatasetLoader.detect(config.data)) ?? .imageFolder) == .imageFolder
        let threads = config.threadPlan ?? ExtractionThreads.plan(cores: config.threads, heavyDecoding: heavy)
        threads.apply()

        let cache = try FeatureCache(directory: config.cacheDirectory)
        let orphans = try cache.removeOrphans()
        if orphans > 0 { progress.log("cache: removed \(orphans) file(s) of an interrupted run") }

        var models = [ExtractedModel]()
        for entry in entries {
            do {
                for model in try perModel(entry, dataset, fingerprint, cache, threads) {
                    models.append(model)
                    try hooks.afterModel?(model)
                }
            } catch let error as HubError {
                failed.append(ModelFailure(name: entry.name, error: error.description))
                progress.log("\(entry.name) skipped: \(error)")
            } catch let error as DataError {
                failed.append(ModelFailure(name: entry.name, error: error.description))
                progress.log("\(entry.name) skipped: \(error)")
            }
        }
        if let out = config.outputDirectory { try export(models, labels: labels, to: out) }
        return ExtractionResult(
            models: models, failed: failed, labels: labels, classNames: dataset.classNames,
            datasetFingerprint: fingerprint, threads: threads)
    }

    /// Whether `entry` is a text model, after checking that its input kind and the
    /// dataset's agree (text models need text datasets and the other way round).
    static func checkInputKind(of entry: HubEntry, for dataset: any Dataset) throws -> Bool {
        let isText = entry.card.input.kind == .tokens
        guard isText == (dataset.kind == .text) else {
            throw HubError.modelFailed(
                model: entry.name,
                message: isText
                    ? "a text model needs a text dataset (CSV, TSV or JSON Lines with a text column), not \(dataset.kind.rawValue) samples"
                    : "a text dataset needs text models (input.kind tokens); this one takes \(entry.card.input.kind.rawValue) input")
        }
        return isText
    }

    static func extractOne(
        _ entry: HubEntry, dataset: any Dataset, fingerprint: String, config: ExtractConfiguration, cache: FeatureCache,
        threads: ExtractionThreads, progress: ProgressReporter
    ) throws -> ExtractedModel {
        let started = Date()
        let isText = try checkInputKind(of: entry, for: dataset)
        let digest = try entry.contentDigest()
        // text: the token ids depend on the tokenizer files and the truncation length too
        let tokenizer = isText ? ";tokenizer=" + (try TextInput(entry: entry).digest()) : ""
        let key = FeatureCache.key(
            modelDigest: digest, datasetFingerprint: fingerprint,
            representation: entry.card.representation.cacheDescription
                + ";head=" + (entry.card.sourceHead?.summary ?? "-") + tokenizer,
            transform: entry.card.transformDescription)
        var invalidation: String?
        switch try cache.lookup(key: key) {
        case .hit(let cached):
            if cached.rows == dataset.count {
                progress.log("\(entry.name): features from the cache (\(cached.rows) x \(cached.columns))")
                return ExtractedModel(
                    name: entry.name, featuresURL: cached.featuresURL, probabilitiesURL: cached.probabilitiesURL,
                    rows: cached.rows, columns: cached.columns, fromCache: true,
                    seconds: Date().timeIntervalSince(started), samplesPerSecond: nil, invalidation: nil)
            }
            try cache.remove(key: key)
            invalidation = "cached entry has \(cached.rows) rows for \(dataset.count) samples"
        case .invalidated(let reason):
            invalidation = reason
        case .miss:
            break
        }
        if let invalidation { progress.log("\(entry.name): cache entry dropped (\(invalidation)); re-extracting") }

        let extractor = try FeatureExtractor(entry: entry, device: config.device)
        // texts come a window of batches at a time: the extractor runs them in
        // length-sorted batches of `batchSize` and returns the rows in dataset order
        let loader = DataLoader(
            dataset: dataset, batchSize: config.batchSize * (isText ? FeatureExtractor.textBucketWindow : 1),
            transform: entry.card.transform(), shuffle: false, seed: 0, prefetch: max(2, 2 * threads.loaderWorkers),
            workers: threads.loaderWorkers)
        var features = [Float]()
        var probabilities: [Float]?
        var dimension = 0
        var sourceClasses = 0
        var rows = 0
        let extractStart = Date()
        progress.begin(entry.name, total: loader.batchCount, unit: "batches")
        try loader.forEachBatch(epoch: 0) { batch in
            let out =
                isText
                ? try extractor.extract(texts: batch.texts, batchSize: config.batchSize)
                : try extractor.extract(values: batch.values, shape: batch.shape)
            if rows == 0 {
                dimension = out.dimension
                features.reserveCapacity(dataset.count * dimension)
                if let s = out.sourceClasses {
                    sourceClasses = s
                    probabilities = []
                    probabilities?.reserveCapacity(dataset.count * s)
                }
            }
            guard out.dimension == dimension, (out.sourceClasses ?? 0) == sourceClasses else {
                throw HubError.modelFailed(model: entry.name, message: "output width changed between batches (\(dimension) then \(out.dimension))")
            }
            features += out.features
            if let p = out.probabilities { probabilities? += p }
            rows += out.rows
            let elapsed = Date().timeIntervalSince(extractStart)
            progress.advance(String(format: "%@ %.0f images/s", entry.name, Double(rows) / max(elapsed, 1e-9)))
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(extractStart)
        guard rows == dataset.count else {
            throw HubError.modelFailed(model: entry.name, message: "extracted \(rows) rows for \(dataset.count) samples")
        }
        let featureArray = NumericArray(shape: [rows, dimension], dtype: .float32, values: features.map(Double.init))
        let probabilityArray = probabilities.map { NumericArray(shape: [rows, sourceClasses], dtype: .float32, values: $0.map(Double.init)) }
        let stored = try cache.store(key: key, model: entry.name, features: featureArray, probabilities: probabilityArray)
        return ExtractedModel(
            name: entry.name, featuresURL: stored.featuresURL, probabilitiesURL: stored.probabilitiesURL,
            rows: rows, columns: dimension, fromCache: false, seconds: Date().timeIntervalSince(started),
            samplesPerSecond: Double(rows) / max(seconds, 1e-9), invalidation: invalidation)
    }

    /// Copies the features into the layout `rank --features/--labels/--source-probs` reads.
    /// Files an earlier extract wrote there (listed in `ExtractOutputManifest`) that
    /// this run does not write are removed, so a model dropped from the hub does not
    /// linger as a feature file; files the folder holds that no extract wrote are
    /// never touched.
    static func export(_ models: [ExtractedModel], labels: [Int], to directory: URL) throws {
        let previous = ExtractOutputManifest.read(in: directory)
        let features = directory.appendingPathComponent("features")
        let probs = directory.appendingPathComponent("source_probs")
        try FileManager.default.createDirectory(at: features, withIntermediateDirectories: true)
        var written = [String]()
        for model in models {
            try writeAtomically(try Data(contentsOf: model.featuresURL), to: features.appendingPathComponent(model.name + ".npy"))
            written.append("features/\(model.name).npy")
            if let p = model.probabilitiesURL {
                try FileManager.default.createDirectory(at: probs, withIntermediateDirectories: true)
                try writeAtomically(try Data(contentsOf: p), to: probs.appendingPathComponent(model.name + ".npy"))
                written.append("source_probs/\(model.name).npy")
            }
        }
        try FeatureFile.writeNpy(NumericArray(vector: labels.map(Double.init), dtype: .int64), to: directory.appendingPathComponent("labels.npy"))
        written.append("labels.npy")
        // The new list first: a kill after it leaves stale files that are no longer
        // listed only if they were removed, never a listed file that is not ours.
        try ExtractOutputManifest.write(files: written + previous.filter { !written.contains($0) }, in: directory)
        for stale in previous where !written.contains(stale) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(stale))
        }
        try ExtractOutputManifest.write(files: written, in: directory)
    }
}
