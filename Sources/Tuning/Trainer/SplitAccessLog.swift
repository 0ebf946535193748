import Data
import Foundation

/// A record of which samples of which split a run read, in order, with the moments
/// a choice was made: what a test needs to prove that the test split is read once,
/// after selection. Runs are given one only by tests (and by `auto` when asked);
/// nothing in a run depends on it.
///
/// Thread-safe: the data loader's workers read samples concurrently.
package final class SplitAccessLog: @unchecked Sendable {
    package enum Event: Sendable, Equatable {
        /// Sample `index` of `split` ("train", "validation", "test") was read.
        case read(split: String, index: Int)
        /// A choice was made on validation (an epoch, a trial, the winner), named.
        case selected(String)
    }

    private let lock = NSLock()
    private var recorded: [Event] = []

    package init() {}

    package func record(_ event: Event) {
        lock.lock()
        recorded.append(event)
        lock.unlock()
    }

    package var events: [Event] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// Indices read from `split`, in the order read.
    package func reads(of split: String) -> [Int] {
        events.compactMap {
            if case .read(let s, let i) = $0, s == split { return i }
            return nil
        }
    }

    /// Wraps `dataset` so its reads are recorded as `split`'s.
    package func recording(_ dataset: any Dataset, as split: String) -> any Dataset {
        RecordedDataset(base: dataset, split: split, log: self)
    }
}

/// A dataset whose sample reads go to a `SplitAccessLog`; everything else is its base's.
struct RecordedDataset: Dataset {
    let base: any Dataset
    let split: String
    let log: SplitAccessLog

    var count: Int { base.count }
    var classNames: [String] { base.classNames }
    var kind: SampleKind { base.kind }
    var fingerprint: String { base.fingerprint }

    func sample(at index: Int) throws -> Sample {
        log.record(.read(split: split, index: index))
        return try base.sample(at: index)
    }

    // Labels are read for stratified splits without decoding a sample; they count
    // as reads too (a label is part of the split).
    func label(at index: Int) throws -> Int? {
        log.record(.read(split: split, index: index))
        return try base.label(at: index)
    }
}
