internal import CTorch

/// A model exported with `torch.export` and compiled by AOTInductor into a `.pt2`
/// package (`torch._inductor.aoti_compile_and_package`). Inference only: the
/// package holds compiled kernels and frozen weights, no parameters to train.
///
/// Inputs and outputs are the exported program's flattened tensors, in order.
public final class AOTIPackage {
    let handle: OpaquePointer
    public let path: String
    public let device: Device

    /// Loads the package for `device` (the package must have been compiled for
    /// that device type).
    public init(contentsOf path: String, device: Device = .cpu) throws {
        var out: OpaquePointer? = nil
        let (type, index) = device.codes
        guard ht_aoti_load(path, type, index, &out) == 0, let out else {
            let message = lastErrorMessage()
            if message.hasPrefix("no CUDA libtorch") || message.hasPrefix("no GPU") {
                throw TorchError.deviceUnavailable(device: device.description, message: message)
            }
            throw ModelFileErrors.translate(path: path, kind: "AOTInductor package", message: message)
        }
        self.handle = out
        self.path = path
        self.device = device
    }

    deinit { ht_aoti_free(handle) }

    /// Runs the compiled model; returns its flattened outputs.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        var list: OpaquePointer? = nil
        let status: Int32 = try withExtendedLifetime(inputs) {
            let handles: [OpaquePointer?] = inputs.map { $0.handle }
            return handles.withUnsafeBufferPointer { ht_aoti_run(handle, $0.baseAddress, Int64(inputs.count), &list) }
        }
        guard status == 0, let list else {
            throw TorchError.libtorch(operation: "AOTInductor package \(path)", message: lastErrorMessage())
        }
        defer { ht_tensor_list_free(list) }
        return try TensorList.tensors(of: list)
    }

    /// The package's metadata (for example `AOTI_DEVICE_KEY`).
    public func metadata() throws -> [String: String] {
        let text = try stringResult("AOTIPackage.metadata") { ht_aoti_metadata(handle, $0) }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }
}
