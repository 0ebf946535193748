import Foundation
import FeatureIO
import Linalg
import Ranking
import Support

/// How the models of a ranking share the machine's cores.
public enum RankSchedule: String, Sendable, CaseIterable {
    /// One model per core in full rounds, then the remainder one at a time with every core.
    case auto
    /// One model at a time, BLAS using every core.
    case sequential
    /// One model per core at once, BLAS single-threaded in each.
    case concurrent
}

/// Everything `hubminer rank --features DIR --labels FILE` needs.
public struct RankConfiguration: Sendable {
    public var featuresDirectory: URL
    public var labelsFile: URL
    public var task: TaskKind
    /// Array to use inside .npz/.safetensors feature files holding several.
    public var featureKey: String?
    /// Array to use inside a .npz/.safetensors labels file holding several.
    public var labelKey: String?
    public var logME: LogME
    /// The metrics to compute, the first being primary; LogME alone by default.
    /// A `LogME` in the list is replaced by `logME` (its configured settings).
    public var metrics: [any TransferabilityMetric]
    /// Directory of source-class probability files (N x S softmax), same stems as the features.
    public var sourceProbabilitiesDirectory: URL?
    /// Array name of source probabilities inside multi-array feature files.
    public var sourceKey: String
    /// True when the metric list was "all": metrics whose inputs or task do not fit
    /// are left out with a note instead of stopping the run.
    public var skipInapplicableMetrics: Bool
    /// Cores to use in all (default: every core).
    public var threads: Int
    public var schedule: RankSchedule

    public init(
        featuresDirectory: URL, labelsFile: URL, task: TaskKind = .classification,
        featureKey: String? = nil, labelKey: String? = nil, logME: LogME = LogME(),
        metrics: [any TransferabilityMetric]? = nil, sourceProbabilitiesDirectory: URL? = nil,
        sourceKey: String = "source_probs", skipInapplicableMetrics: Bool = false,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, schedule: RankSchedule = .auto
    ) {
        self.featuresDirectory = featuresDirectory
        self.labelsFile = labelsFile
        self.task = task
        self.featureKey = featureKey
        self.labelKey = labelKey
        self.logME = logME
        self.metrics = (metrics ?? [logME]).map { $0 is LogME ? logME : $0 }
        self.sourceProbabilitiesDirectory = sourceProbabilitiesDirectory
        self.sourceKey = sourceKey
        self.skipInapplicableMetrics = skipInapplicableMetrics
        self.threads = threads
        self.schedule = schedule
    }
}

/// Where one of a model's input matrices comes from.
public enum MatrixSource: Sendable {
    /// An array of a feature file, read (or streamed) when the model is scored. For
    /// features a nil key picks the file's only array, or "features" when it holds
    /// several; for source probabilities nil means the file's only array.
    case file(URL, key: String?)
    /// A matrix already in memory.
    case matrix(Matrix)
    /// Not available; the reason fails the model if one of its metrics needs it.
    case missing(reason: String)
}

/// One model to rank: its name, its features and its source-class probabilities.
public struct ModelSource: Sendable {
    public var name: String
    public var features: MatrixSource
    public var sourceProbabilities: MatrixSource
    /// What messages call the features ("vit.npy"); a file's name by default.
    public var label: String

    public init(name: String, features: MatrixSource, sourceProbabilities: MatrixSource? = nil, label: String? = nil) {
        self.name = name
        self.features = features
        self.sourceProbabilities = sourceProbabilities ?? .missing(reason: "no source probabilities for \(name)")
        if let label {
            self.label = label
        } else if case .file(let url, _) = features {
            self.label = url.lastPathComponent
        } else {
            self.label = name
        }
    }
}

/// The data one ranking scores: the models and the encoded targets, wherever they
/// came from (a folder of feature files, a hub's cached extractions, memory).
public struct RankData: Sendable {
    public var models: [ModelSource]
    public var targets: EncodedTargets
    /// What messages call the labels ("labels.npy").
    public var labelsName: String
    /// Whether the run has source probabilities at all: metrics that need them apply
    /// only then (a model lacking its own then fails with its source's reason).
    public var hasSourceProbabilities: Bool

    public init(models: [ModelSource], targets: EncodedTargets, labelsName: String, hasSourceProbabilities: Bool? = nil) {
        self.models = models
        self.targets = targets
        self.labelsName = labelsName
        self.hasSourceProbabilities =
            hasSourceProbabilities
            ?? models.contains {
                if case .missing = $0.sourceProbabilities { return false }
                return true
            }
    }
}

