import Foundation
import Testing
import Torch
@testable import Tuning

/// A resumed run must continue exactly where the interrupted one stopped.
@Suite("Trainer resume")
struct ResumeTests {
    /// The checkpoint's tensors by name, and the log's lines without their timings.
    func finalState(_ out: URL) throws -> (tensors: [String: [Float]], log: [String]) {
        let store = CheckpointStore(directory: out.appendingPathComponent("checkpoint"))
        let position = try store.load()
        let tensors = try store.loadTensors(position.tensorsFile, names: position.tensorNames)
        var values = [String: [Float]]()
        for (name, t) in tensors where t.dtype == .float32 { values[name] = try t.toArray(of: Float.self) }
        let text = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8)
        let lines = try text.split(separator: "\n").map { line -> String in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            object["seconds"] = nil
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        return (values, lines)
    }

    /// Runs the configuration straight, then interrupted after `stopAfter`
    /// iterations and resumed; both must end with the same tensors and log.
    func check(stopAfter: Int, checkpointEvery: Int? = nil) throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        var config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("straight"))
        config.augment = true
        config.augmentPadding = 1
        config.checkpointEvery = checkpointEvery
        config.schedule.warmupEpochs = 0.5
        config.export.enabled = false
        let straight = try TuneJob.run(config: config, source: "test", resume: false)

        config.out = root.appendingPathComponent("resumed").path
        var steps = 0
        let stopped = #expect(throws: TrainingInterrupted.self) {
            _ = try TuneJob.run(
                config: config, source: "test", resume: false,
                shouldStop: {
                    steps += 1
                    return steps >= stopAfter
                })
        }
        #expect(stopped?.iteration == stopAfter)
        let resumed = try TuneJob.run(config: config, source: "test", resume: true)

        let a = try finalState(root.appendingPathComponent("straight"))
        let b = try finalState(root.appendingPathComponent("resumed"))
        #expect(a.tensors.keys.sorted() == b.tensors.keys.sorted())
        #expect(a.tensors.keys.contains("buffer.running") && a.tensors.keys.contains("head.weight"))
        for (name, values) in a.tensors {
            #expect(values == b.tensors[name], "tensor \(name) differs after resuming")
        }
        #expect(a.log == b.log)
        #expect(a.log.count > 6)
        #expect(straight.best == resumed.best && straight.last == resumed.last && straight.iterations == resumed.iterations)
    }

    @Test("interrupted at the end of epoch 1, resumed: parameters, buffers and log match bit for bit")
    func resumeAfterEpoch() throws {
        // 72 training samples, batches of 16 with the last dropped: 4 per epoch.
        try check(stopAfter: 4)
    }

    @Test("interrupted mid-epoch (with per-iteration checkpoints), resumed: bit-for-bit equal")
    func resumeMidEpoch() throws {
        try check(stopAfter: 6, checkpointEvery: 3)
    }

    @Test("a new run refuses a directory holding a checkpoint; a resumed run refuses changed settings")
    func refusals() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        var config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("out"), epochs: 1)
        _ = try TuneJob.run(config: config, source: "test", resume: false)
        #expect(throws: TuningError.self) { _ = try TuneJob.run(config: config, source: "test", resume: false) }
        config.optimizer.lr = 0.5
        do {
            _ = try TuneJob.run(config: config, source: "test", resume: true)
            Issue.record("resume with another learning rate was accepted")
        } catch let error as TuningError {
            #expect(error.description.contains("optimizer.lr"), "\(error)")
        }
    }
}
