internal import CTorch

/// An n-dimensional array backed by a libtorch tensor, with automatic differentiation.
///
/// `Tensor` is a reference to a libtorch tensor: several `Tensor` objects (and the
/// module or optimiser that produced them) may share one storage, as in PyTorch.
/// Views (`reshape`, slicing, `transpose`, ...) share storage with their base;
/// in-place methods end with an underscore (`add_`, `fill_`).
///
/// Memory: each `Tensor` owns one handle to the shim and frees it in `deinit`, so
/// memory is released as soon as the last Swift reference goes away (no garbage
/// collector, no autorelease pool).
///
/// Not `Sendable`: a tensor may share storage with others and libtorch does not
/// synchronise writes. Move data between tasks as arrays or `Matrix` values.
public final class Tensor {
    /// The shim handle. Internal: C types never leave this module.
    let handle: OpaquePointer

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        ht_tensor_free(handle)
    }

    // MARK: Ownership discipline
    //
    // Swift may end an object's lifetime after its last use, which can be *before* a
    // C call that received its raw handle returns. Every call into the shim that
    // passes a handle therefore goes through `withHandle` (or the helpers below),
    // which wraps the call in `withExtendedLifetime`, so `deinit` cannot free the
    // handle while libtorch is using it.

    /// Runs `body` with this tensor's handle, keeping the tensor alive meanwhile.
    /// `package`: the `Distributed` target passes tensors to the shim's collectives.
    @inline(__always)
    package func withHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    /// Wraps the new handle a shim call wrote into its out-parameter.
    @inline(__always)
    package static func make(
        _ operation: @autoclosure () -> String,
        _ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    ) throws -> Tensor {
        var out: OpaquePointer? = nil
        try check(operation(), body(&out))
        guard let out else {
            throw TorchError.libtorch(operation: operation(), message: "libtorch returned no tensor")
        }
        return Tensor(handle: out)
    }

    /// A unary operation: `self` in, one new tensor out.
    @inline(__always)
    func derive(
        _ operation: @autoclosure () -> String,
        _ body: (OpaquePointer, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    ) throws -> Tensor {
        try withHandle { h in try Tensor.make(operation()) { body(h, $0) } }
    }

    // MARK: Properties

    /// The number of dimensions.
    public var rank: Int {
        var n: Int64 = 0
        _ = withHandle { ht_tensor_dim($0, &n) }
        return Int(n)
    }

    /// The size of every dimension.
    public var shape: [Int] {
        withHandle { h in
            var n: Int64 = 0
            guard ht_tensor_dim(h, &n) == 0, n > 0 else { return [] }
            var sizes = [Int64](repeating: 0, count: Int(n))
            _ = ht_tensor_sizes(h, &sizes, n)
            return sizes.map { Int($0) }
        }
    }

    /// Element strides of every dimension.
    public var strides: [Int] {
        withHandle { h in
            var n: Int64 = 0
            guard ht_tensor_dim(h, &n) == 0, n > 0 else { return [] }
            var values = [Int64](repeating: 0, count: Int(n))
            _ = ht_tensor_strides(h, &values, n)
            return values.map { Int($0) }
        }
    }

    /// The number of elements.
    public var count: Int {
        var n: Int64 = 0
        _ = withHandle { ht_tensor_numel($0, &n) }
        return Int(n)
    }

    /// The element type.
    public var dtype: DType {
        var code: Int32 = 0
        guard withHandle({ ht_tensor_dtype($0, &code) }) == 0, let type = DType(code: code) else {
            // Only tensors produced outside this API (a loaded module holding, say,
            // complex numbers) can have other types; they read as float32 here and
            // fail with libtorch's message when used in a typed way.
            return .float32
        }
        return type
    }

    public var isContiguous: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_is_contiguous($0, &flag) }
        return flag != 0
    }

    // MARK: Reading values

    /// The single value of a one-element tensor, as a Double.
    public func item() throws -> Double {
        var value = 0.0
        try withHandle { try check("item", ht_tensor_item_double($0, &value)) }
        return value
    }

    /// The single value of a one-element tensor, as an integer.
    public func itemInt() throws -> Int {
        var value: Int64 = 0
        try withHandle { try check("itemInt", ht_tensor_item_int64($0, &value)) }
        return Int(value)
    }

    /// All elements in row-major order, converted to `T`.
    public func toArray<T: TensorElement>(of type: T.Type = T.self) throws -> [T] {
        let n = count
        return try [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            try withHandle { h in
                try check("toArray(\(T.self))", ht_tensor_copy_out(h, T.dtype.code, buffer.baseAddress, Int64(n)))
            }
            initialized = n
        }
    }

    /// Calls `body` with the tensor's own memory, without copying.
    ///
    /// Only valid for a contiguous tensor of exactly `T`'s dtype; the buffer must not
    /// escape `body`. Use `contiguous()` or `to(_:)` first when needed.
    public func withUnsafeBufferPointer<T: TensorElement, R>(
        of type: T.Type = T.self, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) throws -> R {
        guard dtype == T.dtype else {
            throw TorchError.dtypeMismatch(operation: "withUnsafeBufferPointer", expected: T.dtype, actual: dtype)
        }
        let n = count
        return try withHandle { h in
            var raw: UnsafeMutableRawPointer? = nil
            try check("withUnsafeBufferPointer", ht_tensor_data_ptr(h, &raw))
            let typed =
                raw.map { UnsafeBufferPointer(start: $0.assumingMemoryBound(to: T.self), count: n) }
                ?? UnsafeBufferPointer(start: nil, count: 0)
            return try body(typed)
        }
    }

    /// Mutable zero-copy access; writes are seen by every view of this storage.
    /// Runs outside autograd: do not use it on tensors that need gradients.
    public func withUnsafeMutableBufferPointer<T: TensorElement, R>(
        of type: T.Type = T.self, _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) throws -> R {
        guard dtype == T.dtype else {
            throw TorchError.dtypeMismatch(operation: "withUnsafeMutableBufferPointer", expected: T.dtype, actual: dtype)
        }
        let n = count
        return try withHandle { h in
            var raw: UnsafeMutableRawPointer? = nil
            try check("withUnsafeMutableBufferPointer", ht_tensor_data_ptr(h, &raw))
            let typed =
                raw.map { UnsafeMutableBufferPointer(start: $0.assumingMemoryBound(to: T.self), count: n) }
                ?? UnsafeMutableBufferPointer(start: nil, count: 0)
            return try body(typed)
        }
    }

    // MARK: Conversion and copies

    /// A copy converted to `dtype` (or `self` when it already has it, as in PyTorch).
    public func to(_ dtype: DType) throws -> Tensor {
        try derive("to(\(dtype))") { ht_tensor_to_dtype($0, dtype.code, $1) }
    }

    public func contiguous() throws -> Tensor {
        try derive("contiguous") { ht_tensor_contiguous($0, $1) }
    }

    /// The same values laid out in `format` (`self` when they already are);
    /// channels-last needs rank 4.
    public func contiguous(_ format: MemoryFormat) throws -> Tensor {
        try derive("contiguous(\(format))") { ht_tensor_to_memory_format($0, format.code, $1) }
    }

    /// Whether the values are laid out densely in `format`.
    public func isContiguous(_ format: MemoryFormat) -> Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_tensor_is_contiguous_format($0, format.code, &flag) }
        return flag != 0
    }

    /// A copy with its own storage (recorded by autograd).
    public func clone() throws -> Tensor {
        try derive("clone") { ht_tensor_clone($0, $1) }
    }

    /// Another reference to the same tensor (same storage, same autograd identity).
    func shared() throws -> Tensor {
        try derive("share") { ht_tensor_share($0, $1) }
    }

    /// Whether both tensors have the same shape and exactly equal elements.
    public func equals(_ other: Tensor) throws -> Bool {
        var flag: Int32 = 0
        try withHandle { a in try other.withHandle { b in try check("equals", ht_tensor_equal(a, b, &flag)) } }
        return flag != 0
    }

    /// `torch.allclose`: |self - other| <= atol + rtol * |other| everywhere.
    public func isClose(to other: Tensor, rtol: Double = 1e-5, atol: Double = 1e-8) throws -> Bool {
        var flag: Int32 = 0
        try withHandle { a in
            try other.withHandle { b in try check("isClose", ht_tensor_allclose(a, b, rtol, atol, &flag)) }
        }
        return flag != 0
    }
}

extension Tensor: CustomStringConvertible {
    /// libtorch's printout (values, then the type and shape).
    public var description: String {
        (try? withHandle { h in try stringResult("description") { ht_tensor_to_string(h, $0) } })
            ?? "Tensor(\(shape), \(dtype))"
    }
}

/// Runs `body` with the handles of `tensors`, keeping them alive meanwhile.
package func withHandles<R>(_ tensors: [Tensor], _ body: ([OpaquePointer?]) throws -> R) rethrows -> R {
    try withExtendedLifetime(tensors) { try body(tensors.map { $0.handle }) }
}

/// Runs `body` with the handle of `tensor`, or nil, keeping it alive meanwhile.
func withOptionalHandle<R>(_ tensor: Tensor?, _ body: (OpaquePointer?) throws -> R) rethrows -> R {
    guard let tensor else { return try body(nil) }
    return try tensor.withHandle { try body($0) }
}
