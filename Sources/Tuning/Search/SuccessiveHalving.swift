import Foundation

/// A trial of a successive-halving search: configuration `configuration` (an index
/// into the search's list) trained for rung `rung`'s epochs.
package struct TrialKey: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    package var configuration: Int
    package var rung: Int

    package init(configuration: Int, rung: Int) {
        self.configuration = configuration
        self.rung = rung
    }

    package static func < (a: TrialKey, b: TrialKey) -> Bool {
        (a.rung, a.configuration) < (b.rung, b.configuration)
    }

    /// "c03-r1": the trial's directory name.
    package var description: String { String(format: "c%02d-r%d", configuration, rung) }
}

/// Successive halving (Jamieson & Talwalkar 2016; the synchronous form of
/// Hyperband's inner loop) over `count` configurations: every configuration trains
/// for the first rung's epochs; the best 1/eta by validation accuracy train again,
/// from scratch, for eta times as many epochs; and so on up to `maxEpochs`. The
/// winner is the best configuration of the highest rung that has a result.
///
/// Pure: the schedule is a function of the counts, and each decision a function of
/// the validation results so far (and of the time budget), so it is tested without
/// training anything. A failed trial is recorded as nil and never promoted.
package struct SuccessiveHalving: Sendable, Equatable {
    package let count: Int
    package let eta: Int
    /// Epochs of each rung, increasing; the last is `maxEpochs`.
    package let rungEpochs: [Int]
    /// Configurations trained at each rung (the first is `count`).
    package let rungSizes: [Int]

    /// `count` >= 1 configurations, `eta` >= 2, 1 <= `minEpochs` <= `maxEpochs`. The
    /// rungs stop when one configuration is left or when a lower rung would train
    /// for fewer than `minEpochs` (a rung that short ranks configurations by noise).
    package init(count: Int, eta: Int = 3, minEpochs: Int = 2, maxEpochs: Int) {
        precondition(count >= 1 && eta >= 2 && minEpochs >= 1 && maxEpochs >= minEpochs)
        self.count = count
        self.eta = eta
        var sizes = [count]
        while sizes.last! > 1 { sizes.append(Swift.max(1, sizes.last! / eta)) }
        // Rungs the epochs allow: maxEpochs / eta^(R-1) >= minEpochs.
        var allowed = 1
        var epochs = maxEpochs
        while epochs / eta >= minEpochs { epochs /= eta; allowed += 1 }
        let rungs = Swift.min(sizes.count, allowed)
        rungSizes = Array(sizes.prefix(rungs))
        var power = 1
        var out = [Int]()
        for _ in 0..<rungs { out.insert(maxEpochs / power, at: 0); power *= eta }
        rungEpochs = out
    }

    /// Every trial the schedule would run if nothing failed, in order.
    package var plannedTrials: Int { rungSizes.reduce(0, +) }

    /// Epochs of training the whole schedule costs (for the estimate of its time).
    package var plannedEpochs: Int { zip(rungSizes, rungEpochs).map { $0 * $1 }.reduce(0, +) }

    /// The configurations of `rung`, in index order; nil while the rung below has
    /// trials without a result (its survivors are not known yet). Rung r + 1 takes the
    /// best `rungSizes[r + 1]` of rung r by validation accuracy (ties: the lower index).
    package func members(of rung: Int, results: [TrialKey: Double?]) -> [Int]? {
        guard rung < rungSizes.count else { return nil }
        if rung == 0 { return Array(0..<count) }
        guard let below = members(of: rung - 1, results: results) else { return nil }
        var scored = [(Int, Double)]()
        for c in below {
            guard let result = results[TrialKey(configuration: c, rung: rung - 1)] else { return nil }
            if let accuracy = result, accuracy.isFinite { scored.append((c, accuracy)) }
        }
        scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return scored.prefix(rungSizes[rung]).map(\.0).sorted()
    }

    /// What to do next.
    package enum Decision: Sendable, Equatable {
        case run(TrialKey)
        /// Every trial of the schedule has a result.
        case finished
        /// The next trial's estimated time does not fit in what is left of the budget.
        case outOfBudget(next: TrialKey)
    }

    /// The first trial without a result, rung by rung; with a budget, only when its
    /// estimated seconds fit in `budget - elapsed` (the very first trial always runs,
    /// so a search always has a model). `estimate` gives nil when nothing is known yet
    /// (such a trial is run).
    package func next(
        results: [TrialKey: Double?], elapsed: Double = 0, budget: Double? = nil,
        estimate: (TrialKey) -> Double? = { _ in nil }
    ) -> Decision {
        for rung in rungSizes.indices {
            guard let members = members(of: rung, results: results) else { break }
            for c in members {
                let key = TrialKey(configuration: c, rung: rung)
                if results[key] != nil { continue }
                if let budget, !results.isEmpty, let seconds = estimate(key), elapsed + seconds > budget {
                    return .outOfBudget(next: key)
                }
                return .run(key)
            }
        }
        return .finished
    }

    /// The best trial of the highest rung with a (finite) result; ties go to the lower
    /// configuration index. Nil when no trial has succeeded.
    package func winner(results: [TrialKey: Double?]) -> TrialKey? {
        for rung in rungSizes.indices.reversed() {
            let scored = results.compactMap { key, value -> (TrialKey, Double)? in
                guard key.rung == rung, let value, value.isFinite else { return nil }
                return (key, value)
            }
            if let best = scored.min(by: { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.configuration < $1.0.configuration }) { return best.0 }
        }
        return nil
    }

    /// Trials still to run (for the ETA): those of the rungs from `rung` on, at their
    /// planned sizes, less the ones that have a result.
    package func remainingTrials(results: [TrialKey: Double?]) -> [(rung: Int, count: Int)] {
        rungSizes.indices.map { r in
            (r, Swift.max(0, rungSizes[r] - results.keys.filter { $0.rung == r }.count))
        }
    }
}
