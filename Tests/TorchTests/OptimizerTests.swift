import Foundation
import Testing
@testable import Torch

/// A float64 parameter whose gradient is set directly, so updates can be computed by hand.
private func parameter(_ values: [Double]) throws -> Tensor {
    try Tensor(values).requiresGrad(true)
}

private func setGradient(_ p: Tensor, _ g: [Double]) throws {
    try p.setGrad(Tensor(g))
}

extension TorchTests {
    @Suite struct Optimizers {
        @Test func plainSGD() throws {
            let p = try parameter([1, -1])
            let sgd = try SGD([p], options: .init(learningRate: 0.1))
            try setGradient(p, [2, 4])
            try sgd.step()
            expectClose(try p.toArray(of: Double.self), [1 - 0.2, -1 - 0.4])
        }

        @Test func sgdMomentumAndDampening() throws {
            let p = try parameter([1])
            let sgd = try SGD([p], options: .init(learningRate: 0.1, momentum: 0.9, dampening: 0.5))
            try setGradient(p, [2])
            try sgd.step() // b = g = 2 (no dampening on the first step); p = 1 - 0.2
            expectClose(try p.item(), 0.8)
            try sgd.step() // b = 0.9 * 2 + 0.5 * 2 = 2.8; p = 0.8 - 0.28
            expectClose(try p.item(), 0.52)
        }

        @Test func sgdNesterov() throws {
            let p = try parameter([1])
            let sgd = try SGD([p], options: .init(learningRate: 0.1, momentum: 0.9, nesterov: true))
            try setGradient(p, [2])
            try sgd.step() // b = 2; d = 2 + 0.9 * 2 = 3.8; p = 1 - 0.38
            expectClose(try p.item(), 0.62)
            try sgd.step() // b = 0.9 * 2 + 2 = 3.8; d = 2 + 0.9 * 3.8 = 5.42; p = 0.62 - 0.542
            expectClose(try p.item(), 0.078)
            #expect(throws: TorchError.self) { try SGD([p], options: .init(learningRate: 0.1, nesterov: true)) }
        }

        @Test func sgdWeightDecayAndMaximize() throws {
            let p = try parameter([1])
            let sgd = try SGD([p], options: .init(learningRate: 0.1, weightDecay: 0.1))
            try setGradient(p, [2])
            try sgd.step() // d = 2 + 0.1 * 1; p = 1 - 0.21
            expectClose(try p.item(), 0.79)
            let q = try parameter([1])
            let ascent = try SGD([q], options: .init(learningRate: 0.1, maximize: true))
            try setGradient(q, [2])
            try ascent.step()
            expectClose(try q.item(), 1.2)
        }

        @Test func adamFirstTwoSteps() throws {
            let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-8)
            let p = try parameter([1, -2])
            let adam = try Adam([p], options: .init(learningRate: lr, beta1: b1, beta2: b2, eps: eps))
            var expected = [1.0, -2.0]
            var m = [0.0, 0.0], v = [0.0, 0.0]
            let grads = [[2.0, -0.5], [1.0, 3.0]]
            for (t, g) in grads.enumerated() {
                try setGradient(p, g)
                try adam.step()
                let step = Double(t + 1)
                for i in 0..<2 {
                    m[i] = m[i] * b1 + (1 - b1) * g[i]
                    v[i] = v[i] * b2 + (1 - b2) * g[i] * g[i]
                    let denom = v[i].squareRoot() / (1 - Foundation.pow(b2, step)).squareRoot() + eps
                    expected[i] -= lr / (1 - Foundation.pow(b1, step)) * m[i] / denom
                }
                expectClose(try p.toArray(of: Double.self), expected, tolerance: 1e-14)
            }
        }

