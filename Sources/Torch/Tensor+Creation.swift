internal import CTorch
import Linalg

/// Keeps a Swift array alive while libtorch uses its buffer (zero-copy tensors).
private final class ArrayOwner<T> {
    var array: [T]
    init(_ array: [T]) { self.array = array }
}

/// Releases the owner passed as `from_blob`'s deleter context. libtorch may call
/// it on any thread; releasing a Swift object is thread-safe.
private let releaseOwner: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    guard let context else { return }
    Unmanaged<AnyObject>.fromOpaque(context).release()
}

/// Runs the caller's deallocation closure when libtorch releases borrowed memory.
private final class Deallocator {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
    deinit { run() }
}

private func checkedShape(_ operation: String, _ shape: [Int], count: Int) throws -> [Int64] {
    guard shape.allSatisfy({ $0 >= 0 }) else {
        throw TorchError.invalidArgument(operation: operation, message: "negative size in shape \(shape)")
    }
    var expected = 1
    for size in shape {
        let (product, overflow) = expected.multipliedReportingOverflow(by: size)
        guard !overflow else {
            throw TorchError.invalidArgument(operation: operation, message: "shape \(shape) has too many elements")
        }
        expected = product
    }
    guard expected == count else {
        throw TorchError.shapeMismatch(operation: operation, expected: shape, actual: [count])
    }
    return shape.map { Int64($0) }
}

extension Tensor {
    // MARK: From Swift values (copying)

    /// A tensor holding a copy of `values`, in row-major order, with `shape`
    /// (one-dimensional when nil).
    public convenience init<T: TensorElement>(_ values: [T], shape: [Int]? = nil) throws {
        let dims = try checkedShape("Tensor(_:shape:)", shape ?? [values.count], count: values.count)
        var out: OpaquePointer? = nil
        try values.withUnsafeBytes { raw in
            try check("Tensor(_:shape:)", ht_tensor_from_data(raw.baseAddress, T.dtype.code, dims, Int64(dims.count), &out))
        }
        guard let out else { throw TorchError.libtorch(operation: "Tensor(_:shape:)", message: "no tensor") }
        self.init(handle: out)
    }