/// Ranks models by transferability: `run(_ inputs:config:)` scores data from any
/// source (`RankData`); `run(_ config:)` is the folder adapter on top of it.
///
/// Each model's failure (unreadable file, wrong number of rows, NaN) is reported
/// and the model skipped; the others are still ranked. Problems with the labels
/// stop the job, since no model could be scored.
public enum RankJob {
    /// File endings read as feature files.
    public static let featureExtensions = ["npy", "npz", "safetensors", "csv"]

    /// One feature file per model; the stem is the model's name.
    public struct ModelFile: Sendable, Equatable {
        public let name: String
        public let url: URL
    }

    /// `rank --features DIR --labels FILE`: the folder adapter (`inputs(from:)`) and
    /// the ranking of its data.
    public static func run(_ config: RankConfiguration, progress: ProgressReporter = ProgressReporter()) throws -> RankingResult {
        try run(try inputs(from: config), config: config, progress: progress)
    }

    /// A folder of feature files (one per model, stem = name), its labels file and
    /// optionally a folder of source-probability files, as ranking inputs. Nothing
    /// but the labels is read here: each model's files are read when it is scored.
    public static func inputs(from config: RankConfiguration) throws -> RankData {
        let files = try discoverModels(in: config.featuresDirectory)
        let targets = try loadTargets(config.labelsFile, key: config.labelKey, task: config.task)
        let hasSourceProbabilities = try sourceProbabilitiesAvailable(config, files: files)
        let models = files.map { file in
            let probabilities: MatrixSource
            if let location = sourceProbabilitiesLocation(for: file, config: config) {
                probabilities = .file(location.0, key: location.1)
            } else {
                probabilities = .missing(
                    reason:
                        "no source-probability file for \(file.name) in \(config.sourceProbabilitiesDirectory?.path ?? "") (expected \(file.name).npy or another supported format)"
                )
            }
            return ModelSource(name: file.name, features: .file(file.url, key: config.featureKey), sourceProbabilities: probabilities)
        }
        return RankData(
            models: models, targets: targets, labelsName: config.labelsFile.lastPathComponent,
            hasSourceProbabilities: hasSourceProbabilities)
    }

    /// Ranks `inputs` with the metrics, LogME settings, threads and schedule of
    /// `config` (its file locations are not used).
    public static func run(
        _ inputs: RankData, config: RankConfiguration, progress: ProgressReporter = ProgressReporter()
    ) throws
        -> RankingResult
    {
        let files = inputs.models
        let targets = inputs.targets
        for warning in targets.warnings { progress.log("labels: \(warning)") }
        let metrics = try applicableMetrics(
            config, task: targets.task, hasSourceProbabilities: inputs.hasSourceProbabilities, progress: progress)
        let needsFeatures = metrics.contains { $0.inputs.contains(.features) }
        let metricNames = metrics.map(\.name)

        let outcomes = OutcomeStore<ModelScore>(count: files.count)

        progress.begin("rank", total: files.count, unit: "models")
        let score: @Sendable (Int) -> Void = { i in
            let file = files[i]
            let outcome: Result<ModelScore, ModelFailureError>
            do {
                outcome = .success(
                    try scoreModel(file, labelsName: inputs.labelsName, targets: targets, metrics: metrics, needsFeatures: needsFeatures))
            } catch {
                outcome = .failure(error as? ModelFailureError ?? ModelFailureError("\(file.label): \(error)"))
            }
            outcomes.set(i, outcome)
            switch outcome {
            case let .success(m):
                let primary = m.metrics[metricNames[0]].map { String(format: "%.4f", $0.score) } ?? "failed"
                progress.advance(String(format: "%@ %@ %@ (%.2f s)", file.name, metricNames[0], primary, m.seconds))
            case let .failure(e): progress.advance("\(file.name) skipped: \(e.message)")
            }
        }
        // One model per core, BLAS single-threaded in each, for every full round of
        // `threads` models; the models left over (fewer than the cores) then run one
        // at a time with BLAS on every core, so no core idles. Measured on 2 cores
        // (benchmarks/rank-schedule/RESULTS.md): one model per core wins at every size tried.
        let workers = max(1, min(config.threads, files.count))
        let concurrentCount: Int
        switch config.schedule {
        case .sequential: concurrentCount = 0
        case .concurrent: concurrentCount = files.count
        case .auto: concurrentCount = workers > 1 ? files.count - files.count % workers : 0
        }
        if concurrentCount > 0 {
            BLASRuntime.withThreadCount(1) {
                // concurrentPerform sizes its pool to the cores; striding keeps `workers` in flight.
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    for i in stride(from: w, to: concurrentCount, by: workers) { score(i) }
                }
            }
        }
        if concurrentCount < files.count {
            BLASRuntime.withThreadCount(config.threads) {
                for i in concurrentCount..<files.count { score(i) }
            }
        }
        progress.finish()

