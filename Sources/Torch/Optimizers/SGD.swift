internal import CTorch

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight
/// decay, with `torch.optim.SGD`'s exact update:
///
///     g ← grad (+ weightDecay · p)
///     b ← g on the first step, else momentum · b + (1 − dampening) · g
///     g ← g + momentum · b (Nesterov) or b
///     p ← p − lr · g
public final class SGD: Optimizer {
    public struct Options: Sendable {
        public var learningRate: Double
        public var momentum: Double
        public var dampening: Double
        public var weightDecay: Double
        public var nesterov: Bool
        public var maximize: Bool

        public init(
            learningRate: Double, momentum: Double = 0, dampening: Double = 0, weightDecay: Double = 0,
            nesterov: Bool = false, maximize: Bool = false
        ) {
            self.learningRate = learningRate
            self.momentum = momentum
            self.dampening = dampening
            self.weightDecay = weightDecay
            self.nesterov = nesterov
            self.maximize = maximize
        }
    }

    public private(set) var groups: [ParameterGroup]
    public let options: Options
    /// Momentum buffers, per group and parameter (nil until the first step).
    private var buffers: [[Tensor?]]

    public init(_ groups: [ParameterGroup], options: Options) throws {
        guard options.learningRate >= 0 else {
            throw TorchError.invalidArgument(operation: "SGD", message: "invalid learning rate \(options.learningRate)")
        }
        guard !options.nesterov || (options.momentum > 0 && options.dampening == 0) else {
            throw TorchError.invalidArgument(operation: "SGD", message: "Nesterov momentum requires a momentum and zero dampening")
        }
        self.options = options
        self.groups = groups.map { $0.resolved(learningRate: options.learningRate, weightDecay: options.weightDecay) }
        self.buffers = groups.map { [Tensor?](repeating: nil, count: $0.parameters.count) }
    }

    public convenience init(_ parameters: [Tensor], options: Options) throws {
        try self.init([ParameterGroup(parameters)], options: options)
    }

    public func setLearningRate(_ lr: Double, group index: Int) {
        groups[index].learningRate = lr
    }

    public func step() throws {
        for (gi, group) in groups.enumerated() {
            for (pi, p) in group.parameters.enumerated() {
                guard let grad = p.grad else { continue }
                let existing = buffers[gi][pi]
                var buffer: OpaquePointer? = existing?.handle
                try withExtendedLifetime(existing) {
                    try p.withHandle { ph in
                        try grad.withHandle { gh in
                            try check(
                                "SGD.step",
                                ht_optim_sgd_update(
                                    ph, gh, &buffer, group.learningRate, options.momentum, options.dampening,
                                    group.weightDecay, options.nesterov ? 1 : 0, options.maximize ? 1 : 0))
                        }
                    }
                }
                if existing == nil, let buffer { buffers[gi][pi] = Tensor(handle: buffer) }
            }
        }
    }

    public func state() throws -> OptimizerState {
        var copies = [String: Tensor]()
        for (gi, row) in buffers.enumerated() {
            for (pi, b) in row.enumerated() {
                if let b { copies["\(gi).\(pi).momentum_buffer"] = try b.clone() }
            }
        }
        return OptimizerState(
            kind: "SGD", learningRates: groups.map(\.learningRate),
            initialLearningRates: groups.map(\.initialLearningRate),
            stepCounts: buffers.map { $0.map { $0 == nil ? 0 : 1 } }, buffers: copies)
    }

    public func load(_ state: OptimizerState) throws {
        try validate(state, kind: "SGD")
        var restored = buffers
        for (gi, group) in groups.enumerated() {
            for (pi, p) in group.parameters.enumerated() {
                let key = "\(gi).\(pi).momentum_buffer"
                restored[gi][pi] = state.buffers[key] == nil ? nil : try buffer(state, key, like: p, kind: "SGD")
            }
        }
        buffers = restored
        for gi in groups.indices {
            groups[gi].learningRate = state.learningRates[gi]
            groups[gi].initialLearningRate = state.initialLearningRates[gi]
        }
    }
}
