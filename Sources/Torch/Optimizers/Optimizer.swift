internal import CTorch
import Foundation

/// Parameters that share hyperparameters, as a PyTorch parameter group.
///
/// Fine-tuning convention: the backbone at a tenth of the head's learning rate,
/// `[ParameterGroup(backbone, learningRate: 0.1 * lr), ParameterGroup(head)]`.
/// nil hyperparameters take the optimiser's defaults.
public struct ParameterGroup {
    public var parameters: [Tensor]
    public var name: String
    /// The current learning rate (schedules change it).
    public var learningRate: Double
    /// The learning rate the group started with; schedules scale this one
    /// (PyTorch's `initial_lr`).
    public var initialLearningRate: Double
    public var weightDecay: Double
    let requestedLearningRate: Double?
    let requestedWeightDecay: Double?

    public init(_ parameters: [Tensor], name: String = "", learningRate: Double? = nil, weightDecay: Double? = nil) {
        self.parameters = parameters
        self.name = name
        self.requestedLearningRate = learningRate
        self.requestedWeightDecay = weightDecay
        self.learningRate = learningRate ?? 0
        self.initialLearningRate = learningRate ?? 0
        self.weightDecay = weightDecay ?? 0
    }

    /// Fills the hyperparameters the group did not set from the optimiser's defaults.
    func resolved(learningRate lr: Double, weightDecay wd: Double) -> ParameterGroup {
        var group = self
        group.learningRate = requestedLearningRate ?? lr
        group.initialLearningRate = group.learningRate
        group.weightDecay = requestedWeightDecay ?? wd
        return group
    }
}

/// A snapshot of an optimiser's state: hyperparameters that change during
/// training, per-parameter step counts and buffers (copies, not live references).
public struct OptimizerState {
    /// "SGD", "Adam" or "AdamW".
    public var kind: String
    public var learningRates: [Double]
    public var initialLearningRates: [Double]
    /// Per group, per parameter: Adam's step count (0 = no state yet); SGD records
    /// 1 once a momentum buffer exists.
    public var stepCounts: [[Int]]
    /// Buffers by key "group.parameter.name" (for example "1.0.exp_avg").
    public var buffers: [String: Tensor]

    struct Metadata: Codable {
        var kind: String
        var learningRates: [Double]
        var initialLearningRates: [Double]
        var stepCounts: [[Int]]
        var keys: [String]
    }

    /// Writes the state to one file: a torch.save-compatible list whose first
    /// tensor holds the metadata as UTF-8 JSON (uint8) and the rest the buffers.
    public func save(to path: String) throws {
        let keys = buffers.keys.sorted()
        let metadata = Metadata(
            kind: kind, learningRates: learningRates, initialLearningRates: initialLearningRates,
            stepCounts: stepCounts, keys: keys)
        let json = try JSONEncoder().encode(metadata)
        var tensors = [try Tensor([UInt8](json))]
        for key in keys {
            if let t = buffers[key] { tensors.append(t) }
        }
        try TensorList.save(tensors, to: path)
    }

    /// Reads a state written by `save(to:)`.
    public static func load(from path: String) throws -> OptimizerState {
        let tensors = try TensorList.load(from: path)
        guard let first = tensors.first, first.dtype == .uint8 else {
            throw TorchError.invalidArgument(operation: "OptimizerState.load", message: "\(path) is not an optimiser state file")
        }
        let metadata: Metadata
        do {
            metadata = try JSONDecoder().decode(Metadata.self, from: Data(try first.toArray(of: UInt8.self)))
        } catch let error as TorchError {
            throw error
        } catch {
            throw TorchError.invalidArgument(operation: "OptimizerState.load", message: "\(path): unreadable metadata (\(error))")
        }
        guard metadata.keys.count == tensors.count - 1 else {
            throw TorchError.invalidArgument(
                operation: "OptimizerState.load",
                message: "\(path): \(metadata.keys.count) keys but \(tensors.count - 1) tensors")
        }
        var buffers = [String: Tensor]()
        for (key, tensor) in zip(metadata.keys, tensors.dropFirst()) { buffers[key] = tensor }
        return OptimizerState(
            kind: metadata.kind, learningRates: metadata.learningRates,
            initialLearningRates: metadata.initialLearningRates,
            stepCounts: metadata.stepCounts, buffers: buffers)
    }
}

