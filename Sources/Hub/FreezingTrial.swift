import Foundation

/// How far a TorchScript model's frozen copies go.
package enum Freezing: String, Sendable, CaseIterable {
    /// `torch.jit.freeze`: parameters inlined as constants, convolution and batch norm
    /// folded; the operators stay libtorch's own.
    case frozen
    /// Freezing, then `torch.jit.optimize_for_inference`: convolutions moved to
    /// MKLDNN's prepacked kernels (and its own layout between them), more fusions.
    case optimized

    package var summary: String {
        switch self {
        case .frozen: return "frozen"
        case .optimized: return "frozen and optimised for inference"
        }
    }
}

/// Chooses between the two freezings by timing them on the pass's own batches, not
/// assumed: `optimize_for_inference` makes most convolutional networks much faster
/// (mobilenet_v2 1.8x, mnasnet0_5 2.5x over freezing alone, 2 threads) but some slower
/// (efficientnet_b0 1.21x slower: MKLDNN convolutions wrapped in layout conversions
/// around the SiLU and squeeze-excitation operators it does not handle;
/// benchmarks/rank-hub/RESULTS.md).
///
/// The batches alternate between the candidates: first one unseen call each (a
/// TorchScript executor profiles and re-optimises at a new input shape, so a first
/// call says little), then `timedRounds` timed calls each. Every call's outputs are
/// kept, since both freezings give the module's features to float32 rounding (each
/// copy is checked against the module before the trial), so the trial costs only
/// the slower candidate's extra time on its few batches, not extra passes. Only calls
/// with the first call's row count take part (a last, smaller batch runs on whatever
/// copy is current). The faster candidate by total timed seconds wins; ties keep the
/// first.
package struct FreezingTrial: Sendable, Equatable {
    package let candidates: [Freezing]
    package let timedRounds: Int
    package private(set) var rows: Int?
    package private(set) var calls = 0
    package private(set) var seconds: [Double]

    package init(candidates: [Freezing] = [.optimized, .frozen], timedRounds: Int = 1) {
        precondition(candidates.count >= 2 && timedRounds >= 1)
        self.candidates = candidates
        self.timedRounds = timedRounds
        self.seconds = Array(repeating: 0, count: candidates.count)
    }

    /// Calls the trial takes: one unseen and `timedRounds` timed per candidate.
    package var length: Int { candidates.count * (1 + timedRounds) }

    /// The candidate to run a batch of `rows` rows on, or nil when this batch does not
    /// take part (another row count) or the trial is over.
    package mutating func candidate(rows: Int) -> Freezing? {
        guard calls < length else { return nil }
        if self.rows == nil { self.rows = rows }
        guard rows == self.rows else { return nil }
        return candidates[calls % candidates.count]
    }

    /// Records the seconds of the call `candidate(rows:)` just handed out.
    package mutating func record(seconds s: Double) {
        guard calls < length else { return }
        if calls >= candidates.count { seconds[calls % candidates.count] += s }
        calls += 1
    }

    /// The winner once every call has been recorded, else nil.
    package var decision: Freezing? {
        guard calls >= length else { return nil }
        var best = 0
        for i in seconds.indices.dropFirst() where seconds[i] < seconds[best] { best = i }
        return candidates[best]
    }

    /// One line for the run log: the winner and the timings behind it.
    package var summary: String? {
        guard let winner = decision, let rows else { return nil }
        let timings = zip(candidates, seconds).map { c, s in String(format: "%@ %.2f s", c.rawValue, s) }
        return "\(winner.summary) (timed on \(timedRounds) x \(rows) samples each: \(timings.joined(separator: ", ")))"
    }
}
