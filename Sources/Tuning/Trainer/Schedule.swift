import Torch

/// The learning rate stays where it started.
struct ConstantSchedule: LearningRateSchedule {
    func learningRate(at step: Int, initial: Double) -> Double { initial }
}

/// Lets a schedule chosen at run time sit behind `WarmupSchedule`'s generic parameter.
struct AnySchedule: LearningRateSchedule {
    let base: any LearningRateSchedule
    func learningRate(at step: Int, initial: Double) -> Double { base.learningRate(at: step, initial: initial) }
}

extension TuneConfiguration.ScheduleSettings {
    /// The schedule in optimiser steps (the trainer steps it every iteration) for a
    /// run of `total` iterations of `perEpoch` batches each: the warm-up takes the
    /// first `warmup_epochs`, the main schedule the rest.
    func make(totalIterations total: Int, batchesPerEpoch perEpoch: Int) -> any LearningRateSchedule {
        let warmup = Swift.min(Int((warmupEpochs * Double(perEpoch)).rounded()), Swift.max(total - 1, 0))
        let main: any LearningRateSchedule
        switch name {
        case "step":
            main = StepSchedule(stepSize: Swift.max(1, Int(((stepEpochs ?? 1) * Double(perEpoch)).rounded())), gamma: gamma)
        case "constant":
            main = ConstantSchedule()
        default:
            main = CosineSchedule(period: Swift.max(1, total - warmup), minimum: minLr)
        }
        guard warmup > 0 else { return main }
        return WarmupSchedule(warmup: LinearWarmup(steps: warmup), then: AnySchedule(base: main))
    }
}
