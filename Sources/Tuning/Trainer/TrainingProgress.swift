import Support
/// Where the trainer reports progress: a bar with rate and ETA on a terminal,
/// plain lines otherwise. `ProgressReporter` (HubMiner) has exactly these
/// methods; the tuning layer names only the protocol so it does not depend on
/// the ranking workflows.
public protocol TrainingProgress: AnyObject {
    /// Starts a phase of `total` steps (an epoch's batches).
    func begin(_ label: String, total: Int, unit: String)
    /// One step done, with a short note (the running loss).
    func advance(_ note: String)
    func finish()
    /// A message on its own line.
    func log(_ message: String)
}

/// Reports nothing (tests, `--quiet`).
public final class SilentProgress: TrainingProgress {
    public init() {}
    public func begin(_ label: String, total: Int, unit: String) {}
    public func advance(_ note: String) {}
    public func finish() {}
    public func log(_ message: String) {}
}
