import Foundation
import FeatureIO
import Linalg
import Ranking
import Support

/// Everything `hubminer stats` needs.
public struct StatsConfiguration: Sendable {
    /// One feature file, or a directory of them (one per model, stem = name).
    public var features: URL
    /// The labels of every row of the feature files (not only the shard's).
    public var labelsFile: URL
    public var task: TaskKind
    public var featureKey: String?
    public var labelKey: String?
    /// The shard's rows; nil for all.
    public var rows: Range<Int>?
    public var outputDirectory: URL
    /// Also accumulate the per-class Gram matrices (C·D² numbers; TransRate, GBC).
    public var classGrams: Bool
    /// Rows per chunk; nil sizes chunks to `RankJob.streamChunkBytes` of float64.
    public var chunkRows: Int?

    public init(
        features: URL, labelsFile: URL, task: TaskKind = .classification, featureKey: String? = nil,
        labelKey: String? = nil, rows: Range<Int>? = nil, outputDirectory: URL, classGrams: Bool = false,
        chunkRows: Int? = nil
    ) {
        self.features = features
        self.labelsFile = labelsFile
        self.task = task
        self.featureKey = featureKey
        self.labelKey = labelKey
        self.rows = rows
        self.outputDirectory = outputDirectory
        self.classGrams = classGrams
        self.chunkRows = chunkRows
    }
}

/// What `hubminer stats` wrote.
public struct StatsSummary: Sendable {
    public struct Written: Sendable {
        public let model: String
        public let file: URL
        public let rows: Range<Int>
        public let dimension: Int
        public let seconds: Double
    }
    public var written: [Written]
    public var failed: [ModelFailure]
}

/// Computes one statistics file per model over a shard of rows, streaming each
/// feature file in row chunks (memory: one chunk plus the statistics).
public enum StatsJob {
    public static func run(_ config: StatsConfiguration, progress: ProgressReporter = ProgressReporter()) throws -> StatsSummary {
        let files = try modelFiles(config.features)
        let targets = try RankJob.loadTargets(config.labelsFile, key: config.labelKey, task: config.task)
        for warning in targets.warnings { progress.log("labels: \(warning)") }
        let rows = config.rows ?? 0..<targets.sampleCount
        guard rows.lowerBound >= 0, rows.upperBound <= targets.sampleCount, !rows.isEmpty else {
            throw HubMinerError.invalidLabels(
                file: config.labelsFile.path,
                reason: "--rows \(rows.lowerBound):\(rows.upperBound) is not a non-empty range inside its \(targets.sampleCount) labels")
        }
        try FileManager.default.createDirectory(at: config.outputDirectory, withIntermediateDirectories: true)
        var summary = StatsSummary(written: [], failed: [])
        progress.begin("stats", total: files.count, unit: "models")
        for file in files {
            let started = Date()
            do {
                let stats = try accumulate(file, rows: rows, targets: targets, config: config)
                let out = StatisticsFile.url(for: file.name, in: config.outputDirectory)
                try StatisticsFile.write(stats, to: out, labelsFile: config.labelsFile.lastPathComponent)
                let seconds = Date().timeIntervalSince(started)
                summary.written.append(.init(model: file.name, file: out, rows: rows, dimension: stats.featureDimension, seconds: seconds))
                progress.advance(String(format: "%@ rows %d..<%d (%.2f s)", file.name, rows.lowerBound, rows.upperBound, seconds))
            } catch {
                let message = error as? ModelFailureError
                summary.failed.append(ModelFailure(name: file.name, error: message?.message ?? "\(file.url.lastPathComponent): \(error)"))
                progress.advance("\(file.name) skipped")
            }
        }
        progress.finish()
        if summary.written.isEmpty { throw StatisticsFileError.everyModelFailed(summary.failed.map { "\($0.name): \($0.error)" }) }
        return summary
    }

    /// One feature file, or every feature file of a directory.
    public static func modelFiles(_ url: URL) throws -> [RankJob.ModelFile] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return [RankJob.ModelFile(name: url.deletingPathExtension().lastPathComponent, url: url)]
        }
        return try RankJob.discoverModels(in: url)
    }

    /// The statistics of `rows` of one feature file, read in chunks.
    public static func accumulate(
        _ file: RankJob.ModelFile, rows: Range<Int>, targets: EncodedTargets,
        config: StatsConfiguration
    ) throws -> FeatureStatistics {
        let rankConfig = RankConfiguration(
            featuresDirectory: file.url.deletingLastPathComponent(), labelsFile: config.labelsFile,
            featureKey: config.featureKey)
        let reader = try MatrixRowReader(url: file.url, key: try RankJob.featureKey(for: file.url, config: rankConfig))
        guard reader.rows == targets.sampleCount else {
            throw ModelFailureError(
                "\(file.url.lastPathComponent) has \(reader.rows) rows but \(config.labelsFile.lastPathComponent) has \(targets.sampleCount) labels; --rows selects the same rows of both"
            )
        }
        var stats = FeatureStatistics(
            modelName: file.name, featureDimension: reader.columns, targets: targets,
            classGrams: config.classGrams)
        let chunk = config.chunkRows ?? max(256, RankJob.streamChunkBytes / (8 * max(reader.columns, 1)))
        var start = rows.lowerBound
        do {
            while start < rows.upperBound {
                let end = min(start + max(chunk, 1), rows.upperBound)
                try stats.accumulate(features: try reader.readRows(start..<end), targets: targets, rows: start..<end)
                start = end
            }
        } catch let error as RankingError {
            throw ModelFailureError("\(file.url.lastPathComponent): \(error)")
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? NSNumber)?.intValue
        stats.recordOrigin(ShardOrigin(file: file.url.lastPathComponent, fileBytes: bytes, fileRows: reader.rows, rows: rows))
        return stats
    }
}

