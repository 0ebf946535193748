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
    /// Decoded bytes per chunk of a shared pass (`SharedPass`).
    package var chunkBytes: Int = SharedPass.defaultChunkBytes
    /// The type the models compute in (`--precision`); reduced precisions are checked
    /// against float32 on the first samples of each pass (`PrecisionCheck`) and cached
    /// apart from float32 features.
    package var precision: InferencePrecision = .float32
    /// Freeze and optimise TorchScript models for inference and probe each image
    /// model's fastest memory format and batch size (off only to measure them).
    package var tuneInference = true
    /// Largest share of a model's pass the layout probe may cost (`SharedPass`); 0 turns it off.
    package var layoutProbeShare = SharedPass.defaultLayoutProbeShare

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
    /// The shared passes over the data, one per input pipeline with two or more
    /// models to extract (models that run alone are not listed).
    package var passes: [ExtractionPass] = []
}

/// One pass over the dataset shared by the models of one input pipeline.
package struct ExtractionPass: Sendable, Equatable {
    /// The models loaded for the pass, in order.
    package var models: [String]
    /// Samples decoded and transformed (once for all the models).
    package var samples: Int

    package init(models: [String], samples: Int) {
        self.models = models
        self.samples = samples
    }
}

/// A model the cache could not serve.
struct PendingModel {
    var entry: HubEntry
    var key: String
    var isText: Bool
    /// Why a cached entry was dropped, if one was.
    var invalidation: String?
}

enum CacheOutcome {
    case cached(ExtractedModel)
    case missing(PendingModel)
}

/// What every extraction opens once: the hub's selected models, the dataset and its
/// labels, the thread plan (applied) and the cache.
struct ExtractionContext {
    let config: ExtractConfiguration
    let entries: [HubEntry]
    /// Cards that did not load (and unknown names).
    let failed: [ModelFailure]
    let dataset: any Dataset
    let labels: [Int]
    let fingerprint: String
    let threads: ExtractionThreads
    let cache: FeatureCache

    init(_ config: ExtractConfiguration, progress: ProgressReporter) throws {
        guard config.batchSize >= 1 else { throw HubError.invalidArgument("--batch-size must be at least 1") }
        self.config = config
        let manifest = try HubManifest.load(config.hub)
        let selection = try manifest.selecting(config.models)
        entries = selection.entries
        failed = selection.problems.map { ModelFailure(name: $0.name, error: $0.message) }
        for problem in failed { progress.log("\(problem.name) skipped: \(problem.error)") }

        dataset = try DatasetLoader.open(config.data, split: config.split)
        guard dataset.count > 0 else { throw HubError.invalidArgument("\(config.data.path): the dataset has no samples") }
        var labels = [Int]()
        labels.reserveCapacity(dataset.count)
        for (i, label) in try dataset.labels().enumerated() {
            guard let label else { throw HubError.invalidArgument("\(config.data.path): sample \(i) has no label (ranking needs labelled data)") }
            labels.append(label)
        }
        self.labels = labels
        // Hashes the dataset's files: computed once, not per model.
        fingerprint = dataset.fingerprint
        let heavy = ((try? DatasetLoader.detect(config.data)) ?? .imageFolder) == .imageFolder
        threads = config.threadPlan ?? ExtractionThreads.plan(cores: config.threads, heavyDecoding: heavy)
        threads.apply()

        cache = try FeatureCache(directory: config.cacheDirectory)
        let orphans = try cache.removeOrphans()
        if orphans > 0 { progress.log("cache: removed \(orphans) file(s) of an interrupted run") }
    }

    func result(models: [ExtractedModel], failed: [ModelFailure]) -> ExtractionResult {
        ExtractionResult(
            models: models, failed: failed, labels: labels, classNames: dataset.classNames,
            datasetFingerprint: fingerprint, threads: threads)
    }
}

/// Test and tooling hooks: called after each model is stored. A hook that throws
/// stops the job there, as a killed process would (used by the resume tests).
package struct ExtractHooks: Sendable {
    package var afterModel: (@Sendable (ExtractedModel) throws -> Void)?
    package init(afterModel: (@Sendable (ExtractedModel) throws -> Void)? = nil) { self.afterModel = afterModel }
}