        @Test func adamL2VersusAdamWDecoupledDecay() throws {
            let (lr, wd) = (0.1, 0.5)
            // Adam adds wd * p to the gradient; on step 1 the update is lr * sign(g').
            let p = try parameter([1])
            let adam = try Adam([p], options: .init(learningRate: lr, weightDecay: wd))
            try setGradient(p, [-0.2]) // g' = -0.2 + 0.5 = 0.3 > 0
            try adam.step()
            expectClose(try p.item(), 1 - lr * 0.3 / (0.3 + 1e-8), tolerance: 1e-14)
            // AdamW shrinks the weight first, then applies the plain Adam step.
            let q = try parameter([1])
            let adamW = try Adam([q], options: .adamW(learningRate: lr, weightDecay: wd))
            try setGradient(q, [-0.2])
            try adamW.step()
            expectClose(try q.item(), 1 * (1 - lr * wd) + lr * 0.2 / (0.2 + 1e-8), tolerance: 1e-14)
        }

        @Test func amsgradKeepsTheMaximumSecondMoment() throws {
            let p = try parameter([0])
            let adam = try Adam([p], options: .init(learningRate: 0.1, amsgrad: true))
            try setGradient(p, [10])
            try adam.step()
            try setGradient(p, [0.001])
            let before = try p.item()
            try adam.step()
            // v̂ = max(v₁, v₂) = v₁, so the denominator stays large and the step small.
            let m2 = 0.9 * 0.1 * 10 + 0.1 * 0.001
            let vmax = 0.001 * 100
            let expected = before - 0.1 / (1 - 0.81) * m2 / (vmax.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
            expectClose(try p.item(), expected, tolerance: 1e-12)
        }

        @Test func parametersWithoutGradientsAreSkipped() throws {
            let p = try parameter([1])
            let q = try parameter([1])
            let adam = try Adam([p, q], options: .init(learningRate: 0.1))
            try setGradient(p, [1])
            try adam.step()
            #expect(try q.item() == 1)
            #expect(try adam.state().stepCounts == [[1, 0]])
        }

        @Test func parameterGroupsForFineTuning() throws {
            let backbone = try parameter([1])
            let head = try parameter([1])
            let sgd = try SGD(
                [
                    ParameterGroup([backbone], name: "backbone", learningRate: 0.01),
                    ParameterGroup([head], name: "head"),
                ],
                options: .init(learningRate: 0.1))
            #expect(sgd.learningRates == [0.01, 0.1])
            try setGradient(backbone, [1])
            try setGradient(head, [1])
            try sgd.step()
            expectClose(try backbone.item(), 0.99)
            expectClose(try head.item(), 0.9)
            // Group-specific weight decay.
            let p = try parameter([1])
            let decayed = try SGD([ParameterGroup([p], weightDecay: 1)], options: .init(learningRate: 0.1))
            try setGradient(p, [0])
            try decayed.step()
            expectClose(try p.item(), 0.9)
            try sgd.zeroGrad()
            #expect(backbone.grad == nil && head.grad == nil)
        }

        @Test(arguments: ["SGD", "Adam", "AdamW"])
        func stateSaveAndRestoreContinuesExactly(kind: String) throws {
            func makeOptimizer(_ params: [Tensor]) throws -> any Optimizer {
                let groups = [ParameterGroup([params[0]], learningRate: 0.01), ParameterGroup([params[1]])]
                switch kind {
                case "SGD": return try SGD(groups, options: .init(learningRate: 0.1, momentum: 0.9, nesterov: true))
                case "Adam": return try Adam(groups, options: .init(learningRate: 0.1, amsgrad: true))
                default: return try Adam(groups, options: .adamW(learningRate: 0.1))
                }
            }
            let gradients: [[[Double]]] = [[[1, 2], [3]], [[-1, 0.5], [2]], [[0.3, 0.3], [-1]], [[2, -2], [0.1]], [[1, 1], [1]]]
            let params = [try parameter([0.5, -0.5]), try parameter([2])]
            let optimizer = try makeOptimizer(params)
            let scheduler = LearningRateScheduler(optimizer: optimizer, schedule: StepSchedule(stepSize: 2, gamma: 0.5))
            func train(_ steps: ArraySlice<[[Double]]>, _ params: [Tensor], _ opt: any Optimizer, _ sched: LearningRateScheduler) throws {
                for g in steps {
                    for (p, v) in zip(params, g) { try setGradient(p, v) }
                    try opt.step()
                    sched.step()
                }
            }
            try train(gradients[0..<3], params, optimizer, scheduler)
            let snapshot = try params.map { try $0.toArray(of: Double.self) }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("optim-\(kind)-\(UUID().uuidString).pt").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try optimizer.state().save(to: path)
            let savedStep = scheduler.stepCount
            let savedRates = optimizer.learningRates
            try train(gradients[3...], params, optimizer, scheduler)
            let reference = try params.map { try $0.toArray(of: Double.self) }

            let restoredParams = try snapshot.map { try parameter($0) }
            let restored = try makeOptimizer(restoredParams)
            try restored.load(OptimizerState.load(from: path))
            let restoredScheduler = LearningRateScheduler(
                optimizer: restored, schedule: StepSchedule(stepSize: 2, gamma: 0.5),
                stepCount: savedStep)
            #expect(restored.learningRates == savedRates)
            try train(gradients[3...], restoredParams, restored, restoredScheduler)
            #expect(try restoredParams.map { try $0.toArray(of: Double.self) } == reference)
        }

        @Test func loadingAMismatchedStateFails() throws {
            let p = try parameter([1, 2])
            let adam = try Adam([p])
            try setGradient(p, [1, 1])
            try adam.step()
            let state = try adam.state()
            let other = try Adam([try parameter([1, 2, 3])])
            #expect(throws: TorchError.self) { try other.load(state) }
            let sgd = try SGD([try parameter([1, 2])], options: .init(learningRate: 0.1))
            #expect(throws: TorchError.self) { try sgd.load(state) }
            #expect(throws: TorchError.self) { try OptimizerState.load(from: "/nonexistent/state.pt") }
        }
    }

