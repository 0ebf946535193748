import ArgumentParser
import FeatureIO
import Foundation
import Report
import Support

public struct ReportCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a run directory's results as one self-contained HTML page (charts as inline SVG).",
        discussion: """
            RUN_DIR holds any of run.json, ranking.json (rank --format json), ground_truth.json, \
            evaluation.json (evaluate --format json) and tuning/<method>/seed-<n>/ (config.json, \
            log.jsonl, result.json); a missing part is shown as not run. See docs/REPORT.md.
            """
    )

    @Argument(help: "The run directory.")
    var runDirectory: String

    @Option(help: "Where to write the page (default: RUN_DIR/report.html).")
    var out: String?

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            let run = try RunDirectory.load(runDirectory)
            let html = ReportRenderer.render(run)
            let destination = out ?? (run.path + "/report.html")
            try writeAtomically(Data(html.utf8), to: URL(fileURLWithPath: destination))
            print(destination)
        }
    }
}
