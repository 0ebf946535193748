import Torch

/// Which outputs a loss term needs from a model on a batch, beyond its pooled features.
package struct OutputNeeds: OptionSet, Sendable, Hashable {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }
    /// Intermediate feature maps, shallow to deep (the card's `hints` stage).
    package static let hints = OutputNeeds(rawValue: 1)
    /// The model's original source-head logits (the card's `source_head`).
    package static let sourceLogits = OutputNeeds(rawValue: 2)
}

/// What a model produced on one batch.
package struct ModelOutputs {
    /// [B, D] pooled representation (float32).
    package var features: Tensor
    /// Intermediate maps, shallow to deep; empty unless `.hints` was asked for.
    package var hints: [Tensor]
    /// [B, S] source-head logits; nil unless `.sourceLogits` was asked for.
    package var sourceLogits: Tensor?

    package init(features: Tensor, hints: [Tensor] = [], sourceLogits: Tensor? = nil) {
        self.features = features
        self.hints = hints
        self.sourceLogits = sourceLogits
    }
}

/// One batch as a model takes it: a float tensor [B, ...] (images, tables), or the
/// samples' texts (one string or a pair each), which every text model tokenises with
/// its own tokenizer. Teachers of a step see the same samples as the student, so a
/// text batch reaches text models only.
package enum ModelInput {
    case tensor(Tensor)
    case texts([[String]])

    /// B, the number of samples.
    package var count: Int {
        switch self {
        case .tensor(let t): return t.shape.first ?? 0
        case .texts(let texts): return texts.count
        }
    }
}

/// A network that maps an input batch to `ModelOutputs`: the student being trained
/// or a teacher. Implementations run with gradients when autograd is on and the
/// module is trainable; `Teacher` wraps one in no-grad, eval mode.
package protocol ModelRunner: AnyObject {
    var name: String { get }
    /// True for text models: they take `.texts` batches only, and images none.
    var takesTexts: Bool { get }
    /// D of `features`.
    var featureDimension: Int { get }
    /// S of `sourceLogits`, nil when the model has no source head.
    var sourceClasses: Int? { get }
    /// Whether the model can produce `needs` (for example hints need a card `hints` stage).
    func supports(_ needs: OutputNeeds) -> Bool
    func outputs(_ input: ModelInput, needs: OutputNeeds) throws -> ModelOutputs
}

extension ModelRunner {
    package var takesTexts: Bool { false }

    /// The outputs on a float tensor batch.
    package func outputs(_ inputs: Tensor, needs: OutputNeeds) throws -> ModelOutputs {
        try outputs(.tensor(inputs), needs: needs)
    }
}

/// One training step as the loss terms see it.
package struct TrainingStep {
    /// The batch as the student saw it (after augmentation; float32), or its texts.
    package var input: ModelInput
    /// [B] int64 class ids in 0..<classCount.
    package var labels: Tensor
    /// Dataset indices of the rows: stable keys for per-sample caches.
    package var indices: [Int]
    /// True when `inputs` differ from the raw dataset rows (random augmentation),
    /// so per-sample teacher outputs cannot be cached.
    package var augmented: Bool
    /// The student's outputs, with gradient.
    package var student: ModelOutputs
    /// [B, classCount] logits of the new head, with gradient.
    package var logits: Tensor
    package var classCount: Int
    package var epoch: Int
    /// Global optimiser step, from 0.
    package var iteration: Int
    /// The live student and the trainer's head on other inputs than the batch's, for
    /// terms that make new samples (`fewdata`); nil where the caller provides none.
    package var replay: StudentReplay?

    package init(
        input: ModelInput, labels: Tensor, indices: [Int], augmented: Bool, student: ModelOutputs,
        logits: Tensor, classCount: Int, epoch: Int = 0, iteration: Int = 0
    ) {
        self.input = input
        self.labels = labels
        self.indices = indices
        self.augmented = augmented
        self.student = student
        self.logits = logits
        self.classCount = classCount
        self.epoch = epoch
        self.iteration = iteration
        self.replay = nil
    }
}

