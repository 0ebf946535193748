internal import CTorch

/// A value passed to or returned from a TorchScript method (an `IValue`).
public enum ScriptValue {
    case none
    case tensor(Tensor)
    case double(Double)
    case int(Int)
    case bool(Bool)
    case string(String)
    case tuple([ScriptValue])
    case list([ScriptValue])
    /// Dict entries in insertion order; keys rendered as strings.
    case dict([(key: String, value: ScriptValue)])

    /// The tensor, or an error naming what the value is instead.
    public func tensor() throws -> Tensor {
        if case .tensor(let t) = self { return t }
        throw TorchError.invalidArgument(operation: "ScriptValue.tensor", message: "value is \(kindName), not a tensor")
    }

    /// The elements of a tuple or list.
    public func elements() throws -> [ScriptValue] {
        switch self {
        case .tuple(let items), .list(let items): return items
        default:
            throw TorchError.invalidArgument(operation: "ScriptValue.elements", message: "value is \(kindName), not a tuple or list")
        }
    }

    var kindName: String {
        switch self {
        case .none: return "None"
        case .tensor: return "a tensor"
        case .double: return "a float"
        case .int: return "an int"
        case .bool: return "a bool"
        case .string: return "a string"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        }
    }

    /// Builds the shim value; the caller frees it.
    func makeHandle() throws -> OpaquePointer {
        var out: OpaquePointer? = nil
        switch self {
        case .none: try check("ScriptValue", ht_value_none(&out))
        case .tensor(let t): try t.withHandle { try check("ScriptValue", ht_value_from_tensor($0, &out)) }
        case .double(let d): try check("ScriptValue", ht_value_from_double(d, &out))
        case .int(let i): try check("ScriptValue", ht_value_from_int(Int64(i), &out))
        case .bool(let b): try check("ScriptValue", ht_value_from_bool(b ? 1 : 0, &out))
        case .string(let s): try check("ScriptValue", ht_value_from_string(s, &out))
        case .tuple(let items), .list(let items):
            let handles = try items.map { try $0.makeHandle() }
            defer { handles.forEach { ht_value_free($0) } }
            let asTuple: Int32
            if case .tuple = self { asTuple = 1 } else { asTuple = 0 }
            let optionals: [OpaquePointer?] = handles
            try check("ScriptValue", ht_value_from_values(optionals, Int64(handles.count), asTuple, &out))
        case .dict:
            throw TorchError.invalidArgument(operation: "ScriptValue", message: "dict arguments are not supported")
        }
        guard let out else { throw TorchError.libtorch(operation: "ScriptValue", message: "no value") }
        return out
    }

    /// Converts a shim value (borrowed, not freed here).
    init(handle: OpaquePointer) throws {
        var kind: Int32 = 0
        try check("ScriptValue", ht_value_kind(handle, &kind))
        switch Int(kind) {
        case HT_VALUE_NONE: self = .none
        case HT_VALUE_TENSOR: self = .tensor(try Tensor.make("ScriptValue") { ht_value_tensor(handle, $0) })
        case HT_VALUE_DOUBLE:
            var d = 0.0
            try check("ScriptValue", ht_value_double(handle, &d))
            self = .double(d)
        case HT_VALUE_INT:
            var i: Int64 = 0
            try check("ScriptValue", ht_value_int(handle, &i))
            self = .int(Int(i))
        case HT_VALUE_BOOL:
            var b: Int32 = 0
            try check("ScriptValue", ht_value_bool(handle, &b))
            self = .bool(b != 0)
        case HT_VALUE_STRING:
            self = .string(try stringResult("ScriptValue") { ht_value_string(handle, $0) })
        case HT_VALUE_TUPLE, HT_VALUE_LIST, HT_VALUE_DICT:
            var n: Int64 = 0
            try check("ScriptValue", ht_value_count(handle, &n))
            var items = [ScriptValue]()
            var keys = [String]()
            for i in 0..<n {
                var element: OpaquePointer? = nil
                try check("ScriptValue", ht_value_element(handle, i, &element))
                guard let element else { throw TorchError.libtorch(operation: "ScriptValue", message: "no element") }
                defer { ht_value_free(element) }
                items.append(try ScriptValue(handle: element))
                if Int(kind) == HT_VALUE_DICT {
                    keys.append(try stringResult("ScriptValue") { ht_value_key(handle, i, $0) })
                }
            }
            switch Int(kind) {
            case HT_VALUE_TUPLE: self = .tuple(items)
            case HT_VALUE_LIST: self = .list(items)
            default: self = .dict(Array(zip(keys, items)).map { (key: $0.0, value: $0.1) })
            }
        default:
            let type = (try? stringResult("ScriptValue") { ht_value_type_name(handle, $0) }) ?? "?"
            throw TorchError.invalidArgument(operation: "ScriptValue", message: "unsupported TorchScript value of type \(type)")
        }
    }
}

