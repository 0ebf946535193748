internal import CTorch

extension Tensor {
    /// Whether operations on this tensor are recorded for differentiation.
    public var requiresGrad: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_requires_grad($0, &flag) }
        return flag != 0
    }

    /// Turns recording on or off for this tensor (floating-point leaves only, as in PyTorch).
    @discardableResult
    public func requiresGrad(_ on: Bool) throws -> Tensor {
        try withHandle { try check("requiresGrad", ht_tensor_set_requires_grad($0, on ? 1 : 0)) }
        return self
    }

    /// Whether the tensor was created by the user rather than by a recorded operation.
    public var isLeaf: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_is_leaf($0, &flag) }
        return flag != 0
    }

    /// Whether the tensor was made under libtorch's `InferenceMode`
    /// (`ScriptModule.run(method:_:inferenceMode:)`).
    public var isInference: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_is_inference($0, &flag) }
        return flag != 0
    }

    /// Whether the tensor was made by a recorded operation (it has a `grad_fn`).
    public var hasGradFunction: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_has_grad_fn($0, &flag) }
        return flag != 0
    }

    /// The accumulated gradient (nil before the first `backward()` reaching it).
    /// Shares storage with libtorch's gradient buffer.
    public var grad: Tensor? {
        var out: OpaquePointer? = nil
        guard withHandle({ ht_tensor_grad($0, &out) }) == 0, let out else { return nil }
        return Tensor(handle: out)
    }

    /// Replaces the gradient (nil removes it).
    public func setGrad(_ gradient: Tensor?) throws {
        try withHandle { h in try withOptionalHandle(gradient) { g in try check("setGrad", ht_tensor_set_grad(h, g)) } }
    }

    /// Clears the gradient: removes it (`setToNone`, PyTorch 2's default) or
    /// fills it with zeros in place.
    public func zeroGrad(setToNone: Bool = true) throws {
        if setToNone {
            try setGrad(nil)
        } else if let g = grad {
            try g.zero_()
        }
    }

    /// Computes gradients of this tensor with respect to every leaf that requires
    /// them, adding into their `grad` (gradients accumulate across calls until
    /// cleared). `gradient` is required unless the tensor has one element.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        try withHandle { h in
            try withOptionalHandle(gradient) { g in try check("backward", ht_tensor_backward(h, g, retainGraph ? 1 : 0)) }
        }
    }

    /// The same data, cut off from the graph (shares storage).
    public func detach() throws -> Tensor {
        try derive("detach") { ht_tensor_detach($0, $1) }
    }
}

/// Gradient-recording mode.
///
/// libtorch keeps this mode per thread. The scopes below are synchronous closures,
/// so the body runs on the thread that set the mode; do not `await` inside them
/// (a task could resume on a thread where recording is still on).
public enum Autograd {
    /// Whether operations on the current thread are being recorded.
    public static var isEnabled: Bool {
        var flag: Int32 = 1
        _ = ht_runtime_grad_enabled(&flag)
        return flag != 0
    }

    /// Runs `body` without recording operations (inference, optimiser updates,
    /// evaluation), restoring the previous mode afterwards, even on throw.
    @discardableResult
    public static func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
        try withGradEnabled(false, body)
    }

    /// Runs `body` with recording set to `enabled`, restoring the previous mode.
    @discardableResult
    public static func withGradEnabled<R>(_ enabled: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = isEnabled
        _ = ht_runtime_set_grad_enabled(enabled ? 1 : 0)
        defer { _ = ht_runtime_set_grad_enabled(previous ? 1 : 0) }
        return try body()
    }
}

/// Shorthand for `Autograd.withNoGrad`.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try Autograd.withNoGrad(body)
}