    /// A two-dimensional tensor from nested rows (all of the same length).
    public convenience init<T: TensorElement>(rows: [[T]]) throws {
        let width = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == width }) else {
            throw TorchError.shapeMismatch(
                operation: "Tensor(rows:)", expected: [rows.count, width],
                actual: rows.map(\.count))
        }
        try self.init(rows.flatMap { $0 }, shape: [rows.count, width])
    }

    /// A zero-dimensional tensor.
    public convenience init<T: TensorElement>(scalar: T) throws {
        try self.init([scalar], shape: [])
    }

    /// A tensor holding a copy of `buffer`.
    public convenience init<T: TensorElement>(copying buffer: UnsafeBufferPointer<T>, shape: [Int]) throws {
        let dims = try checkedShape("Tensor(copying:shape:)", shape, count: buffer.count)
        var out: OpaquePointer? = nil
        try check(
            "Tensor(copying:shape:)",
            ht_tensor_from_data(buffer.baseAddress, T.dtype.code, dims, Int64(dims.count), &out))
        guard let out else { throw TorchError.libtorch(operation: "Tensor(copying:shape:)", message: "no tensor") }
        self.init(handle: out)
    }

    // MARK: From Swift values (zero-copy)

    /// A tensor that takes over `array`'s buffer without copying it.
    ///
    /// The array is moved into an owner object that libtorch releases when the
    /// storage dies. If the buffer is shared with other `Array` values, Swift's
    /// copy-on-write makes one private copy first, so in-place tensor operations
    /// can never change an array the caller still sees.
    public convenience init<T: TensorElement>(taking array: consuming [T], shape: [Int]? = nil) throws {
        let count = array.count
        let dims = try checkedShape("Tensor(taking:shape:)", shape ?? [count], count: count)
        let owner = ArrayOwner(array)
        // Asking for mutable access makes the buffer unique to `owner`; it then
        // never moves, since nothing else touches `owner.array` until it is freed.
        let base = owner.array.withUnsafeMutableBytes { $0.baseAddress }
        let context = Unmanaged.passRetained(owner as AnyObject).toOpaque()
        var out: OpaquePointer? = nil
        let status = ht_tensor_from_blob(base, T.dtype.code, dims, Int64(dims.count), releaseOwner, context, &out)
        guard status == 0, let out else {
            Unmanaged<AnyObject>.fromOpaque(context).release()
            throw TorchError.libtorch(operation: "Tensor(taking:shape:)", message: lastErrorMessage())
        }
        self.init(handle: out)
    }

    /// A tensor over memory the caller manages, without copying.
    ///
    /// `deallocate` runs once libtorch no longer needs the memory, on whichever
    /// thread drops the last reference to the storage (a view may outlive this
    /// tensor); until then the caller must keep `buffer` valid.
    public convenience init<T: TensorElement>(
        borrowing buffer: UnsafeMutableBufferPointer<T>, shape: [Int],
        deallocate: @escaping () -> Void
    ) throws {
        let dims = try checkedShape("Tensor(borrowing:shape:)", shape, count: buffer.count)
        let context = Unmanaged.passRetained(Deallocator(deallocate) as AnyObject).toOpaque()
        var out: OpaquePointer? = nil
        let status = ht_tensor_from_blob(
            UnsafeMutableRawPointer(buffer.baseAddress), T.dtype.code, dims,
            Int64(dims.count), releaseOwner, context, &out)
        guard status == 0, let out else {
            Unmanaged<AnyObject>.fromOpaque(context).release()
            throw TorchError.libtorch(operation: "Tensor(borrowing:shape:)", message: lastErrorMessage())
        }
        self.init(handle: out)
    }

    // MARK: Matrices of the ranking library

    /// A 2-D tensor (rows x columns) holding a copy of `matrix`, converted to `dtype`.
    public convenience init(_ matrix: Matrix, dtype: DType = .float64) throws {
        let f64 = try Tensor(matrix.storage, shape: [matrix.rows, matrix.columns])
        // An initializer cannot return another object: take a new handle to the
        // converted tensor instead.
        let source = dtype == .float64 ? f64 : try f64.to(dtype)
        var out: OpaquePointer? = nil
        try source.withHandle { try check("Tensor(Matrix)", ht_tensor_share($0, &out)) }
        guard let out else { throw TorchError.libtorch(operation: "Tensor(Matrix)", message: "no tensor") }
        self.init(handle: out)
    }

    /// The values of a 2-D tensor as a `Matrix` (converted to Double).
    public func toMatrix() throws -> Matrix {
        let s = shape
        guard s.count == 2 else {
            throw TorchError.shapeMismatch(operation: "toMatrix", expected: [-1, -1], actual: s)
        }
        return Matrix(rows: s[0], columns: s[1], storage: try toArray(of: Double.self))
    }

    // MARK: Filled tensors

    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> Tensor {
        let dims = shape.map { Int64($0) }
        return try make("full") { ht_tensor_full(dims, Int64(dims.count), value, dtype.code, $0) }
    }

    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try full(shape, value: 0, dtype: dtype)
    }

    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        try full(shape, value: 1, dtype: dtype)
    }

    public static func zeros(like other: Tensor) throws -> Tensor {
        try full(other.shape, value: 0, dtype: other.dtype)
    }

    public static func ones(like other: Tensor) throws -> Tensor {
        try full(other.shape, value: 1, dtype: other.dtype)
    }

    /// Values from `start` up to (excluding) `end` by `step`.
    public static func arange(_ start: Double = 0, _ end: Double, step: Double = 1, dtype: DType = .float32) throws -> Tensor {
        try make("arange") { ht_tensor_arange(start, end, step, dtype.code, $0) }
    }

    public static func linspace(_ start: Double, _ end: Double, steps: Int, dtype: DType = .float32) throws -> Tensor {
        try make("linspace") { ht_tensor_linspace(start, end, Int64(steps), dtype.code, $0) }
    }

    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        try make("eye") { ht_tensor_eye(Int64(n), Int64(m ?? n), dtype.code, $0) }
    }

    // MARK: Random tensors

    /// Uniform on [0, 1).
    public static func rand(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil) throws -> Tensor {
        let dims = shape.map { Int64($0) }
        return try Generator.with(generator) { g in
            try make("rand") { ht_tensor_rand(dims, Int64(dims.count), dtype.code, g, $0) }
        }
    }

    /// Standard normal.
    public static func randn(_ shape: [Int], dtype: DType = .float32, generator: Generator? = nil) throws -> Tensor {
        let dims = shape.map { Int64($0) }
        return try Generator.with(generator) { g in
            try make("randn") { ht_tensor_randn(dims, Int64(dims.count), dtype.code, g, $0) }
        }
    }

    /// Integers uniform on low..<high (int64).
    public static func randint(_ range: Range<Int>, shape: [Int], generator: Generator? = nil) throws -> Tensor {
        let dims = shape.map { Int64($0) }
        return try Generator.with(generator) { g in
            try make("randint") {
                ht_tensor_randint(Int64(range.lowerBound), Int64(range.upperBound), dims, Int64(dims.count), g, $0)
            }
        }
    }

    /// A random permutation of 0..<n (int64).
    public static func randperm(_ n: Int, generator: Generator? = nil) throws -> Tensor {
        try Generator.with(generator) { g in try make("randperm") { ht_tensor_randperm(Int64(n), g, $0) } }
    }

    /// Fills in place with N(mean, std²) samples (not recorded by autograd).
    @discardableResult
    public func normal_(mean: Double = 0, std: Double = 1, generator: Generator? = nil) throws -> Tensor {
        try withHandle { h in
            try Generator.with(generator) { g in try check("normal_", ht_tensor_normal_(h, mean, std, g)) }
        }
        return self
    }

    /// Fills in place with samples uniform on [low, high) (not recorded by autograd).
    @discardableResult
    public func uniform_(_ low: Double = 0, _ high: Double = 1, generator: Generator? = nil) throws -> Tensor {
        try withHandle { h in
            try Generator.with(generator) { g in try check("uniform_", ht_tensor_uniform_(h, low, high, g)) }
        }
        return self
    }
}

