import ArgumentParser
import Foundation
import Report
import Support

extension OutputFormat: ExpressibleByArgument {}

/// How a command delivers its result, the same for every command that has a result:
/// `--format` chooses table, JSON or CSV; without `--output` the result goes to
/// stdout; with `--output FILE` the file gets it (atomically) and stdout carries a
/// short human summary instead (nothing with `--quiet`). `--quiet` also silences
/// progress on stderr.
public struct OutputOptions: ParsableArguments {
    public init() {}

    @Option(help: "Output format: table, json or csv.")
    public var format: OutputFormat = .table

    @Option(
        help: ArgumentHelp(
            "Write the result to this file (in --format, atomically); stdout then carries a short summary.",
            discussion: """
                The file must be new or a regular file: device nodes, FIFOs, sockets and symbolic links are refused \
                (links are not followed; give the link's target), and so is one of the command's input files. A path \
                inside a folder the command reads as input is refused unless --allow-output-in-inputs is given.
                """,
            valueName: "file"))
    public var output: String?

    @Flag(
        name: .customLong("allow-output-in-inputs"),
        help: "Allow --output inside a folder the command reads as input (the next run may read it as one).")
    public var allowOutputInInputs = false

    @Flag(help: "No progress on stderr, and no summary on stdout with --output.")
    public var quiet = false

    /// The progress display these options ask for.
    public var progress: ProgressReporter { ProgressReporter(style: quiet ? .silent : nil) }

    /// Refuses an --output that would clobber something (see `OutputTarget`); call it
    /// before the command's work so a bad destination costs nothing.
    public func check(inputs: CommandInputs) throws {
        guard let output else { return }
        try OutputTarget.check(
            URL(fileURLWithPath: output), option: "--output", inputs: inputs, allowInsideInputs: allowOutputInInputs)
    }

    /// Delivers a rendered result: to stdout, or to --output with `summary` on stdout
    /// (unless --quiet). The destination is checked again right before writing.
    public func deliver(_ rendered: String, summary: @autoclosure () -> String, inputs: CommandInputs) throws {
        guard let output else {
            FileHandle.standardOutput.write(Data(rendered.utf8))
            return
        }
        try check(inputs: inputs)
        let url = URL(fileURLWithPath: output)
        try writeAtomically(Data(rendered.utf8), to: url)
        if !quiet {
            var text = summary()
            if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
            text += "wrote \(output) (\(format.rawValue))\n"
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

/// The paths a command reads, named by the option that gave them, so an output can be
/// refused when it would overwrite one of them or land where the next run reads.
public struct CommandInputs: Sendable {
    public var paths: [(option: String, path: String)]

    public init(_ paths: [(option: String, path: String?)] = []) {
        self.paths = paths.compactMap { entry in entry.path.map { (option: entry.option, path: $0) } }
    }

    public static let none = CommandInputs()
}

/// Checks one output destination (a file of `--output`, or a folder of `--out`)
/// against the rules every writer follows.
public enum OutputTarget {
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Refuses `url` when it exists and is not a regular file (a device, FIFO, socket,
    /// directory or symbolic link), when it is one of `inputs`' files (by device and
    /// inode, and by resolved path), or, unless `allowInsideInputs`, when it lies
    /// inside (or is) one of `inputs`' folders.
    public static func check(_ url: URL, option: String, inputs: CommandInputs, allowInsideInputs: Bool) throws {
        if let problem = OutputPath.kindProblem(url) { throw Refused(message: "\(option) \(url.relativePath) \(problem)") }
        try checkAgainstInputs(url, option: option, inputs: inputs, allowInsideInputs: allowInsideInputs, isFolder: false)
    }

    /// The same rules for an output folder (`--out DIR`): it may exist as a directory,
    /// must not be or contain an input file, and must not lie inside an input folder
    /// (nor contain one) unless `allowInsideInputs`.
    public static func checkFolder(_ url: URL, option: String, inputs: CommandInputs, allowInsideInputs: Bool) throws {
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
            let problem = OutputPath.kindProblem(url) ?? "is a file, not a directory"
            throw Refused(message: "\(option) \(url.relativePath) \(problem)")
        }
        try checkAgainstInputs(url, option: option, inputs: inputs, allowInsideInputs: allowInsideInputs, isFolder: true)
    }

    private static func checkAgainstInputs(_ url: URL, option: String, inputs: CommandInputs, allowInsideInputs: Bool, isFolder: Bool) throws {
        for input in inputs.paths {
            let inputURL = URL(fileURLWithPath: input.path)
            if OutputPath.isDirectory(inputURL) {
                let inside = OutputPath.isInside(url, folder: inputURL)
                // An output folder holding an input folder would be cleaned or filled under it.
                let around = isFolder && OutputPath.isInside(inputURL, folder: url)
                if (inside || around) && !allowInsideInputs {
                    let where_ = inside ? "inside" : "around"
                    throw Refused(
                        message:
                            "\(option) \(url.relativePath) is \(where_) \(input.option) \(input.path), which this command reads as input: the next run would read the output as an input (give another path, or --allow-output-in-inputs)"
                    )
                }
            } else if OutputPath.sameFile(url, inputURL) || OutputPath.resolved(url) == OutputPath.resolved(inputURL) {
                throw Refused(message: "\(option) \(url.relativePath) would overwrite \(input.option) \(input.path), an input of this command")
            } else if isFolder, OutputPath.isInside(inputURL, folder: url), !allowInsideInputs {
                throw Refused(
                    message:
                        "\(option) \(url.relativePath) holds \(input.option) \(input.path), an input of this command: writing there could overwrite it (give another folder, or --allow-output-in-inputs)"
                )
            }
        }
    }
}

/// Prints `text` on stdout (results that have no --output).
public func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
