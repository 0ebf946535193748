import Cache
import Data
import FeatureIO
import Foundation
import HubMiner
import Hub
import Linalg
import Ranking
import Support

/// What `rank --hub --progressive` adds to a hub ranking.
package struct ProgressiveSettings: Sendable, Equatable {
    package var schedule: ProgressiveSchedule = .standard
    /// k: a model stops once its interval lies wholly below the k-th best's.
    package var top: Int = 3
    package var budget: ProgressiveBudget?
    /// Seeds the stratified order of the samples and the half-sample resamples.
    package var seed: UInt64 = 0
    /// Half-samples per stage for the intervals.
    package var resamples: Int = 20
    /// The confidence of the whole run: every interval of every stage covers at once
    /// with this probability (each interval is at `SettledTopK.simultaneousLevel`,
    /// Bonferroni over the models and the stages that compute intervals).
    package var level: Double = 0.95
    /// Stop every model once the top-k set and its leader are settled
    /// (`SettledTopK`), with partial scores; off (the default): the survivors run to
    /// the last stage. Off by default because the intervals cover the score at the
    /// stage's sample count, which for LogME sits below the full data's by an amount
    /// that differs between models (measured in benchmarks/rank-hub/RESULTS.md).
    package var settle: Bool = false

    package init(top: Int = 3, budget: ProgressiveBudget? = nil, seed: UInt64 = 0) {
        self.top = top
        self.budget = budget
        self.seed = seed
    }
}

/// One stage of a progressive ranking, for the log and the benchmark.
package struct ProgressiveStage: Sendable, Equatable {
    package var samples: Int
    /// Models run on the stage's new samples (cached rows are not counted).
    package var extractedModels: [String]
    package var modelSamples: Int
    package var seconds: Double
    /// Models stopped after this stage.
    package var stopped: [String]
    /// The time spent on the stage's scores and intervals (after the extraction).
    package var scoringSeconds: Double = 0
    /// Whether the top-k set and its leader were settled after this stage (the run ended).
    package var settled: Bool = false
}

