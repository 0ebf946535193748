import ArgumentParser
import Report
import Support

extension OutputFormat: ExpressibleByArgument {}

/// How a command prints its result: the format, an optional copy in a file, and
/// whether progress goes to stderr.
public struct OutputOptions: ParsableArguments {
    public init() {}

    @Option(help: "Output format: table, json or csv.")
    public var format: OutputFormat = .table

    @Option(help: "Also write the output to this file (atomically).")
    public var output: String?

    @Flag(help: "No progress on stderr.")
    public var quiet = false

    /// The progress display these options ask for.
    public var progress: ProgressReporter { ProgressReporter(style: quiet ? .silent : nil) }
}
