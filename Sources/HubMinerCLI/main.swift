import ArgumentParser
import Foundation
import HubMinerCommandLine
import Linalg

/// `hubminer`: the ranking stack only (no libtorch in this process).
struct HubMinerRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubminer",
        abstract: HubMinerCommand.abstract,
        discussion: "hub, extract, tune, zoo, demo and rank --hub run models: they are carried out by \(HubMinerCommand.torchExecutableName), next to this program.",
        subcommands: [RankCommand.self, StatsCommand.self, ModelCommand.hub, ModelCommand.extract, ModelCommand.tune, ModelCommand.zoo, EvaluateCommand.self, ReportCommand.self, DemoCommand.self, InfoCommand.self]
    )
}

/// Listed in `hubminer --help`; never parsed here (see the dispatch below).
enum ModelCommand {
    struct Hub: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hub", abstract: "Manage a hub of TorchScript models: list, inspect, add.")
        @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
        func run() throws { try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() } }
    }
    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "extract", abstract: "Extract every hub model's features on a dataset, through the cache.")
        @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
        func run() throws { try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() } }
    }
    struct Tune: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tune a hub model on a dataset with a tuning method (finetune, distillation, ...).")
        @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
        func run() throws { try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() } }
    }
    struct Zoo: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "zoo", abstract: "Build the built-in zoo of small pre-trained models on procedural tasks.")
        @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
        func run() throws { try HubMinerCommand.reportingErrors { try HubMinerCommand.forwardToTorchExecutable() } }
    }
    static let hub: any ParsableCommand.Type = Hub.self
    static let tune: any ParsableCommand.Type = Tune.self
    static let extract: any ParsableCommand.Type = Extract.self
    static let zoo: any ParsableCommand.Type = Zoo.self
}

// Debian's OpenBLAS picks generic kernels on recent CPUs unless OPENBLAS_CORETYPE is
// set before it loads; this re-executes the program once with it set (no-op otherwise).
// It runs first so a forwarded command inherits the setting and the heavier
// executable never needs to re-execute itself.
BLASRuntime.ensureOptimizedKernels()
let arguments = Array(CommandLine.arguments.dropFirst())
if HubMinerCommand.needsTorch(arguments) {
    do { try HubMinerCommand.forwardToTorchExecutable(arguments: arguments) } catch {
        FileHandle.standardError.write(Data("hubminer: \(error)\n".utf8))
        exit(1)
    }
}
HubMinerRoot.main()
