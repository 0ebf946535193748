import Foundation
import Hub
import Testing
import Torch
@testable import Tuning

/// A term whose loss becomes NaN at a chosen iteration.
final class PoisonTerm: LossTerm {
    let name = "poison"
    let weight = 1.0
    let at: Int
    init(at: Int) { self.at = at }
    func loss(_ step: TrainingStep) throws -> Tensor {
        try step.logits.mean() * (step.iteration == at ? Double.nan : 0)
    }
}

/// A term with its own trainable tensor (checks the term parameter group).
final class ScaleTerm: LossTerm {
    let name = "scale"
    let weight = 0.5
    let scale: Tensor
    init() throws { scale = try Tensor.ones([1]).requiresGrad(true) }
    var trainableParameters: [Tensor] { [scale] }
    func loss(_ step: TrainingStep) throws -> Tensor { try (step.student.features.mean() * scale).square() }
}

@Suite("Trainer")
struct TrainerTests {
    func setUp(_ root: URL, epochs: Int = 3, count: Int = 96) throws -> (TuneConfiguration, HubModel, TuneData) {
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root, count: count)
        let config = try TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("out"), epochs: epochs)
            .resolved(source: "test")
        let manifest = try HubManifest.load(hub)
        let model = try HubModel(entry: try #require(manifest.entry(named: "tiny")))
        let split = try TuneData.open(data, validationFraction: 0.25, seed: 0)
        return (config, model, split)
    }

    @Test("parameter groups: backbone at backbone_lr_multiplier x lr, head and term tensors at lr")
    func parameterGroups() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        var (config, model, data) = try setUp(root)
        config.schedule.name = "constant"
        config.optimizer.lr = 0.2
        config.optimizer.backboneLrMultiplier = 0.25
        let term = try ScaleTerm()
        let trainer = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [term], output: root.appendingPathComponent("out"))
        #expect(trainer.optimizer.learningRates == [0.05, 0.2, 0.2])
        #expect(trainer.optimizer.groups[0].parameters.count == 3) // w, b, head of the hub model
        #expect(trainer.optimizer.groups[1].parameters.count == 2)
        #expect(trainer.optimizer.groups[2].parameters.first === term.scale)
        #expect(trainer.terms.map(\.name) == ["ce", "scale"])
        #expect(model.isTraining)
        // With cosine, the groups keep their ratio at every step.
        config.schedule.name = "cosine"
        let cosine = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [], output: root.appendingPathComponent("out2"))
        cosine.scheduler.stepCount = 5
        let rates = cosine.optimizer.learningRates
        #expect(abs(rates[0] / rates[1] - 0.25) < 1e-12 && rates[1] < 0.2)
    }

    @Test("fine-tuning a tiny learnable task raises validation accuracy far above chance")
    func learns() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        var (config, model, data) = try setUp(root, epochs: 8, count: 240)
        config.optimizer.lr = 0.1
        let trainer = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [], output: root.appendingPathComponent("out"))
        let before = try trainer.evaluate()
        let outcome = try trainer.run(resume: false)
        // Three classes: chance is 1/3.
        #expect(before.top1 < 0.6)
        #expect(outcome.best.metrics.top1 >= 0.9, "best \(outcome.best)")
        #expect(outcome.last.epoch == 8 && outcome.epochs == 8)
        #expect(outcome.best.metrics.top1 >= outcome.last.metrics.top1)
    }

    @Test("a non-finite loss stops training with the term's name and the iteration")
    func diverged() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let (config, model, data) = try setUp(root, epochs: 1)
        let trainer = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [PoisonTerm(at: 2)], output: root.appendingPathComponent("out"))
        #expect(throws: TuningError.diverged(term: "poison", iteration: 3, message: "the loss is nan (lower the learning rate or the term's weight)"))
        {
            _ = try trainer.run(resume: false)
        }
    }

    @Test("interruption writes a checkpoint naming the position, and the log is cut back on resume")
    func interruption() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let (config, model, data) = try setUp(root, epochs: 2)
        let out = root.appendingPathComponent("out")
        let trainer = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [], output: out)
        let request = InterruptRequest()
        var steps = 0
        trainer.shouldStop = {
            steps += 1
            if steps == 3 { request.request() }
            return request.isRequested
        }
        let error = #expect(throws: TrainingInterrupted.self) { _ = try trainer.run(resume: false) }
        #expect(error?.iteration == 3 && error?.epoch == 1)
        #expect(error?.description.contains("--resume") == true)
        let position = try CheckpointStore(directory: out.appendingPathComponent("checkpoint")).load()
        #expect(position.iteration == 3 && position.batchInEpoch == 3 && position.epoch == 0)
        let logBytes = try Data(contentsOf: out.appendingPathComponent("log.jsonl")).count
        #expect(UInt64(logBytes) == position.logBytes)
        // Lines written after the checkpoint are dropped when the log reopens for a resume.
        try Data("{\"event\":\"step\",\"stray\":true}\n".utf8).append(to: out.appendingPathComponent("log.jsonl"))
        let log = try TrainingLog(url: out.appendingPathComponent("log.jsonl"), keepingBytes: position.logBytes)
        #expect(log.length == position.logBytes)
    }

    @Test("a frozen backbone (multiplier 0) trains the head only and keeps the model in eval mode")
    func frozenBackbone() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        var (config, model, data) = try setUp(root, epochs: 1)
        config.optimizer.backboneLrMultiplier = 0
        let before = try model.namedParameters().map { try $0.tensor.toArray(of: Float.self) }
        let trainer = try Trainer(
            config: config, student: model, train: data.train, validation: data.validation,
            methodTerms: [], output: root.appendingPathComponent("out"))
        _ = try trainer.run(resume: false)
        #expect(!model.isTraining)
        #expect(try model.namedParameters().map { try $0.tensor.toArray(of: Float.self) } == before)
    }
}

extension Data {
    func append(to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        handle.write(self)
    }
}