package enum ExtractJob {
    /// Cache lookup for every model, then one pass over the data per input pipeline
    /// for the models the cache could not serve (`SharedPass`: each sample decoded
    /// and transformed once for all the models of its pipeline); text models run one
    /// at a time (each tokenises with its own tokenizer). A model that fails (broken
    /// file, wrong card, wrong output rank) is recorded and skipped. Each model is
    /// committed to the cache as soon as its rows are complete, so an interrupted run
    /// keeps the finished ones.
    package static func run(
        _ config: ExtractConfiguration, progress: ProgressReporter = ProgressReporter(),
        hooks: ExtractHooks = ExtractHooks()
    ) throws -> ExtractionResult {
        let context = try ExtractionContext(config, progress: progress)
        var failed = context.failed
        var models = [ExtractedModel]()
        var pending = [PendingModel]()
        func record(_ name: String, _ error: any Error) {
            failed.append(ModelFailure(name: name, error: "\(error)"))
            progress.log("\(name) skipped: \(error)")
        }
        for entry in context.entries {
            do {
                switch try lookup(entry, context: context, progress: progress) {
                case .cached(let model):
                    models.append(model)
                    try hooks.afterModel?(model)
                case .missing(let model):
                    pending.append(model)
                }
            } catch let error as HubError {
                record(entry.name, error)
            } catch let error as DataError {
                record(entry.name, error)
            }
        }
        var passes = [ExtractionPass]()
        for group in groupedByPipeline(pending) {
            if group.count == 1 || group[0].isText {
                for model in group {
                    do {
                        let extracted = try extractAlone(model, context: context, progress: progress)
                        models.append(extracted)
                        try hooks.afterModel?(extracted)
                    } catch let error as HubError {
                        record(model.entry.name, error)
                    } catch let error as DataError {
                        record(model.entry.name, error)
                    }
                }
                continue
            }
            passes.append(
                try extractShared(group, context: context, progress: progress, hooks: hooks, models: &models, record: record))
        }
        let order = Dictionary(uniqueKeysWithValues: context.entries.enumerated().map { ($1.name, $0) })
        models.sort { order[$0.name, default: 0] < order[$1.name, default: 0] }
        if let out = config.outputDirectory { try export(models, labels: context.labels, to: out) }
        var result = context.result(models: models, failed: failed)
        result.passes = passes
        return result
    }

    /// Pending models in groups of one input pipeline (text models each alone, in
    /// their own group), in the order of their first model.
    static func groupedByPipeline(_ pending: [PendingModel]) -> [[PendingModel]] {
        let byName = Dictionary(uniqueKeysWithValues: pending.map { ($0.entry.name, $0) })
        var groups = [[PendingModel]]()
        for group in groupedByInputPipeline(pending.map(\.entry)) {
            let models = group.map { byName[$0.name]! }
            if models[0].isText { groups += models.map { [$0] } } else { groups.append(models) }
        }
        return groups
    }

    /// One shared pass over the dataset for `group` (one input pipeline): models that
    /// fail to load or to run are recorded and the others go on.
    static func extractShared(
        _ group: [PendingModel], context: ExtractionContext, progress: ProgressReporter, hooks: ExtractHooks,
        models: inout [ExtractedModel], record: (String, any Error) -> Void
    ) throws -> ExtractionPass {
        let config = context.config
        var members = [(pending: PendingModel, extractor: FeatureExtractor)]()
        for model in group {
            do {
                // frozen and optimised by the pass, just before the model's first batch
                members.append((model, try FeatureExtractor(entry: model.entry, device: config.device, precision: config.precision)))
            } catch let error as HubError {
                record(model.entry.name, error)
            }
        }
        let pass = ExtractionPass(models: members.map(\.pending.entry.name), samples: context.dataset.count)
        guard !members.isEmpty else { return pass }
        var shared = SharedPass(
            members: members.map { ($0.pending.entry.name, $0.extractor) }, dataset: context.dataset,
            transform: members[0].pending.entry.card.transform(), batchSize: config.batchSize, threads: context.threads,
            chunkBytes: config.chunkBytes)
        shared.layoutProbe = config.tuneInference
        shared.optimize = config.tuneInference
        shared.layoutProbeShare = config.layoutProbeShare
        let started = Date()
        var ended = Set<Int>()
        do {
            try shared.run(
                progress: progress, label: members.count == 1 ? members[0].pending.entry.name : "\(members.count) models",
                finished: { i, rows in
                    ended.insert(i)
                    let model = try store(members[i].pending, rows: rows, context: context, wall: Date().timeIntervalSince(started))
                    models.append(model)
                    try hooks.afterModel?(model)
                },
                failed: { i, error in
                    ended.insert(i)
                    record(members[i].pending.entry.name, error)
                })
        } catch let error as DataError {
            // The dataset itself failed: every model of the pass still running meets it.
            for (i, member) in members.enumerated() where !ended.contains(i) { record(member.pending.entry.name, error) }
        }
        return pass
    }

    /// What `runLayers` shares with `run`: the context, then `perModel` for each model
    /// in name order, a failing model recorded and skipped.
    static func runEach(
        _ config: ExtractConfiguration, progress: ProgressReporter, hooks: ExtractHooks,
        perModel: (HubEntry, any Dataset, String, FeatureCache, ExtractionThreads) throws -> [ExtractedModel]
    ) throws -> ExtractionResult {
        let context = try ExtractionContext(config, progress: progress)
        var failed = context.failed
        var models = [ExtractedModel]()
        for entry in context.entries {
            do {
                for model in try perModel(entry, context.dataset, context.fingerprint, context.cache, context.threads) {
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
        if let out = config.outputDirectory { try export(models, labels: context.labels, to: out) }
        return context.result(models: models, failed: failed)
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

    /// The cache key of `entry`'s features on the dataset of `fingerprint`.
    static func cacheKey(_ entry: HubEntry, isText: Bool, fingerprint: String, precision: InferencePrecision = .float32) throws -> String {
        let digest = try entry.contentDigest()
        // text: the token ids depend on the tokenizer files and the truncation length too
        let tokenizer = isText ? ";tokenizer=" + (try TextInput(entry: entry).digest()) : ""
        // float32 keys stay as they were; reduced-precision features are other features
        let reduced = precision == .float32 ? "" : ";precision=" + precision.rawValue
        return FeatureCache.key(
            modelDigest: digest, datasetFingerprint: fingerprint,
            representation: entry.card.representation.cacheDescription
                + ";head=" + (entry.card.sourceHead?.summary ?? "-") + tokenizer + reduced,
            transform: entry.card.transformDescription)
    }

    /// A cached model, or what extracting it needs.
    static func lookup(_ entry: HubEntry, context: ExtractionContext, progress: ProgressReporter) throws -> CacheOutcome {
        let started = Date()
        let dataset = context.dataset
        let isText = try checkInputKind(of: entry, for: dataset)
        let key = try cacheKey(entry, isText: isText, fingerprint: context.fingerprint, precision: context.config.precision)
        var invalidation: String?
        switch try context.cache.lookup(key: key) {
        case .hit(let cached):
            if cached.rows == dataset.count {
                progress.log("\(entry.name): features from the cache (\(cached.rows) x \(cached.columns))")
                return .cached(
                    ExtractedModel(
                        name: entry.name, featuresURL: cached.featuresURL, probabilitiesURL: cached.probabilitiesURL,
                        rows: cached.rows, columns: cached.columns, fromCache: true,
                        seconds: Date().timeIntervalSince(started), samplesPerSecond: nil, invalidation: nil))
            }
            try context.cache.remove(key: key)
            invalidation = "cached entry has \(cached.rows) rows for \(dataset.count) samples"
        case .invalidated(let reason):
            invalidation = reason
        case .miss:
            break
        }
        if let invalidation { progress.log("\(entry.name): cache entry dropped (\(invalidation)); re-extracting") }
        return .missing(PendingModel(entry: entry, key: key, isText: isText, invalidation: invalidation))
    }

    /// One model over the whole dataset on its own (text models, and a pipeline with
    /// one model).
    static func extractAlone(_ model: PendingModel, context: ExtractionContext, progress: ProgressReporter) throws -> ExtractedModel {
        let config = context.config
        let dataset = context.dataset
        let entry = model.entry
        let started = Date()
        let extractor = try FeatureExtractor(entry: entry, device: config.device, precision: config.precision)
        var result: ExtractedModel?
        var failure: (any Error)?
        var pass = SharedPass(
            members: [(entry.name, extractor)], dataset: dataset, transform: entry.card.transform(),
            batchSize: config.batchSize, threads: context.threads, chunkBytes: config.chunkBytes)
        pass.layoutProbe = config.tuneInference
        pass.optimize = config.tuneInference
        pass.layoutProbeShare = config.layoutProbeShare
        try pass.run(
            progress: progress, label: entry.name,
            finished: { _, rows in
                result = try store(model, rows: rows, context: context, wall: Date().timeIntervalSince(started))
            },
            failed: { _, error in failure = error })
        if let failure { throw failure }
        guard let result else { throw HubError.modelFailed(model: entry.name, message: "the pass ended before the last batch") }
        return result
    }

    /// Checks a model's rows and commits them to the cache.
    static func store(_ model: PendingModel, rows: ModelRows, context: ExtractionContext, wall: Double) throws -> ExtractedModel {
        let count = context.dataset.count
        let name = model.entry.name
        guard rows.rows == count else {
            throw HubError.modelFailed(model: name, message: "extracted \(rows.rows) rows for \(count) samples")
        }
        let featureArray = NumericArray(shape: [rows.rows, rows.dimension], dtype: .float32, values: rows.features.map(Double.init))
        let probabilityArray = rows.probabilities.map {
            NumericArray(shape: [rows.rows, rows.sourceClasses ?? 0], dtype: .float32, values: $0.map(Double.init))
        }
        let stored = try context.cache.store(key: model.key, model: name, features: featureArray, probabilities: probabilityArray)
        return ExtractedModel(
            name: name, featuresURL: stored.featuresURL, probabilitiesURL: stored.probabilitiesURL,
            rows: rows.rows, columns: rows.dimension, fromCache: false, seconds: wall,
            samplesPerSecond: Double(rows.rows) / max(rows.seconds, 1e-9), invalidation: model.invalidation)
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
