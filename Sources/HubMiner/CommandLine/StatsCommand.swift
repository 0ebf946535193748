import ArgumentParser
import Foundation
import Ranking
import Support

public struct StatsCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Write each model's sufficient statistics over a shard of rows, for `rank --stats`.",
        discussion: """
            Streams every feature file in row chunks (bounded memory) and writes \
            OUT/<model>.stats.npz: N, the feature sums, FᵀF, YᵀF, YᵀY and the moments the \
            statistics metrics need (docs/STATS.md). Shards of the same labels file (--rows \
            A:B over the same --labels) merge by addition in `hubminer rank --stats OUT1 OUT2 ...`, \
            which gives the same scores as ranking the whole data. --class-grams adds the \
            per-class Gram matrices (C·D² numbers) that TransRate and GBC need.
            """
    )

    @Option(help: "A feature file, or a directory with one feature file per model.")
    var features: String

    @Option(help: "Labels of every row of the feature files (the whole file, whatever --rows is).")
    var labels: String

    @Option(help: "classification, regression or multilabel.")
    var task: TaskKind = .classification

    @Option(help: "The shard's rows, A:B (rows A to B-1, counted from 0); all rows by default.")
    var rows: String?

    @Option(help: "Directory to write <model>.stats.npz into.")
    var out: String

    @Flag(name: .customLong("class-grams"), help: "Also keep per-class Gram matrices (needed by transrate and gbc).")
    var classGrams = false

    @Option(name: .customLong("chunk-rows"), help: "Rows read per chunk (default: 64 MB of float64 rows).")
    var chunkRows: Int?

    @Option(help: "Array name inside .npz/.safetensors feature files that hold several.")
    var key: String?

    @Option(name: .customLong("label-key"), help: "Array name inside a .npz/.safetensors labels file that holds several.")
    var labelKey: String?

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Flag(
        name: .customLong("allow-output-in-inputs"),
        help: "Allow --out inside the --features folder (the next `rank --features` would read the statistics as models).")
    var allowOutputInInputs = false

    public func validate() throws {
        if let rows { _ = try Self.parseRows(rows) }
        if let chunkRows, chunkRows < 1 { throw ValidationError("--chunk-rows must be at least 1") }
    }

    /// "A:B" as A..<B.
    static func parseRows(_ text: String) throws -> Range<Int> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a >= 0, b > a else {
            throw ValidationError("--rows \(text): expected A:B with 0 <= A < B (rows A to B-1)")
        }
        return a..<b
    }

    public func run() throws {
        try HubMinerCommand.reportingErrors {
            try OutputTarget.checkFolder(
                URL(fileURLWithPath: out), option: "--out", inputs: CommandInputs([("--features", features), ("--labels", labels)]),
                allowInsideInputs: allowOutputInInputs)
            let config = StatsConfiguration(
                features: URL(fileURLWithPath: features), labelsFile: URL(fileURLWithPath: labels), task: task,
                featureKey: key, labelKey: labelKey, rows: try rows.map(Self.parseRows),
                outputDirectory: URL(fileURLWithPath: out), classGrams: classGrams, chunkRows: chunkRows)
            let summary = try StatsJob.run(config, progress: ProgressReporter(style: quiet ? .silent : nil))
            for w in summary.written {
                print("\(w.model)\trows \(w.rows.lowerBound):\(w.rows.upperBound)\tD \(w.dimension)\t\(w.file.path)")
            }
            if !summary.failed.isEmpty {
                for f in summary.failed { FileHandle.standardError.write(Data("hubminer: \(f.name): \(f.error)\n".utf8)) }
                throw ExitCode.failure
            }
        }
    }
}