    @Suite struct Schedules {
        @Test func closedForms() {
            let step = StepSchedule(stepSize: 3, gamma: 0.1)
            expectClose((0..<7).map { step.learningRate(at: $0, initial: 1) }, [1, 1, 1, 0.1, 0.1, 0.1, 0.01])
            let multi = MultiStepSchedule(milestones: [4, 2], gamma: 0.5)
            expectClose((0..<6).map { multi.learningRate(at: $0, initial: 2) }, [2, 2, 1, 1, 0.5, 0.5])
            let cosine = CosineSchedule(period: 4, minimum: 0.1)
            expectClose(cosine.learningRate(at: 0, initial: 1), 1)
            expectClose(cosine.learningRate(at: 2, initial: 1), 0.55)
            expectClose(cosine.learningRate(at: 4, initial: 1), 0.1)
            expectClose(cosine.learningRate(at: 9, initial: 1), 0.1)
            let warm = LinearWarmup(steps: 4, startFactor: 0.2)
            expectClose((0..<6).map { warm.learningRate(at: $0, initial: 1) }, [0.2, 0.4, 0.6, 0.8, 1, 1])
            let combined = WarmupSchedule(warmup: LinearWarmup(steps: 2, startFactor: 0.5), then: CosineSchedule(period: 2))
            expectClose((0..<5).map { combined.learningRate(at: $0, initial: 1) }, [0.5, 0.75, 1, 0.5, 0])
        }

        @Test func schedulerKeepsGroupRatios() throws {
            let sgd = try SGD(
                [ParameterGroup([try parameter([1])], learningRate: 0.01), ParameterGroup([try parameter([1])])],
                options: .init(learningRate: 0.1))
            let scheduler = LearningRateScheduler(optimizer: sgd, schedule: StepSchedule(stepSize: 1, gamma: 0.5))
            expectClose(sgd.learningRates, [0.01, 0.1])
            scheduler.step()
            expectClose(sgd.learningRates, [0.005, 0.05])
            scheduler.stepCount = 3
            expectClose(sgd.learningRates, [0.00125, 0.0125])
        }
    }
}
