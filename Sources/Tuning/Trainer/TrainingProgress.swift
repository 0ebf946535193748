import Support
/// Where the trainer reports progress: a bar with rate and ETA on a terminal,
/// plain lines otherwise. `ProgressReporter` (HubMiner) has exactly these
/// methods; the tuning layer names only the protocol so it does not depend on
/// the ranking workflows.
package protocol TrainingProgress: AnyObject {
    /// Starts a phase of `total` steps (an epoch's batches).
    func begin(_ label: String, total: Int, unit: String)
    /// One step done, with a short note (the running loss).
    func advance(_ note: String)
    func finish()
    /// A message on its own line.
    func log(_ message: String)
}

/// Reports nothing (tests, `--quiet`).
package final class SilentProgress: TrainingProgress {
    package init() {}
    package func begin(_ label: String, total: Int, unit: String) {}
    package func advance(_ note: String) {}
    package func finish() {}
    package func log(_ message: String) {}
}
