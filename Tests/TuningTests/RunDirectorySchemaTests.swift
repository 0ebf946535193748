import Foundation
import Report
import RunSchema
import Testing
import Torch
@testable import Tuning

/// The report reads exactly what tuning writes: a real run of the trainer is
/// rendered by the report code, so a field renamed on one side only fails here.
@Suite("Run-directory schema: the trainer writes, the report reads")
struct RunDirectorySchemaTests {
    @Test("a two-epoch tuning run loads into RunDirectory with every value the run returned, and renders")
    func trainerRunRendersInReport() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root, classes: 6)
        let run = root.appendingPathComponent("run")
        let out = run.appendingPathComponent("tuning/finetune/seed-0")
        var config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 2)
        config.meanClass = true
        config.export.enabled = false
        let tuned = try TuneJob.run(config: config, source: "test", resume: false)

        // The demo's other two files, through the same types.
        let info = RunInfo(title: "schema test", hub: hub.path, timings: [.init(stage: "tune", seconds: 1.5)])
        struct Recorded: Encodable { let epochs: Int; let methods: [String] }
        try info.encoded(config: Recorded(epochs: 2, methods: ["finetune"])).write(to: run.appendingPathComponent("run.json"))
        try RunJSON.encode(GroundTruth(metric: "top1", models: ["tiny": tuned.best.top1]))
            .write(to: run.appendingPathComponent("ground_truth.json"))

        let loaded = try RunDirectory.load(run.path)
        #expect(loaded.run?.title == "schema test" && loaded.run?.timings == info.timings)
        #expect(loaded.run?.config?.contains("\"methods\"") == true)
        #expect(loaded.groundTruth?.models == ["tiny": tuned.best.top1])
        let seeds = try #require(loaded.tuning.first { $0.method == "finetune" }).seeds
        #expect(seeds.map(\.seed) == [0])
        let seed = try #require(seeds.first)
        // result.json read back equals what the run returned, bit for bit.
        #expect(seed.result == tuned.result)
        #expect(seed.result?.best.meanClass != nil && seed.result?.terms.isEmpty == false)
        #expect(seed.config?.contains("\"method\"") == true)

        // log.jsonl: every line is a step or an epoch record; counted independently.
        let lines = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let events = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["event"] as? String }
        let log = try #require(seed.log)
        #expect(!log.incompleteLastLine)
        #expect(log.epochs.count == 2 && events.filter { $0 == "epoch" }.count == 2)
        #expect(!log.steps.isEmpty && log.steps.count == events.filter { $0 == "step" }.count)
        #expect(log.epochs.map(\.epoch) == [1, 2])
        let last = try #require(log.epochs.last)
        #expect(TuningResult.Snapshot(last) == tuned.last)
        #expect(log.epochs.contains { TuningResult.Snapshot($0) == tuned.best })
        #expect(last.train?.loss["total"] != nil && last.train?.top1 != nil && last.metrics.loss != nil)
        #expect(log.steps.allSatisfy { $0.loss["total"] != nil && $0.learningRate != nil })

        // The report's analysis and page take it as written.
        let analysis = TuningAnalysis(try #require(loaded.tuning.first))
        #expect(analysis.finished == [0] && analysis.bestTop1?.mean == tuned.best.top1)
        #expect(analysis.valTop1.count == 2 && analysis.lossByIteration && !analysis.lossCurves.isEmpty)
        let html = ReportRenderer.render(loaded)
        #expect(html.contains("schema test"))
        #expect(html.contains(String(format: "%.2f", tuned.best.top1 * 100)))
    }

    @Test("a resumed run's checkpoint keeps the log's epoch records (best and last)")
    func checkpointKeepsEpochRecords() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        let out = root.appendingPathComponent("out")
        var config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 1)
        config.export.enabled = false
        let tuned = try TuneJob.run(config: config, source: "test", resume: false)
        let position = try CheckpointStore(directory: out.appendingPathComponent("checkpoint")).load()
        let log = try TuningLog.load(try Data(contentsOf: out.appendingPathComponent("log.jsonl")), file: "log.jsonl")
        #expect(position.last == log.epochs.last)
        #expect(position.best.map(TuningResult.Snapshot.init) == tuned.best)
    }
}
