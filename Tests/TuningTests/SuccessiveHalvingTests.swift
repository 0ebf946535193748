import Foundation
import Testing

@testable import Tuning

/// `auto`'s search, without training anything: the schedule, promotion by
/// validation accuracy, the budget, and the seeded settings.
@Suite("Successive halving and the search space")
struct SuccessiveHalvingTests {
    /// Runs the schedule to its end with `accuracy(configuration, rung)` as each
    /// trial's validation result; returns the trials in the order they ran.
    static func drive(
        _ schedule: SuccessiveHalving, budget: Double? = nil, cost: (TrialKey) -> Double = { _ in 1 },
        accuracy: (TrialKey) -> Double?
    ) -> (order: [TrialKey], results: [TrialKey: Double?], elapsed: Double, decision: SuccessiveHalving.Decision) {
        var results = [TrialKey: Double?]()
        var order = [TrialKey]()
        var elapsed = 0.0
        while true {
            let decision = schedule.next(results: results, elapsed: elapsed, budget: budget, estimate: { cost($0) })
            guard case .run(let key) = decision else { return (order, results, elapsed, decision) }
            #expect(results[key] == nil, "trial \(key) ran twice")
            order.append(key)
            results[key] = accuracy(key)
            elapsed += cost(key)
        }
    }

    @Test("rungs: sizes divide by eta, epochs multiply by eta up to the maximum, limited by the minimum epochs")
    func schedule() {
        let s = SuccessiveHalving(count: 12, eta: 3, minEpochs: 2, maxEpochs: 20)
        #expect(s.rungSizes == [12, 4, 1] && s.rungEpochs == [2, 6, 20])
        #expect(s.plannedTrials == 17 && s.plannedEpochs == 12 * 2 + 4 * 6 + 20)
        // Too few epochs for three rungs: two, the last keeping more than one.
        let short = SuccessiveHalving(count: 12, eta: 3, minEpochs: 4, maxEpochs: 12)
        #expect(short.rungSizes == [12, 4] && short.rungEpochs == [4, 12])
        let one = SuccessiveHalving(count: 1, eta: 2, minEpochs: 1, maxEpochs: 8)
        #expect(one.rungSizes == [1] && one.rungEpochs == [8])
    }

    @Test("the best configurations on validation go on at each rung, and the winner is the best of the last")
    func keepsTheBest() {
        // Configuration quality in a scrambled order; longer training adds a little.
        let quality = [0.31, 0.72, 0.55, 0.90, 0.12, 0.64, 0.47, 0.83, 0.29, 0.76, 0.58, 0.05]
        let s = SuccessiveHalving(count: 12, eta: 3, minEpochs: 2, maxEpochs: 20)
        let run = Self.drive(s) { quality[$0.configuration] + 0.01 * Double($0.rung) }
        #expect(run.decision == .finished)
        #expect(run.order.count == s.plannedTrials)
        // Rung 1 holds the top 4 of rung 0 by validation, rung 2 the top 1 of those.
        #expect(Set(run.order.filter { $0.rung == 1 }.map(\.configuration)) == [3, 7, 9, 1])
        #expect(run.order.filter { $0.rung == 2 }.map(\.configuration) == [3])
        #expect(s.winner(results: run.results) == TrialKey(configuration: 3, rung: 2))
        // Rungs run in order: no trial of a rung before every trial of the rung below.
        #expect(run.order.map(\.rung) == run.order.map(\.rung).sorted())
    }

    @Test("failed trials are never promoted; ties go to the lower index; no success means no winner")
    func failuresAndTies() {
        let s = SuccessiveHalving(count: 4, eta: 2, minEpochs: 1, maxEpochs: 4)
        #expect(s.rungSizes == [4, 2, 1] && s.rungEpochs == [1, 2, 4])
        let run = Self.drive(s) { key in key.configuration == 0 ? nil : 0.5 }
        #expect(!run.order.contains { $0.configuration == 0 && $0.rung > 0 })
        #expect(run.order.filter { $0.rung == 1 }.map(\.configuration) == [1, 2])
        #expect(s.winner(results: run.results) == TrialKey(configuration: 1, rung: 2))
        let failed = Self.drive(s) { _ in nil }
        #expect(failed.order.count == 4 && s.winner(results: failed.results) == nil)
    }

