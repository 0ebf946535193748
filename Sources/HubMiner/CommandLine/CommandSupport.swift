import ArgumentParser
import Foundation
import Ranking
import Support

/// Shared behaviour of HubMiner's commands.
///
/// The program is two executables, as git's subcommands are: `hubminer` holds the
/// ranking stack only, so ranking from feature files starts in milliseconds, and
/// `hubminer-torch` (next to it) adds the deep-learning layer for the commands
/// that run models. Loading libtorch costs most of a second per process start;
/// `hubminer` parses every command with the same option groups as `hubminer-torch`
/// and `exec`s it for the parsed commands that are `RunsModels`, so users only ever
/// type `hubminer`.
public enum HubMinerCommand {
    /// Runs a command body and turns any error into one line on stderr and exit 1,
    /// so users never see a stack trace or a Swift type name.
    public static func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("hubminer: \(ErrorText.oneLine(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    public static let abstract = "Rank pre-trained models by how well they will transfer to a target task."

    /// The program's version, printed by `hubminer --version` (both executables).
    public static let version = "0.1.0"

    /// The executable that runs the model commands.
    public static let torchExecutableName = "hubminer-torch"

    /// Parses argv with `Root` (the real parser, help and errors included) and runs
    /// the command; a parsed command that `RunsModels` is handed to `hubminer-torch`
    /// with the same arguments instead, when `forwardingModelCommands` is set.
    public static func main<Root: ParsableCommand>(_ root: Root.Type, forwardingModelCommands: Bool) -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let command: any ParsableCommand
        do {
            command = try root.parseAsRoot(arguments)
        } catch {
            root.exit(withError: error)
        }
        if forwardingModelCommands, let needs = command as? any RunsModels, needs.runsModels {
            do { try forwardToTorchExecutable(arguments: arguments) } catch {
                FileHandle.standardError.write(Data("hubminer: \(error)\n".utf8))
                exit(1)
            }
        }
        do {
            var command = command
            try command.run()
            root.exit()
        } catch {
            root.exit(withError: error)
        }
    }

    /// Replaces this process with `hubminer-torch` and the same arguments. Returns
    /// only by throwing, when that executable is missing.
    public static func forwardToTorchExecutable(arguments: [String] = Array(CommandLine.arguments.dropFirst())) throws -> Never {
        let torch = ProgramExecution.sibling(named: torchExecutableName).path
        guard FileManager.default.isExecutableFile(atPath: torch) else {
            throw ValidationError(
                "\(arguments.first ?? "this command") runs models and needs \(torchExecutableName) next to hubminer (\(torch)); build both with `bash scripts/dev.sh build`"
            )
        }
        let reason = ProgramExecution.replaceProcess(with: torch, arguments: [torch] + arguments)
        throw ValidationError("could not start \(torch): \(reason)")
    }
}

/// A parsed command that needs the deep-learning layer. `hubminer` checks the parsed
/// command (options included: `rank` runs models only with --hub or across
/// processes) and forwards it to `hubminer-torch`, which runs it.
public protocol RunsModels {
    var runsModels: Bool { get }
}

extension RunsModels {
    public var runsModels: Bool { true }
}

/// The options of a command both executables parse the same way; each executable
/// declares its own command around them (`hubminer` forwards, `hubminer-torch` runs).
public protocol CommandOptions: ParsableArguments {
    static var configuration: CommandConfiguration { get }
}

/// A command `hubminer` parses with its real options and hands to `hubminer-torch`.
public struct ForwardedCommand<Options: CommandOptions>: ParsableCommand, RunsModels {
    public static var configuration: CommandConfiguration { Options.configuration }
    @OptionGroup public var options: Options
    public init() {}
    public func run() throws {
        try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() }
    }
}