/// `hubminer rank --stats DIR...`: merges each model's shards and ranks with the
/// metrics that run on sufficient statistics.
public enum StatsRankJob {
    public static func run(
        shardDirectories: [URL], metrics requested: [any TransferabilityMetric], logME: LogME = LogME(),
        skipUnsupportedMetrics: Bool = false,
        progress: ProgressReporter = ProgressReporter()
    ) throws -> RankingResult {
        let metrics = try statisticsMetrics(requested, logME: logME, skipUnsupportedMetrics: skipUnsupportedMetrics, progress: progress)
        let metricNames = metrics.map(\.name)

        // model -> one file per shard directory, in the order given.
        var shardFiles = [String: [URL]]()
        var perDirectory = [[String: URL]]()
        for dir in shardDirectories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw HubMinerError.notADirectory(path: dir.path, option: "--stats")
            }
            let urls = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil, options: [.skipsHiddenFiles])
                .filter { $0.lastPathComponent.hasSuffix(StatisticsFile.suffix) }
            guard !urls.isEmpty else { throw StatisticsFileError.noStatistics(directory: dir.path) }
            var models = [String: URL]()
            for url in urls { models[String(url.lastPathComponent.dropLast(StatisticsFile.suffix.count))] = url }
            perDirectory.append(models)
            for (model, url) in models { shardFiles[model, default: []].append(url) }
        }
        let names = shardFiles.keys.sorted()
        var scored = [ModelScore](), failed = [ModelFailure]()
        var task: TaskKind?
        progress.begin("rank", total: names.count, unit: "models")
        for name in names {
            let started = Date()
            do {
                if let missing = zip(shardDirectories, perDirectory).first(where: { $0.1[name] == nil }) {
                    throw StatisticsFileError.missingModel(model: name, directory: missing.0.path)
                }
                let shards = try shardFiles[name]!.map { (name: $0.path, statistics: try StatisticsFile.read($0)) }
                let merged = try FeatureStatistics.merged(shards)
                if let task, task != merged.task {
                    throw StatisticsFileError.mixedTasks("\(name) is \(merged.task.rawValue), earlier models \(task.rawValue)")
                }
                task = merged.task
                var model = try score(name, merged, metrics: metrics, started: started)
                // Shards that leave rows out rank on part of the data: say so, always
                // (a missing shard directory is otherwise silent).
                for (file, fileRows, gaps) in merged.uncoveredRows() {
                    let shown = gaps.prefix(3).map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ", ")
                    let missing = gaps.reduce(0) { $0 + $1.count }
                    let warning =
                        "shards cover \(fileRows - missing) of the \(fileRows) rows of \(file): rows \(shown)\(gaps.count > 3 ? ", ..." : "") are in no shard"
                    model.diagnostics.warnings.append(warning)
                    FileHandle.standardError.write(Data("hubminer: warning: \(name): \(warning)\n".utf8))
                }
                scored.append(model)
                let primary = scored.last!.metrics[metricNames[0]].map { String(format: "%.4f", $0.score) } ?? "failed"
                progress.advance(String(format: "%@ %@ %@ (%.2f s)", name, metricNames[0], primary, Date().timeIntervalSince(started)))
            } catch {
                failed.append(ModelFailure(name: name, error: "\(error)"))
                progress.advance("\(name) skipped: \(error)")
            }
        }
        progress.finish()
        if scored.isEmpty { throw StatisticsFileError.everyModelFailed(failed.map { "\($0.name): \($0.error)" }) }
        return RankingResult(
            task: task ?? .classification, metric: metricNames[0], metricNames: metricNames,
            models: RankingResult.ranked(scored, metricNames: metricNames), failed: failed, labelWarnings: [])
    }

    /// The requested metrics that run on statistics (`logME` replacing the default
    /// LogME); the others are left out with a note when `skipUnsupportedMetrics`,
    /// otherwise the first one fails with the reason it needs the samples.
    public static func statisticsMetrics(
        _ requested: [any TransferabilityMetric], logME: LogME, skipUnsupportedMetrics: Bool,
        progress: ProgressReporter
    ) throws -> [any StatisticsMetric] {
        var usable = [any TransferabilityMetric]()
        for metric in requested.map({ $0 is LogME ? logME : $0 }) {
            if metric is any StatisticsMetric {
                usable.append(metric)
            } else if skipUnsupportedMetrics {
                progress.log("\(metric.name) left out: needs the samples")
            } else {
                _ = try StatisticsMetrics.resolve([metric])
            }
        }
        let metrics = try StatisticsMetrics.resolve(usable)
        guard !metrics.isEmpty else { throw MetricError.unknownMetric(name: "(none runs on statistics)", known: StatisticsMetrics.supportedNames) }
        return metrics
    }

    /// Every metric on one model's merged statistics; the primary metric's failure
    /// fails the model, another's becomes a warning (as in `RankJob`).
    public static func score(_ name: String, _ stats: FeatureStatistics, metrics: [any StatisticsMetric], started: Date) throws -> ModelScore {
        let run = try MetricRunner(
            metrics, name: \.name,
            fitLogME: { metric in
                guard let logme = metric as? LogME else { return nil }
                return try logme.fit(statistics: stats.logme, columnNames: stats.columnNames)
            },
            score: { try $0.score(statistics: stats) })
        return ModelScore(
            name: name, score: 0, rank: 0, seconds: Date().timeIntervalSince(started),
            diagnostics: ModelDiagnostics(
                samples: stats.sampleCount, dimension: stats.featureDimension,
                logme: run.logme, warnings: run.warnings),
            metrics: run.results)
    }
}
