import ArgumentParser
import HubMiner
import HubMinerTorch
import Linalg

// `hubminer-torch`: every command, with the deep-learning layer. `hubminer` forwards
// the parsed commands that run models here. Each command is its shared option group
// (HubMiner) and the workflow that runs it (HubMinerTorch).

struct HubMinerTorchRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubminer",
        abstract: HubMinerCommand.abstract,
        version: HubMinerCommand.version,
        subcommands: [
            Rank.self, StatsCommand.self, HubGroup.self, Extract.self, Tune.self, Auto.self, ZooGroup.self, EvaluateCommand.self,
            ReportCommand.self, Demo.self, Info.self,
        ]
    )
}

struct Rank: ParsableCommand {
    static let configuration = RankOptions.configuration
    @OptionGroup var options: RankOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.rankWithModels() } }
}

struct Extract: ParsableCommand {
    static let configuration = ExtractOptions.configuration
    @OptionGroup var options: ExtractOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct Tune: ParsableCommand {
    static let configuration = TuneOptions.configuration
    @OptionGroup var options: TuneOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct Auto: ParsableCommand {
    static let configuration = AutoOptions.configuration
    @OptionGroup var options: AutoOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct Demo: ParsableCommand {
    static let configuration = DemoOptions.configuration
    @OptionGroup var options: DemoOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct HubGroup: ParsableCommand {
    static let configuration = HubCommandGroup.configuration(subcommands: [HubList.self, HubInspect.self, HubAdd.self])
}

struct HubList: ParsableCommand {
    static let configuration = HubListOptions.configuration
    @OptionGroup var options: HubListOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct HubInspect: ParsableCommand {
    static let configuration = HubInspectOptions.configuration
    @OptionGroup var options: HubInspectOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct HubAdd: ParsableCommand {
    static let configuration = HubAddOptions.configuration
    @OptionGroup var options: HubAddOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct ZooGroup: ParsableCommand {
    static let configuration = ZooCommandGroup.configuration(subcommands: [ZooBuild.self])
}

struct ZooBuild: ParsableCommand {
    static let configuration = ZooBuildOptions.configuration
    @OptionGroup var options: ZooBuildOptions
    func run() throws { try HubMinerCommand.reportingErrors { try options.run() } }
}

struct Info: ParsableCommand {
    static let configuration = InfoOptions.configuration
    func run() {
        for line in InfoOptions.blasLines + TorchInfo.lines { print(line) }
    }
}

BLASRuntime.ensureOptimizedKernels()
HubMinerCommand.main(HubMinerTorchRoot.self, forwardingModelCommands: false)
