import Data
import Foundation
import Hub
import Torch

/// What `MethodContext` hands a method, with the caches of one run: hub models
/// opened as frozen teachers (once per name) and models' outputs on the whole
/// training split (once per model and kind of output).
final class MethodResources {
    let hub: HubManifest
    let student: HubModel
    let train: any Dataset
    let batchSize: Int
    let workers: Int
    let source: String
    private var models: [String: HubModel] = [:]
    /// Keyed by model identity and output kind; the runner is kept alive with its
    /// outputs so its identity cannot be reused by another object.
    private var outputs: [OutputKey: (runner: any ModelRunner, outputs: ModelOutputs)] = [:]

    private struct OutputKey: Hashable {
        let model: ObjectIdentifier
        let needs: Int
    }

    init(hub: HubManifest, student: HubModel, train: any Dataset, batchSize: Int, workers: Int, source: String) {
        self.hub = hub
        self.student = student
        self.train = train
        self.batchSize = batchSize
        self.workers = workers
        self.source = source
    }

    /// A hub model as a frozen runner (eval mode, no gradient). Teachers see the
    /// student's samples: image teachers its very batches, so a model whose input
    /// differs (size or preprocessing) is refused rather than fed inputs it was not
    /// trained on; text teachers (of any family) the same texts, each tokenised by
    /// its own tokenizer. A text model cannot score an image dataset, nor an image
    /// model a text dataset: such a pair is refused, naming the model.
    func loadModel(_ name: String) throws -> HubModel {
        if let model = models[name] { return model }
        guard let entry = hub.entry(named: name) else {
            let problem = hub.problems.first { $0.name == name }.map { " (its card has a problem: \($0.message))" } ?? ""
            throw TuningError.model(
                name: name, message: "not in the hub \(hub.directory.path)\(problem) (models: \(hub.entries.map(\.name).joined(separator: ", ")))")
        }
        let mine = student.card
        let textTeacher = entry.card.input.kind == .tokens
        if textTeacher != student.takesTexts {
            let kind = entry.card.input.kind.rawValue
            throw TuningError.model(
                name: name,
                message: student.takesTexts
                    ? "is a model of \(kind) input, but the student '\(student.name)' is a text model: a teacher scores the student's samples, and a text dataset has no \(kind) input for it (use text teachers)"
                    : "is a text model, but the student '\(student.name)' takes \(mine.input.kind.rawValue) input: a teacher scores the student's samples, and a text model cannot score them (use teachers of \(mine.input.kind.rawValue) input)"
            )
        }
        guard textTeacher || (entry.card.input.sampleShape == mine.input.sampleShape && entry.card.transformDescription == mine.transformDescription)
        else {
            throw TuningError.model(
                name: name,
                message:
                    "takes input \(entry.card.input.sampleShape) with \(entry.card.transformDescription), but the student '\(student.name)' takes \(mine.input.sampleShape) with \(mine.transformDescription); a teacher sees the student's batches, so both must take the same input"
            )
        }
        let model = try HubModel(entry: entry)
        try model.freeze()
        // Teachers run on the student's device, on the student's batches.
        try model.move(to: student.device)
        models[name] = model
        return model
    }

    /// `runner`'s outputs on the whole training split in dataset order: no
    /// augmentation, no gradient, eval mode, the runner's own card transform.
    /// Cached per model and output kind (hints, which are large, are not cached).
    func trainingOutputs(_ runner: any ModelRunner, needs: OutputNeeds) throws -> ModelOutputs {
        let key = OutputKey(model: ObjectIdentifier(runner), needs: needs.rawValue)
        if let cached = outputs[key] { return cached.outputs }
        guard runner.supports(needs) else {
            throw TuningError.model(
                name: runner.name, message: "cannot give \(needs.contains(.hints) ? "hints" : "source logits") (its card lacks the stage)")
        }
        let hubModel = runner as? HubModel
        let device = hubModel?.device ?? student.device
        let loader = DataLoader(
            dataset: train, batchSize: batchSize, transform: (hubModel ?? student).transform,
            shuffle: false, seed: 0, workers: workers)
        var features = [Tensor]()
        var logits = [Tensor]()
        var hints = [[Tensor]]()
        let body = {
            try withNoGrad {
                let batches = loader.iterator(epoch: 0)
                defer { batches.close() }
                while let batch = try batches.nextBatch() {
                    let values = { try Tensor(batch.values, shape: batch.shape) }
                    let input: ModelInput =
                        runner.takesTexts ? .texts(batch.texts) : .tensor(device == .cpu ? try values() : try values().to(device))
                    let out = try runner.outputs(input, needs: needs)
                    features.append(try out.features.detach())
                    if let s = out.sourceLogits { logits.append(try s.detach()) }
                    if !out.hints.isEmpty { hints.append(try out.hints.map { try $0.detach() }) }
                }
            }
        }
        if let hubModel { try hubModel.withEvalMode(body) } else { try body() }
        var result = ModelOutputs(features: try Tensor.cat(features, dim: 0))
        if needs.contains(.sourceLogits), !logits.isEmpty { result.sourceLogits = try Tensor.cat(logits, dim: 0) }
        if needs.contains(.hints), let first = hints.first {
            result.hints = try (0..<first.count).map { level in try Tensor.cat(hints.map { $0[level] }, dim: 0) }
        }
        if !needs.contains(.hints) { outputs[key] = (runner, result) }
        return result
    }

    /// Training labels in dataset order; an unlabelled sample is an error.
    func trainingLabels() throws -> [Int] {
        try train.labels().enumerated().map { i, label in
            guard let label else {
                throw TuningError.invalidConfiguration(file: source, field: "data", message: "training sample \(i) has no label")
            }
            return label
        }
    }
}
