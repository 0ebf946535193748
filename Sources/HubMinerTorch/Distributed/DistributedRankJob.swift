import Distributed
import Foundation
import HubMiner
import Linalg
import Ranking
import Support

/// `hubminer rank --distributed`: one process of a ranking split across a process
/// group.
///
/// 1. Every rank accumulates `FeatureStatistics` over its contiguous share of the
///    rows (`RankPartition.rows`) of every model's feature file, or of every hub
///    model's features extracted on its block of samples (`HubExtractionInputs`).
/// 2. Per model, the ranks first agree that everyone succeeded (a 3-number
///    all-reduce), then sum the statistics as one flat float64 buffer
///    (`FeatureStatistics.flattened`), so every rank holds the whole data's
///    statistics.
/// 3. The model's owner (round-robin) keeps them and, once every model is reduced,
///    computes the statistics metrics; the others drop them.
/// 4. The per-model results and failures are gathered; rank 0 returns the ranking.
///
/// A model that fails on any rank (unreadable file, a non-finite value in that
/// rank's rows) fails on all of them, with that rank's message. A rank that dies
/// makes the others' next collective fail with `DistributedError` (no hang).
package enum DistributedRankJob {
    package struct Outcome: Sendable {
        /// The ranking, on rank 0 only.
        package let result: RankingResult?
        /// Float64 values this rank contributed to all-reduces (statistics and agreement checks).
        package let valuesAllReduced: Int
        package let accumulateSeconds: Double
        package let reduceSeconds: Double
        package let scoreSeconds: Double
        package let gatherSeconds: Double
    }

    package static func run(
        _ config: DistributedRankConfiguration, group: ProcessGroup,
        progress: ProgressReporter = ProgressReporter()
    ) throws -> Outcome {
        // Notes about left-out metrics once, from rank 0, not once per process.
        let metrics = try StatsRankJob.statisticsMetrics(
            config.metrics, logME: config.logME,
            skipUnsupportedMetrics: config.skipUnsupportedMetrics,
            progress: group.rank == 0 ? progress : ProgressReporter(style: .silent))
        let metricNames = metrics.map(\.name)
        let inputs: any RankInputs =
            try config.hubExtraction.map { try HubExtractionInputs($0, cores: config.threads) }
            ?? FeatureFileInputs(config)
        let names = inputs.modelNames
        let targets = inputs.targets
        if group.rank == 0 { for warning in targets.warnings { progress.log("labels: \(warning)") } }
        let exchange = RankExchange(group: group)
        try exchange.requireSameInputs(models: names, samples: targets.sampleCount)

        let rows = RankPartition.rows(of: targets.sampleCount, rank: group.rank, worldSize: group.worldSize)
        let classGrams = metrics.contains { $0.needsClassGrams }
        var owned = [(index: Int, statistics: FeatureStatistics, seconds: Double)]()
        // Every rank sees the same broken cards: reported once, by rank 0.
        var failures = group.rank == 0 ? inputs.knownFailures : []
        var accumulateSeconds = 0.0, reduceSeconds = 0.0
        progress.begin(
            "rank (rank \(group.rank) of \(group.worldSize), rows \(rows.lowerBound)..<\(rows.upperBound))",
            total: names.count, unit: "models")
        try BLASRuntime.withThreadCount(config.threads) {
            for (index, name) in names.enumerated() {
                let started = Date()
                var local: FeatureStatistics?
                do {
                    local = try inputs.statistics(ofModel: index, rows: rows, classGrams: classGrams)
                } catch {
                    failures.append(ModelFailure(name: name, error: "rank \(group.rank): \(error)"))
                }
                let accumulated = Date()
                accumulateSeconds += accumulated.timeIntervalSince(started)
                let agreed = try exchange.agree(on: name, statistics: local)
                if var statistics = local, agreed {
                    var buffer = statistics.flattened()
                    try exchange.allReduce(&buffer, model: name)
                    if RankPartition.owner(ofModel: index, worldSize: group.worldSize) == group.rank {
                        statistics = try statistics.replacingValues(with: buffer, origins: [inputs.wholeOrigin(ofModel: index)])
                        owned.append((index, statistics, accumulated.timeIntervalSince(started)))
                    }
                }
                // Not agreed: the ranks that failed report why in the gathered failures.
                reduceSeconds += Date().timeIntervalSince(accumulated)
                progress.advance(String(format: "%@ statistics (%.2f s)", name, Date().timeIntervalSince(started)))
            }
        }
        progress.finish()

        let scoring = Date()
        var scored = [ModelScore]()
        try BLASRuntime.withThreadCount(config.threads) {
            for (index, statistics, seconds) in owned {
                let name = names[index]
                let started = Date()
                do {
                    var score = try StatsRankJob.score(name, statistics, metrics: metrics, started: started)
                    score.seconds += seconds
                    scored.append(score)
                } catch {
                    failures.append(ModelFailure(name: name, error: "\(error)"))
                }
            }
        }
        let scoreSeconds = Date().timeIntervalSince(scoring)

        let gathering = Date()
        let everyRank = try exchange.gather(RankShare(scored: scored, failed: failures))
        let gatherSeconds = Date().timeIntervalSince(gathering)
        let allScored = everyRank.flatMap(\.scored)
        // One line per failed model, with every rank's reason.
        var reasons = [String: [String]]()
        for failure in everyRank.flatMap(\.failed) { reasons[failure.name, default: []].append(failure.error) }
        let allFailed = reasons.keys.sorted().map { ModelFailure(name: $0, error: reasons[$0]!.joined(separator: "; ")) }
        if allScored.isEmpty { throw StatisticsFileError.everyModelFailed(allFailed.map { "\($0.name): \($0.error)" }) }
        let result =
            group.rank != 0
            ? nil
            : RankingResult(
                task: targets.task, metric: metricNames[0], metricNames: metricNames,
                models: RankingResult.ranked(allScored, metricNames: metricNames), failed: allFailed, labelWarnings: targets.warnings)
        return Outcome(
            result: result, valuesAllReduced: exchange.valuesAllReduced, accumulateSeconds: accumulateSeconds,
            reduceSeconds: reduceSeconds, scoreSeconds: scoreSeconds, gatherSeconds: gatherSeconds)
    }
}

/// What one rank sends back: the models it scored and the failures it saw.
struct RankShare: Codable {
    var scored: [ModelScore]
    var failed: [ModelFailure]
}
