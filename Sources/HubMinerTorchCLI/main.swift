import ArgumentParser
import HubMiner
import HubMinerCommandLine
import HubMinerDistributed
import HubMinerHub
import Linalg
import Ranking
import Torch

/// `hubminer-torch`: every command, with the deep-learning layer. `hubminer` forwards
/// the commands that run models here; see `HubMinerCommand`.
struct HubMinerTorchRoot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hubminer",
        abstract: HubMinerCommand.abstract,
        subcommands: [RankCommand.self, StatsCommand.self, ExtractCommand.self, HubCommand.self, TuneCommand.self, ZooCommand.self, EvaluateCommand.self, ReportCommand.self, PipelineDemoCommand.self, InfoCommand.self]
    )
}

/// `rank --hub`: extraction through the cache, then the ranking every `rank` shares.
struct TorchHubRanking: HubRankingBackend {
    func rank(extraction: ExtractionOptions, threads: Int, rank: RankConfiguration, progress: ProgressReporter) throws -> RankingResult {
        try HubRankJob.run(extract: try extraction.configuration(threads: threads), rank: rank, progress: progress).0
    }
}

/// `rank --distributed` / `--nproc N`: statistics split across a c10d process group.
struct TorchDistributedRanking: DistributedRankingBackend {
    func rankAsProcess(_ configuration: DistributedRankConfiguration, progress: ProgressReporter) throws -> RankingResult? {
        try DistributedRankProcess.run(configuration, progress: progress)
    }
    func launchLocalRanks(processCount: Int, arguments: [String]) throws -> Int32 {
        try LocalRanks.run(processCount: processCount, arguments: arguments)
    }
}

BLASRuntime.ensureOptimizedKernels()
HubBackend.ranking = TorchHubRanking()
HubBackend.runtimeInfo = { ["libtorch:     \(TorchRuntime.version)", "libtorch threads: \(TorchRuntime.threadCount)"] }
HubBackend.distributedRanking = TorchDistributedRanking()
HubMinerTorchRoot.main()