/// An optimiser over parameter groups. The update rules run in libtorch (see
/// `ht_optim_*`), transcribed from PyTorch 1.13's `torch.optim` so a step gives
/// the same numbers as PyTorch.
public protocol Optimizer: AnyObject {
    var groups: [ParameterGroup] { get }
    /// Sets group `index`'s current learning rate (schedules call this).
    func setLearningRate(_ lr: Double, group index: Int)
    /// One update of every parameter that has a gradient (others are skipped, as in PyTorch).
    func step() throws
    /// A copy of the optimiser's state.
    func state() throws -> OptimizerState
    /// Restores a state taken from an optimiser of the same kind over parameters of the same shapes.
    func load(_ state: OptimizerState) throws
}

extension Optimizer {
    /// Clears every parameter's gradient (removes it by default, as PyTorch 2 does).
    public func zeroGrad(setToNone: Bool = true) throws {
        for group in groups {
            for p in group.parameters { try p.zeroGrad(setToNone: setToNone) }
        }
    }

    public var learningRates: [Double] { groups.map(\.learningRate) }

    /// Checks a state against this optimiser's groups before loading it.
    func validate(_ state: OptimizerState, kind: String) throws {
        guard state.kind == kind else {
            throw TorchError.invalidArgument(operation: "\(kind).load", message: "state is for \(state.kind), not \(kind)")
        }
        let counts = groups.map(\.parameters.count)
        guard state.stepCounts.map(\.count) == counts, state.learningRates.count == counts.count,
            state.initialLearningRates.count == counts.count
        else {
            throw TorchError.invalidArgument(
                operation: "\(kind).load",
                message: "state has groups of sizes \(state.stepCounts.map(\.count)), optimiser has \(counts)")
        }
    }

    /// A copy of buffer `key` from a state, checked against the parameter's shape.
    func buffer(_ state: OptimizerState, _ key: String, like parameter: Tensor, kind: String) throws -> Tensor {
        guard let t = state.buffers[key] else {
            throw TorchError.invalidArgument(operation: "\(kind).load", message: "state has no buffer \(key)")
        }
        guard t.shape == parameter.shape else {
            throw TorchError.shapeMismatch(operation: "\(kind).load \(key)", expected: parameter.shape, actual: t.shape)
        }
        // On the parameter's device: a state saved on a GPU resumes on the CPU and the reverse.
        return try t.detach().to(parameter.dtype).to(parameter.device).clone()
    }
}

/// Files holding a list of tensors, readable by Python's `torch.load`.
public enum TensorList {
    public static func save(_ tensors: [Tensor], to path: String) throws {
        var list: OpaquePointer? = nil
        try check("TensorList.save", ht_tensor_list_new(&list))
        guard let list else { throw TorchError.libtorch(operation: "TensorList.save", message: "no list") }
        defer { ht_tensor_list_free(list) }
        for t in tensors {
            try t.withHandle { try check("TensorList.save", ht_tensor_list_push(list, $0)) }
        }
        try check("TensorList.save \(path)", ht_tensor_list_save(list, path))
    }

    public static func load(from path: String) throws -> [Tensor] {
        var list: OpaquePointer? = nil
        try check("TensorList.load \(path)", ht_tensor_list_load(path, &list))
        guard let list else { throw TorchError.libtorch(operation: "TensorList.load", message: "no list") }
        defer { ht_tensor_list_free(list) }
        return try tensors(of: list)
    }

    /// Takes a new handle to every element of a shim list.
    package static func tensors(of list: OpaquePointer) throws -> [Tensor] {
        var n: Int64 = 0
        try check("tensor list", ht_tensor_list_size(list, &n))
        return try (0..<n).map { i in try Tensor.make("tensor list") { ht_tensor_list_get(list, i, $0) } }
    }
}