        var scored = [ModelScore]()
        var failed = [ModelFailure]()
        for (i, outcome) in outcomes.values.enumerated() {
            switch outcome {
            case let .success(m)?: scored.append(m)
            case let .failure(e)?: failed.append(ModelFailure(name: files[i].name, error: e.message))
            case nil: failed.append(ModelFailure(name: files[i].name, error: "not scored"))
            }
        }
        if scored.isEmpty {
            for f in failed { progress.log("\(f.name): \(f.error)") }
            throw HubMinerError.allModelsFailed(count: files.count, first: failed.first.map { "\($0.name): \($0.error)" })
        }
        // Metrics relative to the zoo (NCTI) are normalised across the scored models.
        for metric in metrics where metric.isRelativeToZoo {
            let holders = scored.indices.filter { scored[$0].metrics[metric.name] != nil }
            let raw = holders.map { i in
                let m = scored[i].metrics[metric.name]!
                return MetricResult(score: m.score, details: m.details, warnings: m.warnings)
            }
            for (i, normalized) in zip(holders, metric.normalizeAcrossModels(raw)) {
                scored[i].metrics[metric.name]!.score = normalized.score
                scored[i].metrics[metric.name]!.details = normalized.details
                scored[i].metrics[metric.name]!.warnings = normalized.warnings
                // Replace the raw scores' warnings ("provisional...") with the final ones.
                scored[i].diagnostics.warnings.removeAll { $0.hasPrefix("\(metric.name): ") }
                scored[i].diagnostics.warnings += normalized.warnings.map { prefixed($0, by: metric.name) }
            }
        }
        return RankingResult(
            task: targets.task, metric: metricNames[0], metricNames: metricNames,
            models: RankingResult.ranked(scored, metricNames: metricNames),
            failed: failed, labelWarnings: targets.warnings)
    }

    /// Reads one model's inputs and runs every metric on them. The primary metric's
    /// failure fails the model; another metric's failure becomes a warning.
    static func scoreModel(
        _ model: ModelSource, labelsName: String, targets: EncodedTargets,
        metrics: [any TransferabilityMetric], needsFeatures: Bool
    ) throws -> ModelScore {
        let started = Date()
        do {
            if metrics.count == 1, let logme = metrics[0] as? LogME, case .file(let url, let key) = model.features,
                let streamed = try streamLogME(
                    model, url: url, key: key, logme: logme, labelsName: labelsName, targets: targets, started: started)
            {
                return streamed
            }
            var features: Matrix?
            if needsFeatures {
                let f: Matrix
                switch model.features {
                case .file(let url, let key): f = try FeatureFile.readMatrix(at: url, key: try featureKey(for: url, explicit: key))
                case .matrix(let m): f = m
                case .missing(let reason): throw ModelFailureError(reason)
                }
                guard f.rows == targets.sampleCount else {
                    throw rowMismatch(model.label, rows: f.rows, labelsName: labelsName, targets: targets)
                }
                if let bad = f.firstNonFinite() {
                    throw ModelFailureError(
                        "\(model.label): \(RankingError.nonFiniteFeature(row: bad.row, column: bad.column, value: f[bad.row, bad.column]))"
                    )
                }
                features = f
            }
            var probabilities: Matrix?
            if metrics.contains(where: { $0.inputs.contains(.sourceProbabilities) }) {
                let p: Matrix
                let label: String
                switch model.sourceProbabilities {
                case .file(let url, let key):
                    p = try FeatureFile.readMatrix(at: url, key: key)
                    label = url.lastPathComponent
                case .matrix(let m):
                    p = m
                    label = "\(model.name)'s source probabilities"
                case .missing(let reason): throw ModelFailureError(reason)
                }
                guard p.rows == targets.sampleCount else {
                    throw ModelFailureError(
                        "\(label) has \(p.rows) rows of source probabilities but \(labelsName) has \(targets.sampleCount) labels"
                    )
                }
                probabilities = p
            }
            let input = MetricInput(targets: targets, features: features, sourceProbabilities: probabilities)
            let run = try MetricRunner(
                metrics, name: \.name,
                fitLogME: { metric in
                    guard let logme = metric as? LogME, let f = features else { return nil }
                    return try logme.fit(features: f, targets: targets)
                },
                // Label warnings are reported once for the run, not per model.
                logmeWarnings: { fit in fit.warnings.filter { !targets.warnings.contains($0) } },
                score: { try $0.score(input) })
            let diagnostics = ModelDiagnostics(
                samples: targets.sampleCount, dimension: features?.columns ?? 0,
                sourceClasses: probabilities?.columns, logme: run.logme, warnings: run.warnings)
            return ModelScore(
                name: model.name, score: 0, rank: 0, seconds: Date().timeIntervalSince(started),
                diagnostics: diagnostics, metrics: run.results)
        } catch let error as ModelFailureError {
            throw error
        } catch let error as FeatureIOError {
            throw ModelFailureError("\(error)")
        } catch {
            throw ModelFailureError("\(model.label): \(error)")
        }
    }

    /// The error for features whose row count differs from the number of labels.
    static func rowMismatch(_ label: String, rows: Int, labelsName: String, targets: EncodedTargets) -> ModelFailureError {
        ModelFailureError(
            "\(label) has \(rows) rows but \(labelsName) has \(targets.sampleCount) labels; features must have one row per labelled sample"
        )
    }

    /// A metric's warning labelled with the metric's name (once, if it is not already).
    static func prefixed(_ warning: String, by metric: String) -> String {
        warning.hasPrefix("\(metric): ") ? warning : "\(metric): \(warning)"
    }

    /// Bytes of float64 rows converted per chunk when streaming a feature file.
    static let streamChunkBytes = 64 << 20

    /// LogME alone on a file with more rows than columns needs only FᵀF, YᵀF and Σy²:
    /// the file is read in row chunks into `LogMEStatistics`, so memory stays at one
    /// chunk plus D x D however many samples there are. Returns nil when the file
    /// must be read whole (N <= D takes the SVD route).
    static func streamLogME(
        _ model: ModelSource, url: URL, key: String?, logme: LogME, labelsName: String, targets: EncodedTargets,
        started: Date
    ) throws -> ModelScore? {
        let reader = try MatrixRowReader(url: url, key: try featureKey(for: url, explicit: key))
        guard reader.rows == targets.sampleCount else {
            throw rowMismatch(model.label, rows: reader.rows, labelsName: labelsName, targets: targets)
        }
        guard reader.rows > reader.columns, reader.columns >= 1 else { return nil }
        var stats = LogMEStatistics(featureDimension: reader.columns, targetCount: targets.columnCount)
        let classIndices = targets.task == .classification ? targets.encodedLabels : nil
        let chunkRows = max(256, streamChunkBytes / (8 * reader.columns))
        // The metric's own time excludes reading and converting the file (as for every
        // other metric); the model's `seconds` includes it.
        var metricSeconds = 0.0
        do {
            try reader.forEachChunk(rows: chunkRows) { first, block in
                let chunkStart = Date()
                let range = first..<(first + block.rows)
                try stats.accumulate(
                    features: block, targets: targets.matrix.rows(range),
                    classIndices: classIndices.map { Array($0[range]) }, rowOffset: first)
                metricSeconds += Date().timeIntervalSince(chunkStart)
            }
        } catch let error as RankingError {
            throw ModelFailureError("\(model.label): \(error)")
        }
        // Label warnings are reported once for the run, not per model.
        let fitStart = Date()
        let fit = try logme.fit(statistics: stats, columnNames: targets.columnNames)
        metricSeconds += Date().timeIntervalSince(fitStart)
        let seconds = Date().timeIntervalSince(started)
        return ModelScore(
            name: model.name, score: 0, rank: 0, seconds: seconds,
            diagnostics: ModelDiagnostics(
                samples: targets.sampleCount, dimension: reader.columns,
                logme: LogMEDiagnostics(fit: fit),
                warnings: fit.warnings.map { "logme: \($0)" }),
            metrics: [logme.name: MetricScore(score: fit.score, seconds: metricSeconds, warnings: fit.warnings)])
    }

    /// The features' array inside a multi-array file: `--key`, else "features" when the
    /// file holds source probabilities beside them, else the file's only array.
    static func featureKey(for url: URL, config: RankConfiguration) throws -> String? {
        try featureKey(for: url, explicit: config.featureKey)
    }

    static func featureKey(for url: URL, explicit: String?) throws -> String? {
        if let key = explicit { return key }
        let keys = (try? FeatureFile.keys(at: url)) ?? []
        return keys.count > 1 && keys.contains("features") ? "features" : nil
    }

    /// Where a model's source probabilities are: `--source-probs DIR/<stem>.*`, else the
    /// `--source-key` array of the feature file itself.
    /// `--source-key` array of the feature file itself; nil when the folder has none.
    static func sourceProbabilitiesLocation(for file: ModelFile, config: RankConfiguration) -> (URL, String?)? {
        if let dir = config.sourceProbabilitiesDirectory {
            for ext in featureExtensions {
                let url = dir.appendingPathComponent(file.name + "." + ext)
                if FileManager.default.fileExists(atPath: url.path) { return (url, nil) }
            }
            return nil
        }
        return (file.url, config.sourceKey)
    }

    /// Whether any model has source probabilities (a directory given, or the key found
    /// in the first feature file).
    static func sourceProbabilitiesAvailable(_ config: RankConfiguration, files: [ModelFile]) throws -> Bool {
        if let dir = config.sourceProbabilitiesDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw HubMinerError.notADirectory(path: dir.path, option: "--source-probs")
            }
            return true
        }
        guard let first = files.first else { return false }
        return ((try? FeatureFile.keys(at: first.url)) ?? []).contains(config.sourceKey)
    }

    /// The requested metrics that can run on this task and these inputs. With an
    /// explicit list an inapplicable metric is an error; with "all" it is left out.
    static func applicableMetrics(
        _ config: RankConfiguration, task: TaskKind, hasSourceProbabilities: Bool,
        progress: ProgressReporter
    ) throws -> [any TransferabilityMetric] {
        var out = [any TransferabilityMetric]()
        for metric in config.metrics {
            var problem: MetricError?
            if !metric.tasks.contains(task) {
                problem = .unsupportedTask(metric: metric.name, task: task)
            } else if metric.inputs.contains(.sourceProbabilities) && !hasSourceProbabilities {
                problem = .missingInput(metric: metric.name, input: .sourceProbabilities)
            }
            if let problem {
                if config.skipInapplicableMetrics { progress.log("\(metric.name) left out: \(problem)"); continue }
                throw problem
            }
            out.append(metric)
        }
        guard !out.isEmpty else { throw MetricError.unknownMetric(name: "(none applicable)", known: config.metrics.map(\.name)) }
        return out
    }

    /// The feature files of a directory, sorted by model name.
    public static func discoverModels(in directory: URL) throws -> [ModelFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubMinerError.notADirectory(path: directory.path)
        }
        let entries = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
        let files = entries.filter { featureExtensions.contains($0.pathExtension.lowercased()) }
        guard !files.isEmpty else {
            throw HubMinerError.noFeatureFiles(directory: directory.path, extensions: featureExtensions)
        }
        let byName = Dictionary(grouping: files, by: { $0.deletingPathExtension().lastPathComponent })
        if let (name, dupes) = byName.first(where: { $0.value.count > 1 }) {
            throw HubMinerError.duplicateModelName(name: name, files: dupes.map(\.lastPathComponent).sorted())
        }
        return byName.keys.sorted().map { ModelFile(name: $0, url: byName[$0]![0]) }
    }

    /// Reads and encodes the labels for `task`, naming the file in any error.
    public static func loadTargets(_ url: URL, key: String?, task: TaskKind) throws -> EncodedTargets {
        let array = try FeatureFile.readArray(at: url, key: key)
        return try encodeTargets(values: array.values, shape: array.shape, task: task, source: url.path)
    }

    /// Encodes labels held in memory for `task`; `source` names them in errors.
    public static func encodeTargets(values: [Double], shape: [Int], task: TaskKind, source: String) throws -> EncodedTargets {
        do {
            return try TargetEncoder.encode(values: values, shape: shape, task: task)
        } catch let error as RankingError {
            let text = error.description
            throw HubMinerError.invalidLabels(file: source, reason: text.hasPrefix("labels: ") ? String(text.dropFirst(8)) : text)
        }
    }

}

/// A per-model failure message (the model is skipped).
struct ModelFailureError: Error, Sendable, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Results written by concurrent workers, one slot per model.
struct OutcomeStore<Value: Sendable>: Sendable {
    private let slots: Locked<[Result<Value, ModelFailureError>?]>
    init(count: Int) { slots = Locked(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ value: Result<Value, ModelFailureError>) { slots.withLock { $0[i] = value } }
    var values: [Result<Value, ModelFailureError>?] { slots.current }
}