    @Test("a budget is respected: no trial starts whose estimate does not fit; the search stops and still has a winner")
    func budget() {
        let s = SuccessiveHalving(count: 9, eta: 3, minEpochs: 1, maxEpochs: 9)
        #expect(s.rungEpochs == [1, 3, 9] && s.rungSizes == [9, 3, 1])
        let cost: (TrialKey) -> Double = { Double(s.rungEpochs[$0.rung]) * 2 } // 2 s per epoch
        let accuracy: (TrialKey) -> Double? = { Double($0.configuration) / 10 + Double($0.rung) }
        let full = Self.drive(s, cost: cost, accuracy: accuracy)
        #expect(full.elapsed == Double(s.plannedEpochs) * 2)
        for budget in [1.0, 10, 18, 25, 36, 53, 54, 71, 100] {
            let run = Self.drive(s, budget: budget, cost: cost, accuracy: accuracy)
            // The first trial always runs (2 s); after it, never past the budget.
            #expect(run.elapsed <= Swift.max(budget, 2), "budget \(budget): used \(run.elapsed)")
            if budget >= 54 {
                #expect(run.decision == .finished && run.order.count == s.plannedTrials)
            } else {
                guard case .outOfBudget(let next) = run.decision else {
                    Issue.record("budget \(budget): \(run.decision)")
                    continue
                }
                #expect(run.elapsed + cost(next) > budget)
            }
            #expect(s.winner(results: run.results) != nil)
        }
        // With 36 s: all of rung 0 (18 s) and all of rung 1 (18 s): the winner is rung 1's best.
        let mid = Self.drive(s, budget: 36, cost: cost, accuracy: accuracy)
        #expect(s.winner(results: mid.results) == TrialKey(configuration: 8, rung: 1))
    }

    @Test("settings: the defaults first, distinct, seeded, over the learning rate and the method's own options")
    func settings() {
        let a = SearchSpace.sample(method: BTuningMethod.self, baseLearningRate: 0.01, count: 5, seed: 3)
        #expect(a.count == 5 && Set(a).count == 5)
        #expect(a[0] == TrialSettings(learningRate: 0.01, options: ["lambda": 100, "temperature": 0.1]))
        #expect(a == SearchSpace.sample(method: BTuningMethod.self, baseLearningRate: 0.01, count: 5, seed: 3))
        let others = (4..<12).map { SearchSpace.sample(method: BTuningMethod.self, baseLearningRate: 0.01, count: 5, seed: UInt64($0)) }
        #expect(others.contains { $0 != a }, "another seed samples other settings")
        for s in a {
            #expect([0.01 / 3, 0.01, 0.03].contains { abs($0 - s.learningRate) < 1e-15 })
            #expect([100.0, 10, 1].contains(s.options["lambda"]!) && [0.1, 1].contains(s.options["temperature"]!))
        }
        // A method that names no options is searched over the learning rate alone;
        // a count beyond the grid gives the whole grid once.
        let plain = SearchSpace.sample(method: Finetune.self, baseLearningRate: 0.01, count: 10, seed: 0)
        #expect(plain.count == 3 && plain[0].options.isEmpty && Set(plain.map(\.learningRate)).count == 3)
    }

    @Test("each searched option's first value is the method's own default, so the defaults are always tried")
    func searchedDefaults() {
        for method in MethodRegistry.all {
            for dimension in SearchSpace.dimensions(for: method) {
                #expect(!dimension.values.isEmpty && Set(dimension.values).count == dimension.values.count, "\(method.name).\(dimension.option)")
            }
        }
        let btuning = Dictionary(uniqueKeysWithValues: SearchSpace.dimensions(for: BTuningMethod.self).map { ($0.option, $0.values[0]) })
        #expect(btuning == ["lambda": BTuningOptions().lambda, "temperature": BTuningOptions().temperature])
        let multikd = Dictionary(uniqueKeysWithValues: SearchSpace.dimensions(for: MultiKDMethod.self).map { ($0.option, $0.values[0]) })
        #expect(multikd == ["temperature": MultiKDOptions().temperature, "alpha": MultiKDOptions().alpha])
    }
}
