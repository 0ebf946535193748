import ArgumentParser
import HubMiner
import Linalg

/// `hubminer`: the ranking stack only (no libtorch in this process). Every command is
/// parsed here with the options `hubminer-torch` uses; a parsed command that
/// `RunsModels` is handed to `hubminer-torch` (see `HubMinerCommand.main`).
struct HubMinerRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubminer",
        abstract: HubMinerCommand.abstract,
        discussion:
            "hub, extract, tune, auto, zoo, demo and rank --hub run models: they are carried out by \(HubMinerCommand.torchExecutableName), next to this program.",
        version: HubMinerCommand.version,
        subcommands: [
            RankCommand.self, StatsCommand.self, HubGroup.self, ForwardedCommand<ExtractOptions>.self,
            ForwardedCommand<TuneOptions>.self, ForwardedCommand<AutoOptions>.self, ZooGroup.self, EvaluateCommand.self, ReportCommand.self,
            DemoCommand.self, InfoCommand.self,
        ]
    )
}

struct HubGroup: ParsableCommand {
    static let configuration = HubCommandGroup.configuration(subcommands: [
        ForwardedCommand<HubListOptions>.self, ForwardedCommand<HubInspectOptions>.self, ForwardedCommand<HubAddOptions>.self,
    ])
}

struct ZooGroup: ParsableCommand {
    static let configuration = ZooCommandGroup.configuration(subcommands: [ForwardedCommand<ZooBuildOptions>.self])
}

// Debian's OpenBLAS picks generic kernels on recent CPUs unless OPENBLAS_CORETYPE is
// set before it loads; this re-executes the program once with it set (no-op otherwise).
// It runs first so a forwarded command inherits the setting and the heavier
// executable never needs to re-execute itself.
BLASRuntime.ensureOptimizedKernels()
HubMinerCommand.main(HubMinerRoot.self, forwardingModelCommands: true)
