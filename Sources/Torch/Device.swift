internal import CTorch

/// Where tensors live and kernels run. One build serves machines with and without a
/// GPU: libtorch's CUDA part is loaded the first time CUDA is asked for, from the
/// directory of the loaded libtorch (docs/TORCH.md).
public enum Device: Sendable, Equatable, CustomStringConvertible {
    case cpu
    /// A GPU by index (0: the first).
    case cuda(Int)

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .cuda(let i): return "cuda:\(i)"
        }
    }

    var codes: (type: Int32, index: Int32) {
        switch self {
        case .cpu: return (Int32(HT_DEVICE_CPU), -1)
        case .cuda(let i): return (Int32(HT_DEVICE_CUDA), Int32(i))
        }
    }

    /// The number of usable GPUs (0 where libtorch's CUDA part or a GPU is missing).
    public static var cudaDeviceCount: Int {
        var n: Int32 = 0
        return ht_cuda_device_count(&n) == 0 ? Int(n) : 0
    }

    /// Checks that CUDA can be used, with libtorch's CUDA part loaded; the error
    /// says what is missing (the CUDA libtorch, or a GPU).
    public static func requireCUDA() throws {
        if ht_cuda_load() != 0 {
            throw TorchError.deviceUnavailable(device: "cuda", message: lastErrorMessage())
        }
    }
}

/// The `--device` choice of the commands: `auto` takes the first GPU when there is
/// one, the CPU otherwise.
public enum DeviceChoice: String, Sendable, CaseIterable {
    case cpu, cuda, auto

    /// The device to run on; `cuda` where none is usable is an error saying what is missing.
    public func resolve() throws -> Device {
        switch self {
        case .cpu: return .cpu
        case .cuda:
            try Device.requireCUDA()
            return .cuda(0)
        case .auto: return Device.cudaDeviceCount > 0 ? .cuda(0) : .cpu
        }
    }
}

extension Tensor {
    /// The tensor on `device` (itself when it is there already; recorded by autograd).
    public func to(_ device: Device) throws -> Tensor {
        let (type, index) = device.codes
        return try derive("to(\(device))") { ht_tensor_to_device($0, type, index, $1) }
    }

    /// Moves the tensor's data to `device` in place, so every holder of this tensor
    /// (an optimiser's group, a loss term) sees it there, as `ScriptModule.to` does
    /// for parameters. Nothing happens when it is there already.
    public func move(to device: Device) throws {
        let (type, index) = device.codes
        try withHandle { try check("Tensor.move(to: \(device))", ht_tensor_move_to_device($0, type, index)) }
    }

    /// The device the tensor lives on.
    public var device: Device {
        var type: Int32 = 0, index: Int32 = 0
        guard withHandle({ ht_tensor_device($0, &type, &index) }) == 0 else { return .cpu }
        return type == Int32(HT_DEVICE_CUDA) ? .cuda(Int(index)) : .cpu
    }
}

extension ScriptModule {
    /// Moves the parameters and buffers to `device`.
    public func to(_ device: Device) throws {
        let (type, index) = device.codes
        try withHandle { try check("ScriptModule.to(\(device))", ht_module_to_device($0, type, index)) }
    }
}
