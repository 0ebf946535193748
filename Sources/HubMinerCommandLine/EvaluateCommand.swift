import ArgumentParser
import Foundation
import HubMiner
import Ranking
import Report

public struct EvaluateCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Judge a ranking against real fine-tuning results (weighted Kendall tau and more)."
    )

    @Option(help: "The JSON written by `hubminer rank --format json`.")
    var scores: String

    @Option(help: "CSV with a 'model' column and numeric ground-truth columns; other numeric columns are reported as static baselines.")
    var truth: String

    @Option(name: .customLong("truth-column"), help: "The ground-truth column.")
    var truthColumn: String = "accuracy"

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Option(help: "Bootstrap resamples of the model pool for the intervals (0: no intervals).")
    var resamples: Int = 1000

    @Option(help: "Seed of the bootstrap resamples.")
    var seed: UInt64 = 0

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            guard resamples >= 0 else { throw ValidationError("--resamples must be 0 or more") }
            let report = try EvaluateJob.run(scores: URL(fileURLWithPath: scores), truth: URL(fileURLWithPath: truth), truthColumn: truthColumn,
                                             bootstrap: resamples > 0 ? BootstrapSettings(resamples: resamples, seed: seed) : nil)
            if !report.unmatched.isEmpty {
                FileHandle.standardError.write(Data("hubminer: not in both files, left out: \(report.unmatched.joined(separator: ", "))\n".utf8))
            }
            try emit(try EvaluationRenderer.render(metrics: report.metrics, baselines: Set(report.baselines),
                                                   models: report.models.count, uncertainty: report.uncertainty, as: format), to: nil)
        }
    }
}