/// `rank --hub --progressive`: extraction on growing, nested, stratified subsets of
/// the samples (`ProgressiveSchedule`, `StratifiedOrder`; stage boundaries on whole
/// batches); after each stage but the last, the primary metric with a half-sample
/// interval for every model still running (`HalfSampleInterval`, simultaneous over
/// the run's models and stages), the models whose interval lies wholly below the
/// k-th best's stop (`IntervalElimination`), and once the top-k set and its leader
/// are settled every model stops (`SettledTopK`). Each stage extracts only the
/// samples the stage adds, one shared pass per input pipeline, with the models kept
/// loaded between stages.
///
/// Cache: a model with complete features in the cache is read, never extracted; each
/// stage's rows are stored as a partial entry (the full key with the order's seed and
/// the row count), so a later run with the same seed, or a run killed between
/// stages, starts from them; a model that reaches the last stage is stored under its
/// ordinary key, in dataset order, and ranked from that file exactly as `rank --hub`
/// ranks it.
package enum ProgressiveRankJob {
    /// A model's rows so far, in the stratified order.
    final class Candidate {
        let pending: PendingModel
        var rows = ModelRows()
        var extractor: FeatureExtractor?
        /// The complete entry (from the cache or stored at the last stage).
        var complete: ExtractedModel?
        var outcome: ProgressiveOutcome?
        var lastScore = Double.nan
        var lastStageSeconds = 0.0
        var partialKey: String?

        init(_ pending: PendingModel) { self.pending = pending }
        var name: String { pending.entry.name }
    }

    package static func run(
        extract: ExtractConfiguration, rank: RankConfiguration, settings: ProgressiveSettings,
        progress: ProgressReporter = ProgressReporter(), hooks: ExtractHooks = ExtractHooks()
    ) throws -> (RankingResult, [ProgressiveStage]) {
        guard settings.top >= 1 else { throw HubError.invalidArgument("--top must be at least 1") }
        let context = try ExtractionContext(extract, progress: progress)
        var failed = context.failed
        func record(_ name: String, _ error: any Error) {
            failed.append(ModelFailure(name: name, error: "\(error)"))
            progress.log("\(name) skipped: \(error)")
        }
        let count = context.dataset.count
        let order = StratifiedOrder.order(labels: context.labels, seed: settings.seed)
        let classes = Set(context.labels).count
        // stage boundaries on whole batches: every forward pass has the full extraction's shape
        let sizes = settings.schedule.sizes(
            total: count, minimum: min(count, max(2 * classes, 4)), multiple: max(1, extract.batchSize))
        let tag = "progressive-v1;seed=\(settings.seed)"

        // The cache first: complete entries, else the largest partial one.
        var candidates = [Candidate]()
        for entry in context.entries {
            do {
                switch try ExtractJob.lookup(entry, context: context, progress: progress) {
                case .cached(let model):
                    let c = Candidate(
                        PendingModel(entry: entry, key: "", isText: entry.card.input.kind == .tokens, invalidation: nil))
                    c.complete = model
                    c.rows = try rowsInOrder(model, order: order)
                    candidates.append(c)
                case .missing(let pending):
                    let c = Candidate(pending)
                    for n in sizes.reversed() where n < count {
                        let key = partialKey(pending.key, tag: tag, rows: n)
                        if case .hit(let cached) = try context.cache.lookup(key: key), cached.rows == n {
                            c.rows = try readRows(cached)
                            c.partialKey = key
                            progress.log("\(entry.name): \(n) rows of an earlier progressive run from the cache")
                            break
                        }
                    }
                    candidates.append(c)
                }
            } catch let error as HubError {
                record(entry.name, error)
            } catch let error as DataError {
                record(entry.name, error)
            }
        }
        guard let metric = rank.metrics.first else { throw HubError.invalidArgument("no metric to rank by") }

        var active = candidates
        var stages = [ProgressiveStage]()
        var spentSamples = 0
        var spentSeconds = 0.0
        var lastStage = -1
        var budgetStopped = false
        var settledAt: Int?
        // Bonferroni over every interval the run may compute: each model at each stage but the last
        let intervalLevel = SettledTopK.simultaneousLevel(
            settings.level, intervals: candidates.count * max(1, sizes.count - 1))
        for (s, n) in sizes.enumerated() {
            let needing = active.filter { $0.complete == nil && $0.rows.rows < n }
            let cost = needing.reduce(0) { $0 + n - $1.rows.rows }
            if s > 0, let budget = settings.budget,
                !budget.allows(stageSamples: cost, spentSamples: spentSamples, spentSeconds: spentSeconds)
            {
                budgetStopped = true
                progress.log("stage \(s + 1) (\(n) samples) would exceed the budget \(budget): stopping at stage \(s)")
                break
            }
            let started = Date()
            var extracted = [String]()
            // One shared pass per input pipeline and starting row (partial cache entries
            // may leave models of one pipeline at different rows).
            var groups = [String: [Candidate]]()
            var groupOrder = [String]()
            for c in needing {
                let key = (c.pending.isText ? "text \(c.name)" : c.pending.entry.card.inputPipeline) + " from \(c.rows.rows)"
                if groups[key] == nil { groupOrder.append(key) }
                groups[key, default: []].append(c)
            }
            for key in groupOrder {
                var members = [Candidate]()
                for c in groups[key]! {
                    do {
                        if c.extractor == nil { c.extractor = try FeatureExtractor(entry: c.pending.entry, device: extract.device) }
                        members.append(c)
                    } catch let error as HubError {
                        record(c.name, error)
                        active.removeAll { $0 === c }
                    }
                }
                guard let first = members.first else { continue }
                let have = first.rows.rows
                let subset = SubsetDataset(base: context.dataset, indices: Array(order[have..<n]))
                var pass = SharedPass(
                    members: members.map { ($0.name, $0.extractor!) }, dataset: subset,
                    transform: first.pending.entry.card.transform(), batchSize: extract.batchSize, threads: context.threads,
                    chunkBytes: extract.chunkBytes)
                // Models stay loaded across stages, so each is frozen and optimised once,
                // before its first batch of the first stage (later stages find it done).
                pass.optimize = extract.tuneInference
                pass.plannedBatches = (count + extract.batchSize - 1) / max(1, extract.batchSize)
                do {
                    try pass.run(
                        progress: progress, label: "stage \(s + 1): " + (members.count == 1 ? first.name : "\(members.count) models"),
                        finished: { i, rows in
                            let c = members[i]
                            try c.rows.appendRows(rows, model: c.name)
                            c.lastStageSeconds = rows.seconds
                            extracted.append(c.name)
                            try commit(c, rows: n, count: count, order: order, tag: tag, context: context, hooks: hooks)
                        },
                        failed: { i, error in
                            record(members[i].name, error)
                            active.removeAll { $0 === members[i] }
                        })
                } catch let error as DataError {
                    for c in members where c.rows.rows < n {
                        record(c.name, error)
                        active.removeAll { $0 === c }
                    }
                }
            }
            let seconds = Date().timeIntervalSince(started)
            spentSamples += cost
            spentSeconds += seconds
            lastStage = s
            var stage = ProgressiveStage(samples: n, extractedModels: extracted, modelSamples: cost, seconds: seconds, stopped: [])
            if n < count, s < sizes.count - 1, !active.isEmpty, settings.settle || active.count > settings.top {
                let scoring = Date()
                let estimates = try stageEstimates(
                    active, stage: s, samples: n, order: order, context: context, rank: rank, metric: metric, settings: settings,
                    level: intervalLevel, threads: rank.threads, progress: progress)
                let stopped = eliminate(active, estimates: estimates, stage: s, samples: n, metric: metric, settings: settings)
                for c in stopped { c.extractor = nil } // frees the model
                stage.stopped = stopped.map(\.name)
                let running = active.indices.filter { i in !stopped.contains { $0 === active[i] } }
                active = running.map { active[$0] }
                if settings.settle, !active.isEmpty {
                    let stoppedUpper = candidates.compactMap { c in c.outcome?.status == "eliminated" ? c.outcome?.interval?.upper : nil }
                        .filter(\.isFinite)
                    if let top = SettledTopK.settled(running.map { estimates[$0] }, keep: settings.top, stoppedUpper: stoppedUpper) {
                        settledAt = s
                        stage.settled = true
                        let names = top.map { active[$0].name }
                        let claim =
                            settings.top == 1 || top.count == 1
                            ? "top-1 settled at stage \(s + 1) of \(sizes.count)"
                            : "top-\(top.count) set settled at stage \(s + 1) of \(sizes.count), with its leader"
                        for (j, c) in active.enumerated() {
                            c.outcome = ProgressiveOutcome(
                                stage: s + 1, samples: n, status: "settled",
                                reason: claim + (names.contains(c.name) ? " (in the top \(top.count))" : ""),
                                interval: estimates[running[j]], partial: true)
                        }
                        progress.log("\(claim): \(names.joined(separator: ", ")); every model stops")
                    }
                }
                stage.scoringSeconds = Date().timeIntervalSince(scoring)
            }
            progress.log(
                "stage \(s + 1)/\(sizes.count): \(n) samples, extracted \(cost) model-samples in "
                    + String(format: "%.1f s", seconds) + ", scores and intervals in "
                    + String(format: "%.1f s", stage.scoringSeconds) + ", \(stage.settled ? 0 : active.count) model(s) go on"
                    + (stage.stopped.isEmpty ? "" : ", stopped: " + stage.stopped.joined(separator: ", ")))
            stages.append(stage)
            if settledAt != nil { break }
        }
        guard lastStage >= 0 else { throw HubError.invalidArgument("no stage ran") }
        let reached = sizes[lastStage]
        for c in active where settledAt == nil {
            c.outcome = ProgressiveOutcome(
                stage: lastStage + 1, samples: reached, status: reached == count ? "complete" : "budget",
                reason: reached == count
                    ? (c.complete?.fromCache == true ? "complete (features from the cache)" : "complete")
                    : "budget \(settings.budget.map { "\($0)" } ?? "") spent before stage \(lastStage + 2)",
                partial: reached < count)
        }
        if budgetStopped == false, settledAt == nil, reached < count {
            throw HubError.invalidArgument("the schedule ended at \(reached) of \(count) samples")
        }
        var result = try finalRanking(
            active, samples: reached, order: order, context: context, extract: extract, rank: rank)
        let stopped = candidates.filter { c in c.outcome?.status == "eliminated" && !failed.contains { $0.name == c.name } }
        result.models += stoppedScores(stopped, metric: metric.name, startRank: result.models.count + 1)
        result.failed = failed + result.failed
        return (result, stages)
    }

    /// The stage's score of every running model with its half-sample interval at
    /// `level` (NaN where the metric fails).
    static func stageEstimates(
        _ active: [Candidate], stage s: Int, samples n: Int, order: [Int], context: ExtractionContext, rank: RankConfiguration,
        metric: any TransferabilityMetric, settings: ProgressiveSettings, level: Double, threads: Int, progress: ProgressReporter
    ) throws -> [StageEstimate] {
        let resamples = HalfSampleInterval.resamples(
            count: n, resamples: settings.resamples, seed: SeededGenerator.derivedSeed(settings.seed, stream: 1, UInt64(s)))
        let labels = order.prefix(n).map { context.labels[$0] }
        let targets = try encode(labels, rank: rank)
        let resampledTargets = try resamples.map { r in try encode(r.map { labels[$0] }, rank: rank) }
        // Every fit (a model on the stage's samples or on one half-sample) is independent:
        // `threads` run at a time with BLAS single-threaded in each, as RankJob schedules
        // models. These fits are small, and multi-threaded BLAS on them waits on its own
        // threads when the cores are busy (one LogME fit at 160 x 1280: 26 s wall with 2
        // BLAS threads on a loaded 2-core machine, 0.02 s with one).
        let inputs = active.map { c in FitInput(features: matrix(c.rows, rows: n), probabilities: probabilityMatrix(c.rows, rows: n)) }
        let perModel = resamples.count + 1
        let jobs = active.count * perModel
        let values = Locked([Double](repeating: .nan, count: jobs))
        let failures = Locked([String?](repeating: nil, count: active.count))
        // A metric that drifts with the sample count and can say by how much (LogME:
        // `LogMEFit.projectedScore`) is compared at the dataset's size: the stage's fit
        // and every half-sample's are projected to all `count` samples, so the interval
        // is about the score the full ranking would give, not the stage's.
        let count = context.dataset.count
        let projecting = n < count ? metric as? any SampleCountProjecting : nil
        let observed = Locked([Double](repeating: .nan, count: active.count))
        let fit: @Sendable (Int) -> Void = { job in
            let m = job / perModel, r = job % perModel - 1
            let input = inputs[m]
            do {
                let sample =
                    r < 0
                    ? MetricInput(targets: targets, features: input.features, sourceProbabilities: input.probabilities)
                    : MetricInput(
                        targets: resampledTargets[r], features: input.features.rows(at: resamples[r]),
                        sourceProbabilities: input.probabilities?.rows(at: resamples[r]))
                let score: Double
                if let projecting {
                    let both = try projecting.projectedScore(sample, samples: count)
                    score = both.projected
                    if r < 0 { observed.withLock { $0[m] = both.observed } }
                } else {
                    score = try metric.score(sample).score
                    if r < 0 { observed.withLock { $0[m] = score } }
                }
                values.withLock { $0[job] = score }
            } catch {
                if r < 0 { failures.withLock { $0[m] = "\(error)" } }
            }
        }
        let workers = max(1, min(threads, jobs))
        BLASRuntime.withThreadCount(1) {
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for job in stride(from: w, to: jobs, by: workers) { fit(job) }
            }
        }
        let scores = values.current
        let failed = failures.current
        let seen = observed.current
        var estimates = [StageEstimate]()
        for (m, c) in active.enumerated() {
            var estimate = StageEstimate(score: .nan, lower: .nan, upper: .nan)
            if let message = failed[m] {
                progress.log("\(c.name): \(metric.name) failed at stage \(s + 1): \(message)")
            } else {
                let row = Array(scores[(m * perModel)..<((m + 1) * perModel)])
                estimate = HalfSampleInterval.interval(estimate: row[0], resampled: Array(row.dropFirst()), level: level)
                if projecting != nil {
                    estimate.observed = seen[m]
                    estimate.projectedTo = count
                }
            }
            c.lastScore = estimate.score
            estimates.append(estimate)
        }
        return estimates
    }

    /// Stops the running models that cannot reach the top k (`IntervalElimination`);
    /// nothing stops while k or fewer run.
    static func eliminate(
        _ active: [Candidate], estimates: [StageEstimate], stage s: Int, samples n: Int, metric: any TransferabilityMetric,
        settings: ProgressiveSettings
    ) -> [Candidate] {
        guard active.count > settings.top else { return [] }
        let (eliminated, reference) = IntervalElimination.eliminated(estimates, keep: settings.top)
        // a model with complete cached features costs nothing more: it is never stopped
        let stopped = eliminated.filter { active[$0].complete == nil }
        return stopped.map { i in
            let c = active[i]
            let e = estimates[i]
            let reason: String
            if !e.score.isFinite {
                reason = "eliminated: \(metric.name) is not finite at \(n) samples"
            } else if let reference {
                let r = estimates[reference]
                let what =
                    e.projectedTo.map { "\(metric.name) projected to \($0) samples (\(format(e.observed ?? .nan)) on \(n))" } ?? metric.name
                reason =
                    "eliminated: \(what), interval [\(format(e.lower)), \(format(e.upper))], lies below "
                    + "\(active[reference].name)'s lower bound \(format(r.lower)) (k = \(settings.top))"
            } else {
                reason = "eliminated"
            }
            c.outcome = ProgressiveOutcome(
                stage: s + 1, samples: n, status: "eliminated", reason: reason, interval: e, partial: true)
            return c
        }
    }

    /// One model's inputs to the stage's fits.
    struct FitInput: Sendable {
        let features: Matrix
        let probabilities: Matrix?
    }

    static func format(_ x: Double) -> String { String(format: "%.4f", x) }

    static func encode(_ labels: [Int], rank: RankConfiguration) throws -> EncodedTargets {
        try RankJob.encodeTargets(
            values: labels.map(Double.init), shape: [labels.count], task: rank.task, source: "the labels of the stage's samples")
    }

    static func matrix(_ rows: ModelRows, rows n: Int) -> Matrix {
        let d = rows.dimension
        return Matrix(rows: n, columns: d, storage: rows.features.prefix(n * d).map(Double.init))
    }

    static func probabilityMatrix(_ rows: ModelRows, rows n: Int) -> Matrix? {
        guard let p = rows.probabilities, let s = rows.sourceClasses else { return nil }
        return Matrix(rows: n, columns: s, storage: p.prefix(n * s).map(Double.init))
    }

    /// The cache key of the first `rows` samples of the stratified order `tag`.
    static func partialKey(_ key: String, tag: String, rows: Int) -> String {
        SHA256.hex("\(key)\n\(tag)\nrows=\(rows)")
    }

    /// Stores a model's rows after a stage: a partial entry (replacing the previous
    /// stage's), or at the last stage the complete entry in dataset order.
    static func commit(
        _ c: Candidate, rows n: Int, count: Int, order: [Int], tag: String, context: ExtractionContext, hooks: ExtractHooks
    ) throws {
        let previous = c.partialKey
        if n == count {
            var inDatasetOrder = ModelRows()
            inDatasetOrder.dimension = c.rows.dimension
            inDatasetOrder.sourceClasses = c.rows.sourceClasses
            inDatasetOrder.rows = count
            inDatasetOrder.seconds = c.lastStageSeconds
            inDatasetOrder.features = permuteBack(c.rows.features, width: c.rows.dimension, order: order)
            inDatasetOrder.probabilities = c.rows.probabilities.map { permuteBack($0, width: c.rows.sourceClasses ?? 0, order: order) }
            let model = try ExtractJob.store(c.pending, rows: inDatasetOrder, context: context, wall: c.lastStageSeconds)
            c.complete = model
            c.partialKey = nil
            c.extractor = nil
            try hooks.afterModel?(model)
        } else {
            let key = partialKey(c.pending.key, tag: tag, rows: n)
            let features = NumericArray(shape: [n, c.rows.dimension], dtype: .float32, values: c.rows.features.map(Double.init))
            let probabilities = c.rows.probabilities.map {
                NumericArray(shape: [n, c.rows.sourceClasses ?? 0], dtype: .float32, values: $0.map(Double.init))
            }
            try context.cache.store(key: key, model: c.name, features: features, probabilities: probabilities)
            c.partialKey = key
        }
        if let previous, previous != c.partialKey { try context.cache.remove(key: previous) }
    }

    /// Rows in the stratified order -> rows in dataset order.
    static func permuteBack(_ values: [Float], width: Int, order: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for (position, index) in order.enumerated() {
            out[(index * width)..<((index + 1) * width)] = values[(position * width)..<((position + 1) * width)]
        }
        return out
    }

    /// A complete cached model's rows in the stratified order.
    static func rowsInOrder(_ model: ExtractedModel, order: [Int]) throws -> ModelRows {
        var rows = ModelRows()
        let features = try FeatureFile.readArray(at: model.featuresURL)
        rows.dimension = features.shape.count == 2 ? features.shape[1] : 0
        rows.rows = order.count
        rows.features = gather(features.values, width: rows.dimension, order: order)
        if let url = model.probabilitiesURL {
            let p = try FeatureFile.readArray(at: url)
            rows.sourceClasses = p.shape.count == 2 ? p.shape[1] : 0
            rows.probabilities = gather(p.values, width: rows.sourceClasses ?? 0, order: order)
        }
        return rows
    }

    static func gather(_ values: [Double], width: Int, order: [Int]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(order.count * width)
        for index in order { out += values[(index * width)..<((index + 1) * width)].map(Float.init) }
        return out
    }

    static func readRows(_ cached: CachedFeatures) throws -> ModelRows {
        var rows = ModelRows()
        let features = try FeatureFile.readArray(at: cached.featuresURL)
        rows.rows = cached.rows
        rows.dimension = cached.columns
        rows.features = features.values.map(Float.init)
        if let url = cached.probabilitiesURL {
            let p = try FeatureFile.readArray(at: url)
            rows.sourceClasses = p.shape.count == 2 ? p.shape[1] : 0
            rows.probabilities = p.values.map(Float.init)
        }
        return rows
    }

    /// The models still running at the end, ranked with every metric: from their
    /// complete cached files when the last stage was the whole dataset (as `rank
    /// --hub`), else from the stage's rows.
    static func finalRanking(
        _ active: [Candidate], samples n: Int, order: [Int], context: ExtractionContext, extract: ExtractConfiguration,
        rank: RankConfiguration
    ) throws -> RankingResult {
        let count = context.dataset.count
        let sorted = active.sorted { $0.name < $1.name }
        let models: [ModelSource]
        let targets: EncodedTargets
        if n == count {
            models = sorted.compactMap { c in
                guard let m = c.complete else { return nil }
                return ModelSource(
                    name: m.name, features: .file(m.featuresURL, key: nil),
                    sourceProbabilities: m.probabilitiesURL.map { .file($0, key: nil) }
                        ?? .missing(reason: "no source probabilities for \(m.name) (its card names no source head)"),
                    label: m.name)
            }
            targets = try RankJob.encodeTargets(
                values: context.labels.map(Double.init), shape: [count], task: rank.task,
                source: "the labels of \(extract.data.path)")
        } else {
            models = sorted.map { c in
                ModelSource(
                    name: c.name, features: .matrix(matrix(c.rows, rows: n)),
                    sourceProbabilities: probabilityMatrix(c.rows, rows: n).map { .matrix($0) }
                        ?? .missing(reason: "no source probabilities for \(c.name) (its card names no source head)"),
                    label: c.name)
            }
            targets = try encode(order.prefix(n).map { context.labels[$0] }, rank: rank)
        }
        guard !models.isEmpty else {
            let names = rank.metrics.map(\.name)
            return RankingResult(task: rank.task, metric: names.first ?? "logme", metricNames: names, models: [])
        }
        var result = try RankJob.run(
            RankData(models: models, targets: targets, labelsName: "the dataset"), config: rank, progress: ProgressReporter(style: .silent))
        let outcomes = Dictionary(uniqueKeysWithValues: active.map { ($0.name, $0.outcome) })
        for i in result.models.indices { result.models[i].progressive = outcomes[result.models[i].name] ?? nil }
        return result
    }

    /// Stopped models after the ranked ones: later stages first, then by their last
    /// score; each with its partial score and the reason it stopped.
    static func stoppedScores(_ stopped: [Candidate], metric: String, startRank: Int) -> [ModelScore] {
        let ordered = stopped.sorted { a, b in
            let sa = a.outcome?.stage ?? 0, sb = b.outcome?.stage ?? 0
            if sa != sb { return sa > sb }
            let x = a.lastScore.isFinite ? a.lastScore : -.infinity
            let y = b.lastScore.isFinite ? b.lastScore : -.infinity
            return x != y ? x > y : a.name < b.name
        }
        return ordered.enumerated().map { i, c in
            let rank = startRank + i
            return ModelScore(
                name: c.name, score: c.lastScore, rank: rank, seconds: c.lastStageSeconds,
                diagnostics: ModelDiagnostics(
                    samples: c.outcome?.samples ?? 0, dimension: c.rows.dimension, sourceClasses: c.rows.sourceClasses),
                metrics: [metric: MetricScore(score: c.lastScore, rank: rank, seconds: 0)], progressive: c.outcome)
        }
    }
}

extension ModelRows {
    /// Appends another pass's rows (the samples after these).
    mutating func appendRows(_ more: ModelRows, model: String) throws {
        if rows == 0 {
            self = more
            return
        }
        guard more.dimension == dimension, more.sourceClasses == sourceClasses else {
            throw HubError.modelFailed(model: model, message: "output width changed between stages (\(dimension) then \(more.dimension))")
        }
        features += more.features
        if let p = more.probabilities { probabilities? += p }
        rows += more.rows
        seconds += more.seconds
    }
}