/// A TorchScript module: loaded from a `torch.jit.save` file or built from
/// TorchScript source, with its methods, submodules, parameters and buffers.
///
/// A submodule obtained with `submodule(_:)` is a view of part of its parent:
/// parameters are shared, and changes through either are seen by both.
/// Not `Sendable`: libtorch modules are not safe to mutate from several threads.
public final class ScriptModule {
    let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { ht_module_free(handle) }

    @inline(__always)
    func withHandle<R>(_ body: (OpaquePointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(handle) }
    }

    private static func make(_ operation: String, _ body: (UnsafeMutablePointer<OpaquePointer?>) -> Int32) throws -> ScriptModule {
        var out: OpaquePointer? = nil
        try check(operation, body(&out))
        guard let out else { throw TorchError.libtorch(operation: operation, message: "no module") }
        return ScriptModule(handle: out)
    }

    /// Loads a module saved by `torch.jit.save` (or `save(to:)`).
    public convenience init(contentsOf path: String) throws {
        var out: OpaquePointer? = nil
        // One line naming the file and what to do, for files from another PyTorch.
        guard ht_module_load(path, &out) == 0 else {
            throw ModelFileErrors.translate(path: path, kind: "TorchScript model", message: lastErrorMessage())
        }
        guard let out else { throw TorchError.libtorch(operation: "ScriptModule(contentsOf:)", message: "no module") }
        self.init(handle: out)
    }

    /// An empty module of type `name`, to fill with `register...` and `define`.
    public convenience init(name: String) throws {
        var out: OpaquePointer? = nil
        try check("ScriptModule(name:)", ht_module_new(name, &out))
        guard let out else { throw TorchError.libtorch(operation: "ScriptModule(name:)", message: "no module") }
        self.init(handle: out)
    }

    /// Compiles TorchScript methods into the module (`torch::jit::Module::define`);
    /// they can use `self.<name>` for registered parameters, buffers and submodules.
    public func define(_ source: String) throws {
        // TorchScript's parser wants a final newline; Swift's multi-line literals drop it.
        let text = source.hasSuffix("\n") ? source : source + "\n"
        try withHandle { try check("ScriptModule.define", ht_module_define($0, text)) }
    }

    /// Adds a parameter (trainable) or, with `isBuffer`, a buffer.
    public func registerParameter(_ name: String, _ tensor: Tensor, isBuffer: Bool = false) throws {
        try withHandle { m in
            try tensor.withHandle { try check("registerParameter(\(name))", ht_module_register_parameter(m, name, $0, isBuffer ? 1 : 0)) }
        }
    }

    public func registerModule(_ name: String, _ child: ScriptModule) throws {
        try withHandle { m in try child.withHandle { try check("registerModule(\(name))", ht_module_register_module(m, name, $0)) } }
    }

    /// Replaces the tensor attribute, parameter or buffer `name` of this module
    /// (for example a new classifier weight of another shape for fine-tuning).
    public func setAttribute(_ name: String, _ tensor: Tensor) throws {
        try withHandle { m in
            try tensor.withHandle { try check("setAttribute(\(name))", ht_module_set_attribute_tensor(m, name, $0)) }
        }
    }

    public func save(to path: String) throws {
        try withHandle { try check("ScriptModule.save(\(path))", ht_module_save($0, path)) }
    }

    // MARK: Running

    /// Runs method `name` with `arguments`. With `inferenceMode`, the call runs under
    /// libtorch's `InferenceMode` (held for this call only): nothing is recorded for
    /// autograd, not even version counters, and the tensors it returns are inference
    /// tensors (read them or pass them to functional operations; never modify them
    /// in place).
    @discardableResult
    public func run(method name: String, _ arguments: [ScriptValue] = [], inferenceMode: Bool = false) throws -> ScriptValue {
        guard hasMethod(name) else { throw TorchError.missingMethod(module: typeName, method: name) }
        let handles = try arguments.map { try $0.makeHandle() }
        defer { handles.forEach { ht_value_free($0) } }
        let optionals: [OpaquePointer?] = handles
        var out: OpaquePointer? = nil
        try withHandle {
            try check("\(typeName).\(name)", ht_module_run_method_mode($0, name, optionals, Int64(handles.count), inferenceMode ? 1 : 0, &out))
        }
        guard let out else { throw TorchError.libtorch(operation: "\(typeName).\(name)", message: "no result") }
        defer { ht_value_free(out) }
        return try ScriptValue(handle: out)
    }

    /// `forward` on tensors, returning a tensor.
    public func forward(_ inputs: Tensor...) throws -> Tensor {
        try run(method: "forward", inputs.map { .tensor($0) }).tensor()
    }

    public func callAsFunction(_ inputs: Tensor...) throws -> Tensor {
        try run(method: "forward", inputs.map { .tensor($0) }).tensor()
    }

