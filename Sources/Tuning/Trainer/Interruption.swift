import Foundation

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request the trainer polls between
/// steps: it finishes the current step, writes a checkpoint and stops with
/// `TrainingInterrupted`. A second signal ends the process at once (status 130).
///
/// `@unchecked Sendable`: the flag is guarded by `lock`; the dispatch sources are
/// only touched in `install`.
package final class InterruptRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [any DispatchSourceSignal] = []

    package init() {}

    package var isRequested: Bool { lock.withLock { requested } }

    /// Marks the request (what a signal does; tests call it directly).
    package func request() {
        let second = lock.withLock { () -> Bool in
            defer { requested = true }
            return requested
        }
        if second { exit(130) }
    }

    /// Starts listening for SIGINT and SIGTERM (the default action, ending the
    /// process, is replaced until the process exits).
    package func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                FileHandle.standardError.write(
                    Data("\nhubminer: interrupted; finishing the current step and writing a checkpoint (interrupt again to stop at once)\n".utf8))
                self?.request()
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// Training stopped on request after a checkpoint was written.
package struct TrainingInterrupted: Error, CustomStringConvertible, Sendable {
    package var epoch: Int
    package var iteration: Int
    package var checkpoint: String

    package var description: String {
        "interrupted in epoch \(epoch) after iteration \(iteration); checkpoint written to \(checkpoint). "
            + "Resume with the same command and --resume"
    }
}
