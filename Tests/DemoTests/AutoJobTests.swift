import Foundation
import HubMiner
@testable import HubMinerTorch
import Report
import RunSchema
import Support
import TestSupport
import Testing
import Tuning
import Zoo

/// `auto` end to end on the demo tests' tiny zoo (3 models, 8 x 8 images): a search
/// killed after three trials resumes without repeating them, the winner is the best
/// of the last rung on validation, the test split is read once, for the winner,
/// after every other read, and a finished search run again reads nothing.
@Suite(.serialized) struct AutoJobTests {
    static func finishedTrials(_ out: URL) -> Int {
        let trials = out.appendingPathComponent("trials")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: trials.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: trials.appendingPathComponent("\($0)/result.json").path) }.count
    }

    func modified(_ url: URL) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
    }

    func isRead(_ event: SplitAccessLog.Event, _ wanted: (String) -> Bool) -> Bool {
        if case .read(let split, _) = event { return wanted(split) }
        return false
    }

    @Test func searchResumesChoosesOnValidationAndReadsTestOnce() throws {
        let cache = try TemporaryDirectory.make("hubminer-auto-test")
        defer { TemporaryDirectory.remove(cache) }
        let silent = ProgressReporter(style: .silent)
        let zoo = try ZooBuilder.build(
            plan: DemoJobTests.tinyPlan().zoo, seed: 5, directory: cache.appendingPathComponent("zoo"), progress: silent, workers: 1)
        let out = cache.appendingPathComponent("auto")
        var config = AutoConfiguration(hub: zoo.hub, data: zoo.target, out: out, cacheDirectory: cache)
        config.top = 2
        config.configs = 2
        config.teachers = 2
        config.maxEpochs = 4
        config.minEpochs = 1
        config.eta = 2
        config.batchSize = 8
        config.threads = 1

        // A first session stopped (as Ctrl-C stops it) once three trials have finished.
        let first = SplitAccessLog()
        #expect(throws: TrainingInterrupted.self) {
            try AutoJob.run(config, progress: silent, shouldStop: { Self.finishedTrials(out) >= 3 }, accessLog: first)
        }
        #expect(first.reads(of: "test").isEmpty)
        let ledgerURL = out.appendingPathComponent("trials.json")
        let before = try AutoLedger.load(Data(contentsOf: ledgerURL), file: ledgerURL.path)
        #expect(before.trials.count == 3 && before.trials.allSatisfy { $0.status == .finished })
        var dates = [String: Date]()
        for t in before.trials { dates[t.id] = try modified(out.appendingPathComponent("trials/\(t.id)/result.json")) }

        // The same command again finishes the search.
        let log = SplitAccessLog()
        let result = try AutoJob.run(config, progress: silent, accessLog: log)
        let record = result.record
        // 2 models x (finetune, btuning) x 2 settings; multikd has no target-class teachers.
        #expect(record.rungSizes == [8, 4, 2] && record.rungEpochs == [1, 2, 4])
        #expect(record.trials.count == 14 && Set(record.trials.map(\.id)).count == 14, "\(record.trials.map(\.id))")
        #expect(record.notes.contains { $0.contains("multikd") })
        #expect(Array(record.trials.prefix(3)) == before.trials, "the first session's trials are kept as they were")
        let choice = try #require(record.choice)
        for t in before.trials where t.id != choice.trial {
            #expect(try modified(out.appendingPathComponent("trials/\(t.id)/result.json")) == dates[t.id], "\(t.id) was run again")
        }

        // The winner: the best of the last rung on validation.
        let lastRung = record.trials.filter { $0.rung == 2 && $0.status == .finished }
        let best = try #require(lastRung.max { ($0.validationTop1 ?? -1, -$0.configuration) < ($1.validationTop1 ?? -1, -$1.configuration) })
        #expect(choice.trial == best.id && choice.validationTop1 == best.validationTop1)
        #expect(choice.reason.contains("of rung 2") && choice.reason.contains("on its way: "), "\(choice.reason)")
        // Promotion followed validation accuracy: rung 1 holds rung 0's best 4.
        let rung0 = record.trials.filter { $0.rung == 0 }.sorted {
            ($0.validationTop1 ?? -1, -$0.configuration) > ($1.validationTop1 ?? -1, -$1.configuration)
        }
        #expect(Set(record.trials.filter { $0.rung == 1 }.map(\.configuration)) == Set(rung0.prefix(4).map(\.configuration)))

        // The test split: every sample once, after the winner was chosen on validation
        // (every validation read comes before the choice) and after every other read
        // (rebuilding the winner's run reads training data again, never validation);
        // for the winner's chosen epoch only.
        let testCount = 40 // 4 classes x 10 test images
        #expect(log.reads(of: "test").sorted() == Array(0..<testCount))
        let events = log.events
        let firstTest = try #require(events.firstIndex { isRead($0, { $0 == "test" }) })
        let lastOther = try #require(events.lastIndex { isRead($0, { $0 != "test" }) })
        let lastValidation = try #require(events.lastIndex { isRead($0, { $0 == "validation" }) })
        let winner = try #require(events.firstIndex(of: .selected("winner \(choice.trial)")))
        #expect(lastValidation < winner && winner < firstTest && lastOther < firstTest)
        let test = try #require(choice.test)
        #expect(test.samples == testCount && test.evaluation == "evaluated once, after selection on validation")
        let winnerResult = try TuningResult.load(
            Data(contentsOf: out.appendingPathComponent("trials/\(choice.trial)/result.json")), file: "result.json")
        #expect(winnerResult.test == test && test.epoch == winnerResult.best.epoch)
        // Only the winner's run has a test result.
        for t in record.trials where t.id != choice.trial {
            let r = try TuningResult.load(Data(contentsOf: out.appendingPathComponent("trials/\(t.id)/result.json")), file: t.id)
            #expect(r.test == nil, "\(t.id) read the test split")
        }

        // Exported as a hub entry; auto.json and the report written.
        let exported = try #require(choice.exportedModel)
        let files = try FileManager.default.contentsOfDirectory(atPath: exported)
        #expect(files.contains { $0.hasSuffix(".pt") } && files.contains { $0.hasSuffix(".json") }, "\(files)")
        let saved = try AutoRecord.load(Data(contentsOf: out.appendingPathComponent("auto.json")), file: "auto.json")
        #expect(saved.choice == record.choice && saved.trials == record.trials)
        let html = try String(contentsOf: result.report, encoding: .utf8)
        #expect(html.contains("evaluated once, after selection on validation") && html.contains("<svg") && html.contains(choice.trial))
        let table = AutoRenderer.render(record, outputDirectory: out.path, report: result.report.path, as: .table)
        #expect(table.contains("<- chosen") && table.contains("test accuracy (evaluated once, after selection on validation)"))

        // Run again, even with a budget: everything is reused, nothing is read; the
        // search closed when its choice was evaluated on test.
        let again = SplitAccessLog()
        var later = config
        later.budget = 3600
        let reused = try AutoJob.run(later, progress: silent, accessLog: again)
        #expect(reused.record.choice == record.choice && reused.record.trials == record.trials)
        #expect(reused.record.notes.contains { $0.contains("the search was closed") })
        #expect(again.events.allSatisfy { if case .read = $0 { return false } else { return true } }, "\(again.events.count) events")

        // Other settings in the same directory are refused, naming the setting.
        var other = config
        other.configs = 3
        #expect(throws: AutoError.otherSearch(directory: out.path, field: "configs", saved: "2", given: "3")) {
            try AutoJob.run(other, progress: silent)
        }
    }
}
