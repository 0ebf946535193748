internal import CTorch

/// Adam and AdamW, with `torch.optim.Adam`/`AdamW`'s exact update (PyTorch 1.13):
///
///     Adam:  g ← grad + weightDecay · p          AdamW: p ← p · (1 − lr · weightDecay)
///     m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²   (v̂ = max(v̂, v) with AMSGrad)
///     p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
public final class Adam: Optimizer {
    public struct Options: Sendable {
        public var learningRate: Double
        public var beta1: Double
        public var beta2: Double
        public var eps: Double
        public var weightDecay: Double
        public var amsgrad: Bool
        public var maximize: Bool
        /// AdamW: decay the weights directly instead of adding to the gradient.
        public var decoupledWeightDecay: Bool

        public init(
            learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
            weightDecay: Double = 0, amsgrad: Bool = false, maximize: Bool = false,
            decoupledWeightDecay: Bool = false
        ) {
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
            self.amsgrad = amsgrad
            self.maximize = maximize
            self.decoupledWeightDecay = decoupledWeightDecay
        }

        /// `torch.optim.AdamW`'s defaults (weight decay 0.01).
        public static func adamW(
            learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
            eps: Double = 1e-8, weightDecay: Double = 1e-2, amsgrad: Bool = false
        ) -> Options {
            Options(
                learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                amsgrad: amsgrad, decoupledWeightDecay: true)
        }
    }

    struct Slot {
        var step = 0
        var expAvg: Tensor?
        var expAvgSq: Tensor?
        var maxExpAvgSq: Tensor?
    }

    public private(set) var groups: [ParameterGroup]
    public let options: Options
    private var slots: [[Slot]]
    private var kind: String { options.decoupledWeightDecay ? "AdamW" : "Adam" }

    public init(_ groups: [ParameterGroup], options: Options = Options()) throws {
        guard options.learningRate >= 0, options.eps >= 0,
            (0..<1).contains(options.beta1), (0..<1).contains(options.beta2)
        else {
            throw TorchError.invalidArgument(operation: "Adam", message: "invalid hyperparameters \(options)")
        }
        self.options = options
        self.groups = groups.map { $0.resolved(learningRate: options.learningRate, weightDecay: options.weightDecay) }
        self.slots = groups.map { [Slot](repeating: Slot(), count: $0.parameters.count) }
    }

    public convenience init(_ parameters: [Tensor], options: Options = Options()) throws {
        try self.init([ParameterGroup(parameters)], options: options)
    }

    public func setLearningRate(_ lr: Double, group index: Int) {
        groups[index].learningRate = lr
    }

    public func step() throws {
        for (gi, group) in groups.enumerated() {
            for (pi, p) in group.parameters.enumerated() {
                guard let grad = p.grad else { continue }
                var slot = slots[gi][pi]
                if slot.step == 0 {
                    slot.expAvg = try Tensor.zeros(like: p)
                    slot.expAvgSq = try Tensor.zeros(like: p)
                    if options.amsgrad { slot.maxExpAvgSq = try Tensor.zeros(like: p) }
                }
                guard let m = slot.expAvg, let v = slot.expAvgSq else { continue }
                let step = slot.step + 1
                try withExtendedLifetime(slot.maxExpAvgSq) {
                    try withHandles([p, grad, m, v]) { h in
                        try check(
                            "\(kind).step",
                            ht_optim_adam_update(
                                h[0], h[1], h[2], h[3], slot.maxExpAvgSq?.handle, Int64(step), group.learningRate,
                                options.beta1, options.beta2, options.eps, group.weightDecay, options.amsgrad ? 1 : 0,
                                options.decoupledWeightDecay ? 1 : 0, options.maximize ? 1 : 0))
                    }
                }
                slot.step = step
                slots[gi][pi] = slot
            }
        }
    }

    public func state() throws -> OptimizerState {
        var copies = [String: Tensor]()
        for (gi, row) in slots.enumerated() {
            for (pi, slot) in row.enumerated() {
                if let t = slot.expAvg { copies["\(gi).\(pi).exp_avg"] = try t.clone() }
                if let t = slot.expAvgSq { copies["\(gi).\(pi).exp_avg_sq"] = try t.clone() }
                if let t = slot.maxExpAvgSq { copies["\(gi).\(pi).max_exp_avg_sq"] = try t.clone() }
            }
        }
        return OptimizerState(
            kind: kind, learningRates: groups.map(\.learningRate),
            initialLearningRates: groups.map(\.initialLearningRate),
            stepCounts: slots.map { $0.map(\.step) }, buffers: copies)
    }

    public func load(_ state: OptimizerState) throws {
        try validate(state, kind: kind)
        var restored = slots
        for (gi, group) in groups.enumerated() {
            for (pi, p) in group.parameters.enumerated() {
                let step = state.stepCounts[gi][pi]
                var slot = Slot(step: step)
                if step > 0 {
                    slot.expAvg = try buffer(state, "\(gi).\(pi).exp_avg", like: p, kind: kind)
                    slot.expAvgSq = try buffer(state, "\(gi).\(pi).exp_avg_sq", like: p, kind: kind)
                    if options.amsgrad {
                        slot.maxExpAvgSq = try buffer(state, "\(gi).\(pi).max_exp_avg_sq", like: p, kind: kind)
                    }
                }
                restored[gi][pi] = slot
            }
        }
        slots = restored
        for gi in groups.indices {
            groups[gi].learningRate = state.learningRates[gi]
            groups[gi].initialLearningRate = state.initialLearningRates[gi]
        }
    }
}
