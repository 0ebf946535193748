import Distributed
import Foundation
import HubMiner
import Ranking
import Support

/// One process of `rank --distributed`: joins the group the launch variables
/// describe, runs `DistributedRankJob`, and reports its timings and traffic on
/// stderr (the numbers the cost model in docs/DISTRIBUTED.md is built from).
package enum DistributedRankProcess {
    package static func run(
        _ configuration: DistributedRankConfiguration, progress: ProgressReporter,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> RankingResult? {
        let joining = Date()
        let group = try ProcessGroup.fromEnvironment(environment)
        let joinSeconds = Date().timeIntervalSince(joining)
        let outcome = try DistributedRankJob.run(configuration, group: group, progress: progress)
        progress.log(
            String(
                format: "rank %d of %d: join %.3f s, statistics %.3f s, all-reduce %.3f s (%.3f MB float64), metrics %.3f s, gather %.3f s",
                group.rank, group.worldSize, joinSeconds, outcome.accumulateSeconds, outcome.reduceSeconds,
                Double(outcome.valuesAllReduced * 8) / 1e6, outcome.scoreSeconds, outcome.gatherSeconds))
        return outcome.result
    }
}
