import Foundation
import Ranking

/// Every requested metric on one model, in order, as every ranking route scores
/// them: the first (primary) metric's failure fails the model; another metric's
/// failure, or a non-finite score, becomes a warning. LogME is fitted directly when
/// the route can (its fit gives the diagnostics); any other metric gives a
/// `MetricResult`.
struct MetricRunner {
    var results = [String: MetricScore]()
    var warnings = [String]()
    var logme: LogMEDiagnostics?

    /// - Parameters:
    ///   - fitLogME: the LogME fit when `metric` is LogME and this route fits it
    ///     directly; nil to score the metric like any other.
    ///   - logmeWarnings: which of the fit's warnings belong to this model.
    ///   - score: any other metric's result.
    init<Metric>(
        _ metrics: [Metric], name: (Metric) -> String,
        fitLogME: (Metric) throws -> LogMEFit?, logmeWarnings: (LogMEFit) -> [String] = { $0.warnings },
        score: (Metric) throws -> MetricResult
    ) throws {
        for (position, metric) in metrics.enumerated() {
            let metricName = name(metric)
            let start = Date()
            do {
                if let fit = try fitLogME(metric) {
                    logme = LogMEDiagnostics(fit: fit)
                    let own = logmeWarnings(fit)
                    results[metricName] = MetricScore(score: fit.score, seconds: Date().timeIntervalSince(start), warnings: own)
                    warnings += own.map { "logme: \($0)" }
                } else {
                    let r = try score(metric)
                    guard r.score.isFinite else { throw MetricError.degenerate(metric: metricName, reason: "the score is \(r.score)") }
                    results[metricName] = MetricScore(
                        score: r.score, seconds: Date().timeIntervalSince(start),
                        details: r.details, warnings: r.warnings)
                    warnings += r.warnings.map { RankJob.prefixed($0, by: metricName) }
                }
            } catch {
                if position == 0 { throw error }
                warnings.append("\(metricName) failed: \(error)")
            }
        }
    }
}