/// The student as it is being trained (backbone and new head), run on inputs a term
/// made itself. `logits` records gradients to the student's parameters like the
/// step's own forward pass; `inputGradient` differentiates with respect to an input
/// only, with every parameter's gradient flag off for the call, so no parameter
/// gradient is accumulated and the step's own graph is left as it was.
package struct StudentReplay {
    /// [B, classCount] logits of the student and head on a batch (train mode).
    package var logits: (ModelInput) throws -> Tensor
    /// The tensors whose gradient flags `inputGradient` turns off (backbone and head).
    package var parameters: () throws -> [Tensor]

    package init(logits: @escaping (ModelInput) throws -> Tensor, parameters: @escaping () throws -> [Tensor]) {
        self.logits = logits
        self.parameters = parameters
    }

    /// ∂ objective(logits(x)) / ∂x for a float batch `x`, detached; the objective must
    /// give a scalar. Parameters' gradient flags are restored afterwards, even on throw.
    package func inputGradient(_ x: Tensor, _ objective: (Tensor) throws -> Tensor) throws -> Tensor {
        let parameters = try self.parameters()
        let flags = parameters.map(\.requiresGrad)
        for (p, on) in zip(parameters, flags) where on { try p.requiresGrad(false) }
        defer { for (p, on) in zip(parameters, flags) where on { _ = try? p.requiresGrad(true) } }
        return try Autograd.withGradEnabled(true) {
            let leaf = try x.detach().clone().requiresGrad(true)
            let value = try objective(try logits(.tensor(leaf)))
            try value.backward()
            guard let grad = leaf.grad else {
                throw TuningError.model(name: "student", message: "no gradient reached the input of the replayed student")
            }
            return try grad.detach().clone()
        }
    }
}

extension TrainingStep {
    /// A step on a float tensor batch.
    package init(
        inputs: Tensor, labels: Tensor, indices: [Int], augmented: Bool, student: ModelOutputs,
        logits: Tensor, classCount: Int, epoch: Int = 0, iteration: Int = 0
    ) {
        self.init(
            input: .tensor(inputs), labels: labels, indices: indices, augmented: augmented, student: student,
            logits: logits, classCount: classCount, epoch: epoch, iteration: iteration)
    }
}

/// One named, weighted term of the training loss. The trainer minimises
/// sum(weight * loss(step)) and logs every term's unweighted value under `name`.
///
/// Terms that own trainable tensors (a FitNet regressor, a learnable projection)
/// expose them in `trainableParameters`; the trainer optimises them at the head's
/// learning rate and saves them in checkpoints through `state()`/`restore(_:)`.
package protocol LossTerm: AnyObject {
    /// Log key, snake_case ("ce", "kd", "btuning_mse").
    var name: String { get }
    var weight: Double { get }
    /// What the term needs from the student beyond features and logits.
    var studentNeeds: OutputNeeds { get }
    var trainableParameters: [Tensor] { get }
    /// The unweighted scalar loss of the step.
    func loss(_ step: TrainingStep) throws -> Tensor
    /// Tensors a checkpoint must hold to resume the term exactly (default: the
    /// trainable parameters).
    func state() throws -> [(name: String, tensor: Tensor)]
    func restore(_ state: [String: Tensor]) throws
}

extension LossTerm {
    package var studentNeeds: OutputNeeds { [] }
    package var trainableParameters: [Tensor] { [] }

    package func state() throws -> [(name: String, tensor: Tensor)] {
        trainableParameters.enumerated().map { (name: "\(name).\($0.offset)", tensor: $0.element) }
    }

    package func restore(_ state: [String: Tensor]) throws {
        for (i, parameter) in trainableParameters.enumerated() {
            guard let saved = state["\(name).\(i)"] else {
                throw TuningError.checkpoint(message: "no tensor '\(name).\(i)' for loss term '\(name)'")
            }
            try withNoGrad { _ = try parameter.copy_(saved) }
        }
    }
}
