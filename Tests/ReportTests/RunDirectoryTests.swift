import Foundation
import Ranking
import Testing
@testable import Report

@Suite("Run directory loading")
struct RunDirectoryTests {
    @Test("the fixture loads completely: ranking, truth, evaluation, 4 methods x 3 seeds")
    func loadsFixture() throws {
        let run = try RunDirectory.load(Fixture.run)
        let info = try #require(run.run)
        #expect(info.title.hasPrefix("Demo run"))
        #expect(info.timings.map(\.stage) == ["extract", "rank", "ground truth", "evaluate", "tune"])
        let ranking = try #require(run.ranking)
        #expect(ranking.metricNames == ["logme", "hscore", "transrate", "gbc", "sfda", "knn"])
        #expect(ranking.models.count == 6)
        #expect(run.groundTruth?.models["vit-like-384"] == 0.815)
        #expect(run.evaluation?.keys.sorted() == ["gbc", "hscore", "knn", "logme", "params_m", "sfda", "transrate"])
        #expect(run.tuning.map(\.method) == ["btuning", "finetune", "kd", "l2sp"])
        for method in run.tuning {
            #expect(method.seeds.map(\.seed) == [0, 1, 2])
            for seed in method.seeds {
                let log = try #require(seed.log)
                // 8 epochs of 24 iterations, logged every 10 and at each epoch's end:
                // 19 multiples of 10 up to 192, plus 8 epoch ends, less 120 (both).
                #expect(log.epochs.count == 8)
                #expect(log.steps.count == 26)
                #expect(seed.result?.seed == seed.seed && seed.result?.method == method.method)
                #expect(seed.config != nil)
            }
        }
        let kd = try #require(run.tuning.first { $0.method == "kd" }?.seeds.first?.log?.steps.first)
        #expect(kd.loss.keys.sorted() == ["ce", "kd", "total"])
    }