/// A seedable source of random numbers for tensor creation and initialisation,
/// independent of the global generator `TorchRuntime.manualSeed` resets.
///
/// Not `Sendable`: libtorch generators are used under their own lock, but sharing
/// one between tasks would make the sequence depend on scheduling.
public final class Generator {
    let handle: OpaquePointer

    public init(seed: UInt64) throws {
        var out: OpaquePointer? = nil
        try check("Generator(seed:)", ht_generator_new(seed, &out))
        guard let out else { throw TorchError.libtorch(operation: "Generator(seed:)", message: "no generator") }
        handle = out
    }

    deinit { ht_generator_free(handle) }

    /// Restarts the sequence from `seed`.
    public func manualSeed(_ seed: UInt64) throws {
        try withExtendedLifetime(self) { try check("Generator.manualSeed", ht_generator_set_seed(handle, seed)) }
    }

    public var seed: UInt64 {
        var value: UInt64 = 0
        _ = withExtendedLifetime(self) { ht_generator_seed(handle, &value) }
        return value
    }

    static func with<R>(_ generator: Generator?, _ body: (OpaquePointer?) throws -> R) rethrows -> R {
        guard let generator else { return try body(nil) }
        return try withExtendedLifetime(generator) { try body(generator.handle) }
    }
}

extension Matrix {
    /// The values of a 2-D tensor (converted to Double), as `tensor.toMatrix()`.
    public init(_ tensor: Tensor) throws {
        self = try tensor.toMatrix()
    }
}
