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
package final class HubModel: ModelRunner {
    package let entry: HubEntry
    package let module: ScriptModule
    let stages: StageRunner
    package let featureDimension: Int
    package let sourceClasses: Int?
    /// Number of hint maps the card's `hints` stage gives (0 without one, and for
    /// text models: their hidden states are per token, not maps).
    package let hintCount: Int
    /// The tokenizer of a text model; nil for image and tabular models.
    let textInput: TextInput?

    /// Where the module's parameters and buffers live and its inputs go (`move(to:)`).
    package private(set) var device: Device = .cpu

    package var name: String { entry.name }
    package var card: ModelCard { entry.card }

    /// Loads the model and probes it once on a dummy batch (eval mode, no
    /// gradient) for its feature dimension and source classes. Left in eval mode.
    ///
    /// Text models (`input.kind: tokens`) tokenise each batch's texts with their own
    /// tokenizer (`TextInput`, as extraction does) and give their pooled features;
    /// they are probed on a short text.
    package init(entry: HubEntry) throws {
        self.entry = entry
        guard entry.card.format == .torchScript else {
            throw TuningError.model(
                name: entry.name,
                message:
                    "\(entry.card.file) is an AOTInductor package (.pt2), which is inference-only: tune trains TorchScript models (torch.jit.script or torch.jit.trace, saved with torch.jit.save); .pt2 models can be extracted and ranked"
            )
        }
        let textInput: TextInput?
        do {
            textInput = entry.card.input.kind == .tokens ? try TextInput(entry: entry) : nil
        } catch let error as HubError {
            throw TuningError.model(name: entry.name, message: "\(error)")
        }
        self.textInput = textInput
        let module = try StageRunner.loadModule(entry)
        let stages = try StageRunner(entry: entry, module: module)
        self.module = module
        self.stages = stages
        try module.eval()
        let probeInput: ModelInput
        if entry.card.input.kind == .tokens {
            probeInput = .texts([["hello world"], ["hello world"]])
        } else {
            let shape = [2] + entry.card.input.sampleShape
            try stages.checkInputShape(shape)
            probeInput = .tensor(try Tensor.full(shape, value: 0.5))
        }
        let textual = textInput != nil
        let probe = {
            try withNoGrad { () throws -> (Int, Int?, Int) in
                var needs = OutputNeeds()
                if Self.supports(.sourceLogits, card: entry.card, textual: textual) { needs.insert(.sourceLogits) }
                if Self.supports(.hints, card: entry.card, textual: textual) { needs.insert(.hints) }
                let out = try Self.run(probeInput, needs: needs, entry: entry, stages: stages, textInput: textInput)
                return (out.features.shape[1], out.sourceLogits?.shape[1], out.hints.count)
            }
        }
        do {
            (featureDimension, sourceClasses, hintCount) = try probe()
        } catch let error as HubError {
            throw TuningError.model(name: entry.name, message: "\(error)")
        }
    }

    package convenience init(hub: HubManifest, name: String) throws {
        guard let entry = hub.entry(named: name) else {
            throw TuningError.model(
                name: name, message: "not in the hub \(hub.directory.path) (models: \(hub.entries.map(\.name).joined(separator: ", ")))")
        }
        try self.init(entry: entry)
    }

    package var takesTexts: Bool { textInput != nil }

    /// Text models give no hints (per-token hidden states, whose lengths depend on
    /// each model's tokenizer, are not the feature maps hint methods compare), and
    /// source logits only from a head on the pooled features (a `source_head`
    /// submodule, as `tune` exports).
    package func supports(_ needs: OutputNeeds) -> Bool {
        Self.supports(needs, card: entry.card, textual: takesTexts)
    }

    static func supports(_ needs: OutputNeeds, card: ModelCard, textual: Bool) -> Bool {
        if needs.contains(.hints) && (card.hints == nil || textual) { return false }
        if needs.contains(.sourceLogits) {
            guard let head = card.sourceHead else { return false }
            if textual && head.submodule == nil { return false }
        }
        return true
    }

    package func outputs(_ input: ModelInput, needs: OutputNeeds) throws -> ModelOutputs {
        guard supports(needs) else {
            let missing: String
            if needs.contains(.hints) && takesTexts {
                missing = "hint maps: it is a text model (its hidden states are per token of its own tokenizer)"
            } else if needs.contains(.hints) && entry.card.hints == nil {
                missing = "'hints' stage"
            } else {
                missing = "'source_head'\(takesTexts ? " on its pooled features (a submodule)" : "")"
            }
            throw TuningError.model(name: name, message: "its card has no \(missing), which this method needs")
        }
        return try Self.run(input, needs: needs, entry: entry, stages: stages, textInput: textInput, device: device)
    }

    /// `device`: where a text model's token tensors go once tokenised (tensor inputs
    /// arrive there already, from `input(_:)`).
    private static func run(
        _ input: ModelInput, needs: OutputNeeds, entry: HubEntry, stages: StageRunner, textInput: TextInput?,
        device: Device = .cpu
    ) throws -> ModelOutputs {
        let name = entry.name
        do {
            switch (input, textInput) {
            case (.tensor(let inputs), nil):
                try stages.checkInputShape(inputs.shape)
                let features = try stages.representation(inputs)
                var out = ModelOutputs(features: features)
                if needs.contains(.sourceLogits) {
                    out.sourceLogits = try stages.sourceLogits(input: inputs, features: features)?.to(.float32)
                }
                if needs.contains(.hints) { out.hints = try stages.hints(inputs) ?? [] }
                return out
            case (.texts(let texts), let textInput?):
                var (ids, mask, types) = try textInput.encode(texts, model: name)
                if device != .cpu { (ids, mask, types) = (try ids.to(device), try mask.to(device), try types.to(device)) }
                let features = try stages.representation(ids: ids, mask: mask, types: types)
                var out = ModelOutputs(features: features)
                if needs.contains(.sourceLogits) {
                    // the head is a submodule on the pooled features (`supports`)
                    out.sourceLogits = try stages.sourceLogits(input: features, features: features)?.to(.float32)
                }
                return out
            case (.texts, nil):
                throw TuningError.model(
                    name: name,
                    message:
                        "takes \(entry.card.input.kind.rawValue) input (input.kind), not texts: a model of a text dataset must be a text model")
            case (.tensor, _?):
                throw TuningError.model(
                    name: name, message: "is a text model (input.kind tokens): it takes texts from a text dataset, not an image or table batch")
            }
        } catch let error as HubError {
            throw TuningError.model(name: name, message: "\(error)")
        }
    }

    // MARK: Modes

    /// Student: train mode (dropout, batch-norm statistics) and trainable parameters.
    package func train() throws {
        try module.train()
        try module.setRequiresGrad(true)
    }

    /// Whether the parameters take gradients, leaving the train/eval mode as it is.
    /// Checkpoint folders load with frozen parameters, TorchScript files as saved: the
    /// run marks its student's before its methods look at them (L2-SP regularises
    /// the parameters that train).
    package func setTrainable(_ trainable: Bool) throws {
        try module.setRequiresGrad(trainable)
    }

    /// Teacher: eval mode and no parameter takes gradients.
    package func freeze() throws {
        try module.eval()
        try module.setRequiresGrad(false)
    }

    package var isTraining: Bool { module.isTraining }

    // MARK: Device

    /// Moves the parameters and buffers to `device` (in place: tensors taken from
    /// `namedParameters()` before follow); inputs from `inputTensor` go there too.
    package func move(to device: Device) throws {
        guard device != self.device else { return }
        try module.to(device)
        self.device = device
    }

    /// Runs `body` in eval mode and restores the previous mode afterwards (evaluation
    /// of the student must not update batch-norm statistics).
    package func withEvalMode<R>(_ body: () throws -> R) throws -> R {
        let wasTraining = module.isTraining
        try module.eval()
        defer { if wasTraining { try? module.train() } }
        return try body()
    }

    // MARK: Parameters

    /// Every parameter of the network by dotted name, live (the backbone).
    package func namedParameters() throws -> [(name: String, tensor: Tensor)] {
        try module.namedParameters()
    }

    /// Buffers (batch-norm running statistics, ...) by dotted name, live.
    package func namedBuffers() throws -> [(name: String, tensor: Tensor)] {
        try module.namedBuffers()
    }

    // MARK: Input

    /// The data transform the card asks for (as feature extraction uses it).
    package var transform: (any Transform)? { entry.card.transform() }

    /// A collated batch as the model takes it: its texts for a text model (tokenised,
    /// then moved to the device, in `outputs`), else a float32 tensor [B, ...] on the
    /// model's device.
    package func input(_ batch: Batch) throws -> ModelInput {
        guard takesTexts else {
            let values = try Tensor(batch.values, shape: batch.shape)
            return .tensor(device == .cpu ? values : try values.to(device))
        }
        guard batch.texts.count == batch.count else {
            throw TuningError.model(
                name: name, message: "is a text model, but the dataset's samples carry no texts (use a CSV, TSV or JSON Lines text dataset)")
        }
        return .texts(batch.texts)
    }
}