    @Test("mean ± std over seeds matches a hand computation on the fixture's kd runs")
    func seedStatistics() throws {
        let run = try RunDirectory.load(Fixture.run)
        let kd = TuningAnalysis(try #require(run.tuning.first { $0.method == "kd" }))
        // result.json best.top1 of seeds 0, 1, 2: 0.7925, 0.7960, 0.7917.
        // mean = 2.3802 / 3 = 0.7934; deviations -0.0009, 0.0026, -0.0017;
        // squares 8.1e-7 + 6.76e-6 + 2.89e-6 = 1.046e-5; / (3 - 1) = 5.23e-6;
        // std = sqrt(5.23e-6) = 0.00228691932...
        let best = try #require(kd.bestTop1)
        #expect(best.count == 3)
        #expect(abs(best.mean - 0.7934) < 1e-12)
        #expect(abs(best.standardDeviation - 0.0022869193252058544) < 1e-12)
        #expect(best.minimum == 0.7917 && best.maximum == 0.796)
        #expect(ReportPage.percentSpread(best) == "79.34 ± 0.23")
    }

    @Test("seed statistics: one seed has no spread; none gives nothing")
    func statisticsEdges() throws {
        let one = try #require(SeedStatistics([0.5]))
        #expect(one.mean == 0.5 && one.standardDeviation == 0)
        #expect(SeedStatistics([]) == nil)
        let two = try #require(SeedStatistics([1, 3]))
        #expect(two.mean == 2 && abs(two.standardDeviation - 2.0.squareRoot()) < 1e-15)
    }

    @Test("weighted tau computed from ranking + truth equals what hubminer evaluate wrote")
    func tauAgreesWithEvaluate() throws {
        let run = try RunDirectory.load(Fixture.run)
        let ranking = try #require(run.ranking)
        let evaluation = try #require(run.evaluation)
        let computed = RankingAnalysis(ranking: ranking, truth: run.groundTruth, evaluation: nil)
        for metric in computed.metrics {
            let written = try #require(evaluation[metric.name]?.weightedTau)
            let mine = try #require(metric.weightedTau)
            #expect(abs(mine - written) < 1e-12, "\(metric.name): \(mine) vs \(written)")
        }
    }

    @Test("not a directory, or a directory with none of the files, is an error")
    func notARun() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-run-\(UUID().uuidString)").path
        #expect(
            Fixture.error { _ = try RunDirectory.load(missing) }
                == "\(missing): not a directory (expected a run directory holding run.json, ranking.json, ...)")
        let empty = try Fixture.copy(empty: true)
        defer { Fixture.remove(empty) }
        #expect(Fixture.error { _ = try RunDirectory.load(empty) }?.contains("none of run.json, ranking.json") == true)
    }

    /// Replaces line `number` (1-based) of a file.
    static func replaceLine(_ number: Int, in path: String, with text: String) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        lines[number - 1] = text
        try Fixture.write(lines.joined(separator: "\n"), to: path)
    }

    @Test("malformed files: errors name the file, the line and the field")
    func namedErrors() throws {
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        let log = root + "/tuning/kd/seed-0/log.jsonl"
        let original = try String(contentsOfFile: log, encoding: .utf8)

        try Self.replaceLine(12, in: log, with: #"{"event":"step","epoch":3,"iteration":72,"loss":1.6}"#)
        #expect(
            Fixture.error { _ = try RunDirectory.load(root) }
                == "\(root)/tuning/kd/seed-0/log.jsonl: line 12: field 'loss': expected an object, found a number")

        try Self.replaceLine(12, in: log, with: #"{"event":"epoch","epoch":3,"iteration":72,"val":{"top5":0.9}}"#)
        #expect(
            Fixture.error { _ = try RunDirectory.load(root) }
                == "\(root)/tuning/kd/seed-0/log.jsonl: line 12: field 'val.top1': missing, expected a number")

        try Self.replaceLine(12, in: log, with: #"{"event":"step","epoch":3,"iteration":72,"loss":{"ce":"low"}}"#)
        #expect(
            Fixture.error { _ = try RunDirectory.load(root) }
                == "\(root)/tuning/kd/seed-0/log.jsonl: line 12: field 'loss.ce': expected a number, found a string")

        try Self.replaceLine(5, in: log, with: #"{"event":"step","epoch":1,"#)
        #expect(Fixture.error { _ = try RunDirectory.load(root) }?.hasPrefix("\(root)/tuning/kd/seed-0/log.jsonl: line 5: not valid JSON") == true)
        try Fixture.write(original, to: log)

        let result = root + "/tuning/l2sp/seed-2/result.json"
        try Fixture.write(#"{"method":"l2sp","model":"m","seed":2,"last":{"epoch":8,"top1":0.7}}"#, to: result)
        #expect(Fixture.error { _ = try RunDirectory.load(root) } == "\(result): field 'best': missing, expected an object")
        try Fixture.write(#"{"method":"l2sp","model":"m","seed":"two","best":{},"last":{}}"#, to: result)
        #expect(Fixture.error { _ = try RunDirectory.load(root) } == "\(result): field 'seed': expected an integer, found a string")
        try Fixture.write(#"{"method": "l2sp", "#, to: result)
        #expect(Fixture.error { _ = try RunDirectory.load(root) }?.hasPrefix("\(result): not valid JSON") == true)
        try FileManager.default.removeItem(atPath: result)

        try Fixture.write(#"{"metric":"top1","models":{"a":0.5,"b":"high"}}"#, to: root + "/ground_truth.json")
        #expect(
            Fixture.error { _ = try RunDirectory.load(root) }
                == "\(root)/ground_truth.json: field 'models.b': expected a number, found a string")
        try FileManager.default.removeItem(atPath: root + "/ground_truth.json")

        try Fixture.write(#"{"created":"today"}"#, to: root + "/run.json")
        #expect(Fixture.error { _ = try RunDirectory.load(root) } == "\(root)/run.json: field 'title': missing, expected a string")
        try Fixture.write(#"{"title":"t","timings":[{"stage":"a","seconds":1},{"stage":"b"}]}"#, to: root + "/run.json")
        #expect(Fixture.error { _ = try RunDirectory.load(root) } == "\(root)/run.json: field 'timings[1].seconds': missing, expected a number")
        try FileManager.default.removeItem(atPath: root + "/run.json")

        // ranking.json goes through the project's own Codable types: a model without a name.
        let rankingPath = root + "/ranking.json"
        var ranking = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rankingPath))) as! [String: Any]
        var models = ranking["models"] as! [[String: Any]]
        models[2].removeValue(forKey: "name")
        ranking["models"] = models
        try JSONSerialization.data(withJSONObject: ranking).write(to: URL(fileURLWithPath: rankingPath))
        #expect(Fixture.error { _ = try RunDirectory.load(root) } == "\(rankingPath): field 'models[2].name': missing, expected a value")
        try Fixture.write(
            #"{"task":"classification","metric":"logme","metric_names":["logme"],"models":[{"name":"a","score":"high"}]}"#,
            to: rankingPath)
        #expect(Fixture.error { _ = try RunDirectory.load(root) }?.hasPrefix("\(rankingPath): field 'models[0].score': expected a number") == true)
        try FileManager.default.removeItem(atPath: rankingPath)

        try Fixture.write(#"{"metrics":{"logme":{"weighted_tau":"x","regret_top1":0}}}"#, to: root + "/evaluation.json")
        #expect(
            Fixture.error { _ = try RunDirectory.load(root) }?.hasPrefix(
                "\(root)/evaluation.json: field 'metrics.logme.weighted_tau': expected a number") == true)
    }

    @Test("a log line still being written (no newline, not yet valid) is left out, not an error")
    func liveLog() throws {
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        let log = root + "/tuning/kd/seed-1/log.jsonl"
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try Fixture.write(text + #"{"event":"step","epoch":9,"iter"#, to: log)
        let run = try RunDirectory.load(root)
        let seed = try #require(run.tuning.first { $0.method == "kd" }?.seeds.first { $0.seed == 1 })
        #expect(seed.log?.incompleteLastLine == true)
        #expect(seed.log?.steps.count == 26)
        // The same text followed by a newline is a finished, broken line: an error.
        try Fixture.write(text + #"{"event":"step","epoch":9,"iter"# + "\n", to: log)
        #expect(Fixture.error { _ = try RunDirectory.load(root) }?.contains("log.jsonl: line 35: not valid JSON") == true)
    }
}
