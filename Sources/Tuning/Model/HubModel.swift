import Data
import Foundation
import Hub
import Torch

/// A hub model as the tuning layer runs it: the card's representation (with its
/// `after` stage and pooling), source head and hints, through the same
/// `StageRunner` feature extraction uses. With autograd on and the module in
/// train mode (`train()`) it is the student; `freeze()` makes it a teacher.
///
/// Not `Sendable` (it holds a `ScriptModule`).
public final class HubModel: ModelRunner {
    public let entry: HubEntry
    public let module: ScriptModule
    let stages: StageRunner
    public let featureDimension: Int
    public let sourceClasses: Int?
    /// Number of hint maps the card's `hints` stage gives (0 without one).
    public let hintCount: Int

    /// Where the module's parameters and buffers live and its inputs go (`move(to:)`).
    public private(set) var device: Device = .cpu

    public var name: String { entry.name }
    public var card: ModelCard { entry.card }

    /// Loads the model and probes it once on a dummy batch (eval mode, no
    /// gradient) for its feature dimension and source classes. Left in eval mode.
    public init(entry: HubEntry) throws {
        // Text models are extracted and ranked (texts tokenised per model), but the
        // trainer passes one float tensor per batch to the student and its teachers.
        guard entry.card.input.kind != .tokens else {
            throw TuningError.model(
                name: entry.name, message: "tuning text models is not supported yet (they can be ranked and their features extracted: docs/HUB.md)")
        }
        self.entry = entry
        guard entry.card.format == .torchScript else {
            throw TuningError.model(
                name: entry.name,
                message:
                    "\(entry.card.file) is an AOTInductor package (.pt2), which is inference-only: tune trains TorchScript models (torch.jit.script or torch.jit.trace, saved with torch.jit.save); .pt2 models can be extracted and ranked"
            )
        }
        let module = try StageRunner.loadModule(entry)
        let stages = try StageRunner(entry: entry, module: module)
        self.module = module
        self.stages = stages
        try module.eval()
        let shape = [2] + entry.card.input.sampleShape
        try stages.checkInputShape(shape)
        let probe = {
            try withNoGrad { () throws -> (Int, Int?, Int) in
                let input = try Tensor.full(shape, value: 0.5)
                let features = try stages.representation(input)
                let logits = try stages.sourceLogits(input: input, features: features)
                let hints = try stages.hints(input)
                return (features.shape[1], logits?.shape[1], hints?.count ?? 0)
            }
        }
        do {
            (featureDimension, sourceClasses, hintCount) = try probe()
        } catch let error as HubError {
            throw TuningError.model(name: entry.name, message: "\(error)")
        }
    }

    public convenience init(hub: HubManifest, name: String) throws {
        guard let entry = hub.entry(named: name) else {
            throw TuningError.model(
                name: name, message: "not in the hub \(hub.directory.path) (models: \(hub.entries.map(\.name).joined(separator: ", ")))")
        }
        try self.init(entry: entry)
    }

    public func supports(_ needs: OutputNeeds) -> Bool {
        if needs.contains(.hints) && entry.card.hints == nil { return false }
        if needs.contains(.sourceLogits) && entry.card.sourceHead == nil { return false }
        return true
    }

    public func outputs(_ inputs: Tensor, needs: OutputNeeds) throws -> ModelOutputs {
        guard supports(needs) else {
            let missing = needs.contains(.hints) && entry.card.hints == nil ? "'hints' stage" : "'source_head'"
            throw TuningError.model(name: name, message: "its card has no \(missing), which this method needs")
        }
        do {
            try stages.checkInputShape(inputs.shape)
            let features = try stages.representation(inputs)
            var out = ModelOutputs(features: features)
            if needs.contains(.sourceLogits) {
                out.sourceLogits = try stages.sourceLogits(input: inputs, features: features)?.to(.float32)
            }
            if needs.contains(.hints) { out.hints = try stages.hints(inputs) ?? [] }
            return out
        } catch let error as HubError {
            throw TuningError.model(name: name, message: "\(error)")
        }
    }

    // MARK: Modes

    /// Student: train mode (dropout, batch-norm statistics) and trainable parameters.
    public func train() throws {
        try module.train()
        try module.setRequiresGrad(true)
    }

    /// Teacher: eval mode and no parameter takes gradients.
    public func freeze() throws {
        try module.eval()
        try module.setRequiresGrad(false)
    }

    public var isTraining: Bool { module.isTraining }

    // MARK: Device

    /// Moves the parameters and buffers to `device` (in place: tensors taken from
    /// `namedParameters()` before follow); inputs from `inputTensor` go there too.
    public func move(to device: Device) throws {
        guard device != self.device else { return }
        try module.to(device)
        self.device = device
    }

    /// Runs `body` in eval mode and restores the previous mode afterwards (evaluation
    /// of the student must not update batch-norm statistics).
    public func withEvalMode<R>(_ body: () throws -> R) throws -> R {
        let wasTraining = module.isTraining
        try module.eval()
        defer { if wasTraining { try? module.train() } }
        return try body()
    }

    // MARK: Parameters

    /// Every parameter of the network by dotted name, live (the backbone).
    public func namedParameters() throws -> [(name: String, tensor: Tensor)] {
        try module.namedParameters()
    }

    /// Buffers (batch-norm running statistics, ...) by dotted name, live.
    public func namedBuffers() throws -> [(name: String, tensor: Tensor)] {
        try module.namedBuffers()
    }

    // MARK: Input

    /// The data transform the card asks for (as feature extraction uses it).
    public var transform: (any Transform)? { entry.card.transform() }

    /// A collated batch as a float32 tensor [B, ...] on the model's device.
    public func inputTensor(_ batch: Batch) throws -> Tensor {
        let values = try Tensor(batch.values, shape: batch.shape)
        return device == .cpu ? values : try values.to(device)
    }
}
