import Foundation
import Hub
import Support
import Testing
import Torch
@testable import Tuning

/// The text path of the regularisers and distillation methods that
/// `TextTuningTests` does not cover: each runs a short `tune` on the tiny text
/// checkpoints and the labelled texts of `TextTuningTests`, and its term is
/// logged with a finite loss. Target-tuned teachers (kd, dkd, multikd) and the
/// source head that lwf and cotuning need come from two one-epoch fine-tunes of
/// the text checkpoints, exported as TorchScript with their tokenizers.
@Suite("Text models in every method")
struct TextMethodTests {
    static let cases: [(method: String, target: String, teachers: [String])] = [
        ("l2sp", "bert-wp", []),
        ("bss", "bert-wp", []),
        ("lwf", "bert-wp-finetune", []),
        ("cotuning", "bert-wp-finetune", []),
        ("pkt", "bert-wp", ["roberta-bpe"]),
        ("sp", "bert-wp", ["roberta-bpe"]),
        ("kd", "bert-wp", ["roberta-bpe-finetune"]),
        ("dkd", "bert-wp", ["roberta-bpe-finetune"]),
        ("multikd", "bert-wp", ["roberta-bpe-finetune", "bert-wp-finetune"]),
    ]

    @Test("l2sp, bss, lwf, cotuning, pkt, sp, kd, dkd and multikd tune a text student; each logs its term with finite losses")
    func everyMethod() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        // The hub: bert-wp, roberta-bpe and their one-epoch fine-tuned exports (text models with a 2-class head).
        let hub = try TextTuningTests.hub(in: root, texts: ["bert-wp", "roberta-bpe"])
        let data = try TextTuningTests.dataset(in: root, count: 24)
        for name in ["bert-wp", "roberta-bpe"] {
            var config = TextTuningTests.config(hub: hub, data: data, out: root.appendingPathComponent("pre-\(name)"), target: name, epochs: 1)
            config.export.weights = "last"
            let export = try #require(try TuneJob.run(config: config, source: "test", resume: false).exportedModel)
            for file in try FileManager.default.contentsOfDirectory(atPath: export.path) where file.hasPrefix("\(name)-finetune") {
                try FileManager.default.copyItem(at: export.appendingPathComponent(file), to: hub.appendingPathComponent(file))
            }
        }
        for spec in Self.cases {
            let out = root.appendingPathComponent("run-\(spec.method)")
            var config = TextTuningTests.config(hub: hub, data: data, out: out, target: spec.target, epochs: 1)
            config.method = spec.method
            config.teachers = spec.teachers
            config.optimizer.lr = 0.01
            config.export.enabled = false
            let result = try TuneJob.run(config: config, source: "test", resume: false)
            #expect(result.terms.map(\.name).contains { $0.hasPrefix(spec.method) }, "\(spec.method): terms \(result.terms.map(\.name))")
            let losses = try TextTuningTests.epochLosses(out)
            #expect(losses.count == 1 && losses.allSatisfy(\.isFinite), "\(spec.method): \(losses)")
            // The method's own term, as logged for the epoch.
            let log = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8)
            let epoch = try #require(
                try log.split(separator: "\n").compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                    .last { $0["event"] as? String == "epoch" })
            let terms = try #require((epoch["train"] as? [String: Any])?["loss"] as? [String: Any])
            let own = terms.filter { $0.key.hasPrefix(spec.method) }.compactMap { $0.value as? Double }
            #expect(!own.isEmpty && own.allSatisfy(\.isFinite), "\(spec.method): logged terms \(terms)")
        }
    }
}
