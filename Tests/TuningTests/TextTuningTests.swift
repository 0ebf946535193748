import Foundation
import Hub
import Support
import Testing
import Torch
@testable import Tuning

/// Tuning text checkpoints: the tiny random BERT (WordPiece) and RoBERTa (byte-level
/// BPE) of the hub fixtures as student and teachers, on a small labelled CSV whose
/// classes differ in their words.
@Suite("Text models in tuning")
struct TextTuningTests {
    static let textHub = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HubTests/Fixtures/texthub")

    /// A hub with the text checkpoints `texts` (copied) and, with `vision`, the
    /// TorchScript image model "tiny" of the trainer's tests.
    static func hub(in root: URL, texts: [String], vision: Bool = false) throws -> URL {
        let hub = vision ? try TuningFixtures.hub(in: root) : root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for name in texts {
            try FileManager.default.copyItem(at: textHub.appendingPathComponent(name), to: hub.appendingPathComponent(name))
        }
        return hub
    }

    /// `count` texts of 4-7 words drawn (seeded) from one of two word pools by
    /// class, labels alternating: a task the pooled features of a random encoder
    /// separate once tuned.
    static func dataset(in root: URL, count: Int = 48) throws -> URL {
        let pools = [
            ["good", "fast", "large", "model", "network", "training", "encoder", "open"],
            ["slow", "small", "close", "maison", "école", "garçon", "corazón", "mädchen"],
        ]
        var rng = SeededGenerator(seed: 11)
        var lines = ["text,label"]
        for i in 0..<count {
            let label = i % 2
            let words = (0..<(4 + Int(rng.uniform() * 4))).map { _ in pools[label][Int(rng.uniform() * 8) % 8] }
            lines.append("\(words.joined(separator: " ")),\(label == 0 ? "pos" : "neg")")
        }
        let url = root.appendingPathComponent("texts.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }

    static func config(hub: URL, data: URL, out: URL, target: String = "bert-wp", epochs: Int = 4) -> TuneConfiguration {
        var c = TuneConfiguration()
        c.hub = hub.path
        c.data = data.path
        c.target = target
        c.out = out.path
        c.epochs = epochs
        c.batchSize = 8
        c.optimizer.lr = 0.1
        c.split.validationFraction = 0.25
        c.logEvery = 1
        return c
    }

    /// The training loss of every epoch, from the log.
    static func epochLosses(_ out: URL) throws -> [Double] {
        let text = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line -> Double? in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["event"] as? String == "epoch" else { return nil }
            let train = try #require(object["train"] as? [String: Any])
            let loss = try #require(train["loss"] as? [String: Any])
            return try #require(loss["total"] as? Double)
        }
    }

    @Test("fine-tuning a text checkpoint runs end to end, the loss falls, and the export reloads with its tokenizer and the same outputs")
    func fineTuneAndExport() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try Self.hub(in: root, texts: ["bert-wp"])
        let data = try Self.dataset(in: root)
        var config = Self.config(hub: hub, data: data, out: root.appendingPathComponent("out"))
        config.export.weights = "last"
        let result = try TuneJob.run(config: config, source: "test", resume: false)
        let losses = try Self.epochLosses(root.appendingPathComponent("out"))
        #expect(losses.count == 4)
        #expect(losses.last! < 0.8 * losses.first!, "training losses per epoch: \(losses)")

        // The export: a TorchScript entry whose card names the copied tokenizer folder.
        let exportDir = try #require(result.exportedModel)
        let exported = try HubManifest.load(exportDir)
        #expect(exported.problems.isEmpty, "\(exported.problems)")
        let entry = try #require(exported.entry(named: "bert-wp-finetune"))
        #expect(entry.card.input.kind == .tokens && entry.card.input.tokenizer == "bert-wp-finetune.tokenizer")
        for file in ["tokenizer.json", "config.json"] {
            #expect(FileManager.default.fileExists(atPath: exportDir.appendingPathComponent("bert-wp-finetune.tokenizer/\(file)").path))
        }
        let tuned = try HubModel(entry: entry)
        #expect(tuned.takesTexts && tuned.sourceClasses == 2)

        // The trainer's view of the last epoch: the original checkpoint with the saved
        // weights, and the saved head.
        let store = CheckpointStore(directory: root.appendingPathComponent("out/checkpoint"))
        let position = try store.load()
        let saved = try store.loadTensors(position.tensorsFile, names: position.tensorNames)
        let original = try HubModel(entry: try #require(try HubManifest.load(hub).entry(named: "bert-wp")))
        try restore(try original.namedParameters().map { (name: "model.\($0.name)", tensor: $0.tensor) }, from: saved, file: "checkpoint")
        let texts: [[String]] = [["good fast model"], ["small maison"], ["an unseen sentence, with punctuation!"]]
        let viaExport = try withNoGrad { try tuned.outputs(.texts(texts), needs: .sourceLogits) }
        let features = try withNoGrad { try original.outputs(.texts(texts), needs: []).features }
        let logits = try Functional.linear(features, weight: try #require(saved["head.weight"]), bias: try #require(saved["head.bias"]))
        #expect(try viaExport.features.isClose(to: features, rtol: 1e-6, atol: 1e-6))
        #expect(try viaExport.sourceLogits!.isClose(to: logits, rtol: 1e-5, atol: 1e-6))
        // The weights moved: the tuned features are not the pre-trained ones.
        let pretrained = try HubModel(entry: try #require(try HubManifest.load(hub).entry(named: "bert-wp")))
        let before = try withNoGrad { try pretrained.outputs(.texts(texts), needs: []).features }
        #expect(try !before.isClose(to: features, rtol: 1e-3, atol: 1e-4))
    }

    @Test("a text run interrupted mid-epoch and resumed ends bit for bit as the uninterrupted run")
    func resumeMidEpoch() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try Self.hub(in: root, texts: ["bert-wp"])
        let data = try Self.dataset(in: root)
        var config = Self.config(hub: hub, data: data, out: root.appendingPathComponent("straight"), epochs: 2)
        config.checkpointEvery = 2
        config.export.enabled = false
        let straight = try TuneJob.run(config: config, source: "test", resume: false)

        config.out = root.appendingPathComponent("resumed").path
        var steps = 0
        // 36 training texts in batches of 8: stopped at iteration 3, inside epoch 1.
        let stopped = #expect(throws: TrainingInterrupted.self) {
            _ = try TuneJob.run(
                config: config, source: "test", resume: false,
                shouldStop: {
                    steps += 1
                    return steps >= 3
                })
        }
        #expect(stopped?.iteration == 3)
        let resumed = try TuneJob.run(config: config, source: "test", resume: true)
        let a = try ResumeTests().finalState(root.appendingPathComponent("straight"))
        let b = try ResumeTests().finalState(root.appendingPathComponent("resumed"))
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        #expect(a.tensors.keys.contains("head.weight") && a.tensors.keys.contains("model.encoder.layer.0.attention.self.query.weight"))
        for (name, values) in a.tensors {
            #expect(values == b.tensors[name], "tensor \(name) differs after resuming")
        }
        #expect(a.log == b.log)
        #expect(straight.best == resumed.best && straight.last == resumed.last && straight.iterations == resumed.iterations)
    }

    @Test("B-Tuning a text student: a text teacher of another family (RoBERTa for BERT) works; a vision teacher is refused by name")
    func bTuningTeachers() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try Self.hub(in: root, texts: ["bert-wp", "roberta-bpe"], vision: true)
        let data = try Self.dataset(in: root)
        var config = Self.config(hub: hub, data: data, out: root.appendingPathComponent("text-teacher"), epochs: 2)
        config.method = "btuning"
        config.optimizer.lr = 0.01
        config.teachers = ["roberta-bpe"]
        config.export.enabled = false
        let result = try TuneJob.run(config: config, source: "test", resume: false)
        #expect(result.terms.map(\.name).contains { $0.hasPrefix("btuning") })
        let losses = try Self.epochLosses(root.appendingPathComponent("text-teacher"))
        #expect(losses.count == 2 && losses.allSatisfy(\.isFinite))

        config.out = root.appendingPathComponent("vision-teacher").path
        config.teachers = ["roberta-bpe", "tiny"]
        #expect {
            _ = try TuneJob.run(config: config, source: "test", resume: false)
        } throws: { error in
            let text = "\(error)"
            return text.contains("'tiny'") && text.contains("text model") && text.contains("bert-wp")
        }
        // The other way round: a vision student refuses a text teacher.
        var vision = TuningFixtures.config(
            hub: hub, data: try TuningFixtures.dataset(in: root), out: root.appendingPathComponent("vision"), epochs: 1)
        vision.method = "rkd"
        vision.teachers = ["roberta-bpe"]
        #expect {
            _ = try TuneJob.run(config: vision, source: "test", resume: false)
        } throws: { error in
            "\(error)".contains("roberta-bpe") && "\(error)".contains("is a text model")
        }
    }

    @Test("relational distillation between two text families runs; hint methods refuse text models with the reason")
    func distillationOnPooledFeatures() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try Self.hub(in: root, texts: ["bert-wp", "roberta-bpe"])
        let data = try Self.dataset(in: root, count: 24)
        var config = Self.config(hub: hub, data: data, out: root.appendingPathComponent("rkd"), epochs: 1)
        config.method = "rkd"
        config.teachers = ["roberta-bpe"]
        config.export.enabled = false
        let result = try TuneJob.run(config: config, source: "test", resume: false)
        #expect(result.terms.map(\.name).contains { $0.hasPrefix("rkd") })

        config.out = root.appendingPathComponent("fitnet").path
        config.method = "fitnet"
        #expect {
            _ = try TuneJob.run(config: config, source: "test", resume: false)
        } throws: { error in
            "\(error)".contains("hint") && "\(error)".contains("text model")
        }
    }

    @Test("input.tokenizer: only on token models, and only a folder beside the card")
    func tokenizerFieldIsChecked() throws {
        let ok = ModelCard(name: "t", file: "t.pt", input: InputSpec(kind: .tokens, sequenceLength: 8, tokenizer: "t.tokenizer"))
        #expect(ok.validationProblem() == nil)
        let image = ModelCard(name: "t", file: "t.pt", input: InputSpec(tokenizer: "t.tokenizer"))
        #expect(image.validationProblem()?.field == "input.tokenizer")
        for bad in ["", "/abs/tok", "../tok", "a/../../tok"] {
            let card = ModelCard(name: "t", file: "t.pt", input: InputSpec(kind: .tokens, sequenceLength: 8, tokenizer: bad))
            #expect(card.validationProblem()?.field == "input.tokenizer", "\(bad)")
        }
    }
}
