import Foundation

/// A learning rate as a function of the step count (epochs or iterations, as the
/// caller counts them) and the group's initial learning rate. The formulas are
/// PyTorch's closed forms (`_get_closed_form_lr`), so any step can be computed
/// directly, which makes resuming from a checkpoint exact.
public protocol LearningRateSchedule {
    func learningRate(at step: Int, initial: Double) -> Double
}

/// lr = initial · gamma^⌊step / stepSize⌋ (`StepLR`).
public struct StepSchedule: LearningRateSchedule, Sendable {
    public var stepSize: Int
    public var gamma: Double
    public init(stepSize: Int, gamma: Double = 0.1) {
        self.stepSize = Swift.max(1, stepSize)
        self.gamma = gamma
    }
    public func learningRate(at step: Int, initial: Double) -> Double {
        initial * Foundation.pow(gamma, Double(step / stepSize))
    }
}

/// lr = initial · gamma^(milestones passed) (`MultiStepLR`; a milestone counts once reached).
public struct MultiStepSchedule: LearningRateSchedule, Sendable {
    public var milestones: [Int]
    public var gamma: Double
    public init(milestones: [Int], gamma: Double = 0.1) {
        self.milestones = milestones.sorted()
        self.gamma = gamma
    }
    public func learningRate(at step: Int, initial: Double) -> Double {
        initial * Foundation.pow(gamma, Double(milestones.filter { $0 <= step }.count))
    }
}

/// Cosine annealing from the initial rate to `minimum` over `period` steps
/// (`CosineAnnealingLR`, closed form); stays at `minimum` afterwards.
public struct CosineSchedule: LearningRateSchedule, Sendable {
    public var period: Int
    public var minimum: Double
    public init(period: Int, minimum: Double = 0) {
        self.period = Swift.max(1, period)
        self.minimum = minimum
    }
    public func learningRate(at step: Int, initial: Double) -> Double {
        let t = Double(Swift.min(step, period))
        return minimum + (initial - minimum) * (1 + Foundation.cos(Double.pi * t / Double(period))) / 2
    }
}

/// Linear ramp of the factor from `startFactor` to `endFactor` over `steps` steps (`LinearLR`).
public struct LinearWarmup: LearningRateSchedule, Sendable {
    public var steps: Int
    public var startFactor: Double
    public var endFactor: Double
    public init(steps: Int, startFactor: Double = 1.0 / 3.0, endFactor: Double = 1) {
        self.steps = Swift.max(1, steps)
        self.startFactor = startFactor
        self.endFactor = endFactor
    }
    public func learningRate(at step: Int, initial: Double) -> Double {
        let t = Double(Swift.min(step, steps))
        return initial * (startFactor + (endFactor - startFactor) * t / Double(steps))
    }
}

/// `warmup` for its first `warmupSteps` steps, then `main` counted from zero
/// (`SequentialLR` with one milestone): the usual "linear warm-up, then cosine".
public struct WarmupSchedule<Main: LearningRateSchedule>: LearningRateSchedule {
    public var warmup: LinearWarmup
    public var main: Main
    public init(warmup: LinearWarmup, then main: Main) {
        self.warmup = warmup
        self.main = main
    }
    public func learningRate(at step: Int, initial: Double) -> Double {
        step < warmup.steps
            ? warmup.learningRate(at: step, initial: initial)
            : main.learningRate(at: step - warmup.steps, initial: initial)
    }
}

/// Drives an optimiser's learning rates with a schedule, like
/// `torch.optim.lr_scheduler`: creating it applies step 0; each `step()` advances.
/// Every group follows the schedule from its own initial rate, so a backbone at
/// 0.1x the head's rate stays at 0.1x.
public final class LearningRateScheduler {
    public let optimizer: any Optimizer
    public let schedule: any LearningRateSchedule
    /// Steps taken so far; assign it when resuming from a checkpoint.
    public var stepCount: Int {
        didSet { apply() }
    }

    public init(optimizer: any Optimizer, schedule: any LearningRateSchedule, stepCount: Int = 0) {
        self.optimizer = optimizer
        self.schedule = schedule
        self.stepCount = stepCount
        apply()
    }

    public func step() {
        stepCount += 1
    }

    private func apply() {
        for (i, group) in optimizer.groups.enumerated() {
            optimizer.setLearningRate(schedule.learningRate(at: stepCount, initial: group.initialLearningRate), group: i)
        }
    }
}
