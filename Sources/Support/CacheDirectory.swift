import Foundation

/// HubMiner's per-machine cache: extracted features, the built-in zoo, the demo's
/// runs, the NCCL plugin. Outside every checkout, so clones share it.
package enum CacheDirectory {
    /// `$HUBMINER_CACHE_DIR`, else `$XDG_CACHE_HOME/hubminer`, else `~/.cache/hubminer`
    /// (as `scripts/dev.sh` resolves it).
    package static func `default`(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["HUBMINER_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("hubminer")
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".cache").appendingPathComponent("hubminer")
    }
}