    public func hasMethod(_ name: String) -> Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_module_has_method($0, name, &flag) }
        return flag != 0
    }

    public var methodNames: [String] { lines { ht_module_method_names($0, $1) } }

    /// The module's TorchScript type name (for example "__torch__.torchvision.models.resnet.ResNet").
    public var typeName: String {
        (try? withHandle { m in try stringResult("typeName") { ht_module_type_name(m, $0) } }) ?? "?"
    }

    // MARK: Structure

    /// The submodule at a dotted path ("layer4", "layer4.0.conv1"); "" is the module itself.
    public func submodule(_ path: String) throws -> ScriptModule {
        try withHandle { m in try ScriptModule.make("submodule(\(path))") { ht_module_submodule(m, path, $0) } }
    }

    /// Names of the direct children.
    public var childNames: [String] { lines { ht_module_child_names($0, 0, $1) } }

    /// Dotted paths of every descendant module, parents before children.
    public var submodulePaths: [String] { lines { ht_module_child_names($0, 1, $1) } }

    /// Parameters by dotted name; the tensors are the module's own (shared storage),
    /// so an optimiser updating them trains the module.
    public func namedParameters(recurse: Bool = true) throws -> [(name: String, tensor: Tensor)] {
        try named("namedParameters") { ht_module_named_parameters($0, recurse ? 1 : 0, $1, $2) }
    }

    public func parameters(recurse: Bool = true) throws -> [Tensor] {
        try namedParameters(recurse: recurse).map(\.tensor)
    }

    /// Buffers (running statistics and other non-trainable state) by dotted name.
    public func namedBuffers(recurse: Bool = true) throws -> [(name: String, tensor: Tensor)] {
        try named("namedBuffers") { ht_module_named_buffers($0, recurse ? 1 : 0, $1, $2) }
    }

    // MARK: Modes

    public var isTraining: Bool {
        var flag: Int32 = 0
        _ = withHandle { ht_module_is_training($0, &flag) }
        return flag != 0
    }

    /// Sets training mode on this module and all its submodules.
    public func train(_ on: Bool = true) throws {
        try withHandle { try check("train", ht_module_train($0, on ? 1 : 0)) }
    }

    public func eval() throws { try train(false) }

    /// Stops gradients for every parameter (a frozen backbone in fine-tuning).
    public func setRequiresGrad(_ on: Bool) throws {
        for p in try parameters() { try p.requiresGrad(on) }
    }

    /// `torch.jit.freeze`: a new module with parameters and attributes inlined as
    /// constants, for inference. Needs eval mode.
    public func frozen() throws -> ScriptModule {
        try withHandle { m in try ScriptModule.make("frozen") { ht_module_freeze(m, $0) } }
    }

    /// For extraction only: `torch.jit.freeze` keeping `methods` (`forward` is always
    /// kept), then, with `optimize`, `torch.jit.optimize_for_inference` over them
    /// (conv-BN folding, dropout removal, MKLDNN layouts on CPU). Submodules are
    /// inlined, so the result has none; needs eval mode.
    public func frozenForInference(methods: [String] = [], optimize: Bool = true) throws -> ScriptModule {
        let names = methods.joined(separator: "\n")
        return try withHandle { m in
            try ScriptModule.make("frozenForInference") { ht_module_freeze_for_inference(m, names, optimize ? 1 : 0, $0) }
        }
    }

    /// Converts parameters and buffers of rank 4 to `format` in place, as PyTorch's
    /// `module.to(memory_format=...)` does.
    public func to(_ format: MemoryFormat) throws {
        try withHandle { try check("ScriptModule.to(\(format))", ht_module_to_memory_format($0, format.code)) }
    }

    /// A deep copy (parameters copied).
    public func clone() throws -> ScriptModule {
        try withHandle { m in try ScriptModule.make("clone") { ht_module_clone(m, $0) } }
    }

    /// Converts parameters and buffers to `dtype` in place.
    public func to(_ dtype: DType) throws {
        try withHandle { try check("ScriptModule.to(\(dtype))", ht_module_to_dtype($0, dtype.code)) }
    }

    // MARK: Helpers

    private func lines(_ body: (OpaquePointer, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32) -> [String] {
        let text = (try? withHandle { m in try stringResult("ScriptModule") { body(m, $0) } }) ?? ""
        return text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    private func named(
        _ operation: String,
        _ body: (OpaquePointer, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    ) throws -> [(name: String, tensor: Tensor)] {
        var names: UnsafeMutablePointer<CChar>? = nil
        var list: OpaquePointer? = nil
        try withHandle { try check(operation, body($0, &names, &list)) }
        let text = takeString(names)
        guard let list else { return [] }
        defer { ht_tensor_list_free(list) }
        let tensors = try TensorList.tensors(of: list)
        let labels = text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard labels.count == tensors.count else {
            throw TorchError.libtorch(operation: operation, message: "\(labels.count) names for \(tensors.count) tensors")
        }
        return Array(zip(labels, tensors)).map { (name: $0.0, tensor: $0.1) }
    }
}
