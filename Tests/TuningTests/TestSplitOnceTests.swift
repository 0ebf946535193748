import Foundation
import RunSchema
import Testing

@testable import Tuning

/// The rule every command follows: choose on validation, read the test split once,
/// after the choice, for the chosen model only. Proven with the run's recorded reads.
@Suite("Test split read once, after selection")
struct TestSplitOnceTests {
    /// `root/data/train` and `root/data/test` (image arrays; test has other samples).
    static func trainTestData(in root: URL, train: Int = 96, test: Int = 30) throws -> URL {
        let data = root.appendingPathComponent("splitdata")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for (name, count, seed) in [("train", train, UInt64(7)), ("test", test, UInt64(99))] {
            let scratch = root.appendingPathComponent("scratch-\(name)")
            let made = try TuningFixtures.dataset(in: scratch, count: count, seed: seed)
            try FileManager.default.moveItem(at: made, to: data.appendingPathComponent(name))
        }
        return data
    }

    @Test("tune: every test sample is read exactly once, after training chose its epoch; result.json says so")
    func tuneReadsTestOnceAfterSelection() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try Self.trainTestData(in: root)
        let out = root.appendingPathComponent("run")
        let config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 3)
        let log = SplitAccessLog()
        let tuned = try TuneJob.run(config: config, source: "test", resume: false, accessLog: log)

        let events = log.events
        let testReads = log.reads(of: "test")
        #expect(testReads.sorted() == Array(0..<30), "each of the 30 test samples once: \(testReads.sorted())")
        // Every test read comes after the last training or validation read and after
        // the choice of the epoch.
        let firstTest = try #require(events.firstIndex { if case .read("test", _) = $0 { return true } else { return false } })
        let lastOther = try #require(
            events.lastIndex {
                if case .read(let split, _) = $0 { return split != "test" }
                return false
            })
        let selection = try #require(events.firstIndex { if case .selected = $0 { return true } else { return false } })
        #expect(lastOther < selection && selection < firstTest)
        #expect(log.reads(of: "validation").count == 3 * 24, "3 evaluations of the 24 held-out samples")

        // The chosen epoch's test result, labelled, in the return value and result.json.
        let test = try #require(tuned.test)
        #expect(test.epoch == tuned.best.epoch && test.samples == 30 && (0...1).contains(test.top1))
        #expect(test.evaluation == "evaluated once, after selection on validation")
        let saved = try TuningResult.load(Data(contentsOf: out.appendingPathComponent("result.json")), file: "result.json")
        #expect(saved.test == test)
        let json = try String(contentsOf: out.appendingPathComponent("result.json"), encoding: .utf8)
        #expect(json.contains("\"evaluation\" : \"evaluated once, after selection on validation\""), "\(json)")
    }

    @Test("resuming a finished run evaluates the chosen epoch's weights again (the best are loaded, not the last): the same test result")
    func testAccuracyIsTheChosenEpochs() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try Self.trainTestData(in: root)
        let out = root.appendingPathComponent("run")
        var config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 3)
        config.optimizer.lr = 0.3 // a rate that makes the epochs differ
        let tuned = try TuneJob.run(config: config, source: "test", resume: false)
        let test = try #require(tuned.test)
        // Resuming the finished run restores the last epoch's weights; its test
        // evaluation loads the best epoch's again, so the number is the same.
        let again = try TuneJob.run(config: config, source: "test", resume: true)
        #expect(again.test == test)
        #expect(again.best == tuned.best)
    }

    @Test("a run asked not to read it (auto's trials) never opens the test split; a dataset without one reports none")
    func noTestReads() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try Self.trainTestData(in: root)
        let log = SplitAccessLog()
        var config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("a"), epochs: 1)
        config.export.enabled = false
        let trial = try TuneJob.run(config: config, source: "test", resume: false, evaluateTest: false, accessLog: log)
        #expect(trial.test == nil && log.reads(of: "test").isEmpty && !log.reads(of: "train").isEmpty)

        let plain = try TuningFixtures.dataset(in: root.appendingPathComponent("plain"))
        config = TuningFixtures.config(hub: hub, data: plain, out: root.appendingPathComponent("b"), epochs: 1)
        config.export.enabled = false
        #expect(try TuneJob.run(config: config, source: "test", resume: false).test == nil)
    }
}
