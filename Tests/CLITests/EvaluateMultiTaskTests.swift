import Foundation
import HubMiner
import Ranking
import Testing

/// `hubminer evaluate` with several --scores/--truth pairs, run as a program: each
/// metric's and baseline's mean rank, win rate and mean weighted tau across tasks,
/// checked against weighted taus computed here task by task.
@Suite("evaluate over several tasks")
struct EvaluateMultiTaskTests {
    static let models = ["a", "b", "c", "d", "e"]

    /// Writes one task: per-model scores of each metric (rank's JSON layout) and a
    /// truth CSV with `accuracy` and the static baseline `params`.
    static func writeTask(
        _ name: String, in dir: URL, metrics: [String: [Double]], accuracy: [Double],
        params: [Double]
    ) throws -> (scores: URL, truth: URL) {
        let rows = models.indices.map { i in
            let perMetric = metrics.keys.sorted().map { #""\#($0)": {"score": \#(metrics[$0]![i])}"# }.joined(separator: ", ")
            return #"{"name": "\#(models[i])", "score": 0, "metrics": {\#(perMetric)}}"#
        }
        let scores = dir.appendingPathComponent("\(name).json"), truth = dir.appendingPathComponent("\(name).csv")
        try Data(#"{"metric": "logme", "models": [\#(rows.joined(separator: ", "))]}"#.utf8).write(to: scores)
        let lines = ["model,accuracy,params"] + models.indices.map { "\(models[$0]),\(accuracy[$0]),\(params[$0])" }
        try Data(lines.joined(separator: "\n").utf8).write(to: truth)
        return (scores, truth)
    }

    @Test("mean rank, win rate and mean tau over two tasks; a metric missing from a task ranks last there")
    func twoTasks() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let accuracy1 = [90.0, 85, 80, 70, 60], accuracy2 = [60.0, 90, 75, 80, 70]
        let task1 = (
            metrics: ["logme": [5.0, 4, 3, 2, 1], "hscore": [1.0, 3, 2, 5, 4], "nce": [4.0, 5, 3, 1, 2]],
            params: [3.0, 5, 1, 2, 4]
        )
        // nce is not run on the second task.
        let task2 = (metrics: ["logme": [1.0, 4, 2, 5, 3], "hscore": [2.0, 5, 4, 3, 1]], params: [1.0, 2, 5, 4, 3])
        let t1 = try Self.writeTask("t1", in: dir, metrics: task1.metrics, accuracy: accuracy1, params: task1.params)
        let t2 = try Self.writeTask("t2", in: dir, metrics: task2.metrics, accuracy: accuracy2, params: task2.params)

        // The expectation, from weighted taus computed here.
        let names = ["hscore", "logme", "nce", "params"]
        func taus(_ metrics: [String: [Double]], _ params: [Double], _ accuracy: [Double]) throws -> [String: Double] {
            var out = [String: Double]()
            for (name, s) in metrics { out[name] = try #require(try RankCorrelation.weightedTau(s, accuracy)) }
            out["params"] = try #require(try RankCorrelation.weightedTau(params, accuracy))
            return out
        }
        let perTask = [try taus(task1.metrics, task1.params, accuracy1), try taus(task2.metrics, task2.params, accuracy2)]
        for task in perTask { #expect(Set(task.values).count == task.count, "the design has no tied taus") }
        var meanRank = [String: Double](), wins = [String: Double]()
        for task in perTask {
            for name in names {
                // Rank 1 = highest tau; absent from the task = last of all.
                let rank = task[name].map { tau in 1 + Double(task.values.filter { $0 > tau }.count) } ?? Double(names.count)
                meanRank[name, default: 0] += rank / 2
                if rank == 1 { wins[name, default: 0] += 0.5 }
            }
        }

        let run = try CLI.run([
            "evaluate", "--scores", t1.scores.path, "--truth", t1.truth.path,
            "--scores", t2.scores.path, "--truth", t2.truth.path, "--format", "json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["tasks"] as? Int == 2)
        let entries = try #require(summary["entries"] as? [[String: Any]])
        #expect(entries.compactMap { $0["name"] as? String }.sorted() == names)
        for entry in entries {
            let name = try #require(entry["name"] as? String)
            #expect(abs(try #require(entry["mean_rank"] as? Double) - meanRank[name]!) < 1e-12, "\(name)")
            #expect(abs(try #require(entry["win_rate"] as? Double) - wins[name, default: 0]) < 1e-12, "\(name)")
            let defined = perTask.compactMap { $0[name] }
            let mean = defined.reduce(0, +) / Double(defined.count)
            #expect(abs(try #require(entry["mean_weighted_tau"] as? Double) - mean) < 1e-12, "\(name)")
            #expect(entry["is_baseline"] as? Bool == (name == "params"))
        }
        // Best mean rank first.
        let ranks = entries.compactMap { $0["mean_rank"] as? Double }
        #expect(ranks == ranks.sorted())
        let tasks = try #require(object["tasks"] as? [[String: Any]])
        #expect(tasks.count == 2 && (tasks[1]["weighted_tau"] as? [String: Double])?["nce"] == nil)

        // The table marks the static baseline and shows both tasks' taus.
        let table = try CLI.run([
            "evaluate", "--scores", t1.scores.path, "--truth", t1.truth.path,
            "--scores", t2.scores.path, "--truth", t2.truth.path,
        ])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("2 tasks evaluated") && table.stdout.contains("params (baseline)"))
        #expect(table.stdout.contains("tau_task1") && table.stdout.contains("tau_task2"))
        let csv = try CLI.run([
            "evaluate", "--scores", t1.scores.path, "--truth", t1.truth.path,
            "--scores", t2.scores.path, "--truth", t2.truth.path, "--format", "csv",
        ])
        let csvLines = csv.stdout.split(separator: "\n")
        #expect(csvLines.first == "metric,kind,mean_rank,win_rate,mean_weighted_tau,tau_task1,tau_task2")
        #expect(csvLines.count == 1 + names.count)
        #expect(csvLines.contains { $0.hasPrefix("params,baseline,") })
    }

    @Test("unpaired --scores and --truth give one clear error")
    func unpaired() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.writeTask("t", in: dir, metrics: ["logme": [5.0, 4, 3, 2, 1]], accuracy: [5.0, 4, 3, 2, 1], params: [1.0, 2, 3, 4, 5])
        let run = try CLI.run(["evaluate", "--scores", t.scores.path, "--truth", t.truth.path, "--scores", t.scores.path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--scores given 2 times and --truth 1 time"))
        // Intervals are per task: asking for them over several tasks is refused, not ignored.
        let resampled = try CLI.run([
            "evaluate", "--scores", t.scores.path, "--truth", t.truth.path,
            "--scores", t.scores.path, "--truth", t.truth.path, "--resamples", "50",
        ])
        #expect(resampled.status != 0)
        #expect(resampled.stderr.contains("--resamples applies to one --scores/--truth pair"))
    }

    @Test("one task: a metric named like a truth column is refused, not overwritten by the baseline")
    func metricNamedLikeColumn() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.writeTask("t", in: dir, metrics: ["params": [5.0, 4, 3, 2, 1]], accuracy: [5.0, 4, 3, 2, 1], params: [1.0, 2, 3, 4, 5])
        #expect(throws: EvaluateJob.EvaluateError.metricNamedLikeColumn(scores: t.scores.path, truth: t.truth.path, name: "params")) {
            try EvaluateJob.run(scores: t.scores, truth: t.truth)
        }
        let run = try CLI.run(["evaluate", "--scores", t.scores.path, "--truth", t.truth.path])
        #expect(run.status != 0)
        #expect(run.stderr.contains("column 'params' has the name of a metric in"))
    }

    @Test("a name that is a metric in one task and a truth column in another is refused")
    func metricAndBaseline() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Task 1 scores a metric named "size"; task 2's truth file has a column "size".
        let t1 = try Self.writeTask("t1", in: dir, metrics: ["size": [5.0, 4, 3, 2, 1]], accuracy: [5.0, 4, 3, 2, 1], params: [1.0, 2, 3, 4, 5])
        let t2 = try Self.writeTask("t2", in: dir, metrics: ["logme": [5.0, 4, 3, 2, 1]], accuracy: [5.0, 4, 3, 2, 1], params: [1.0, 2, 3, 4, 5])
        let csv = try String(contentsOf: t2.truth, encoding: .utf8).replacingOccurrences(of: "model,accuracy,params", with: "model,accuracy,size")
        try Data(csv.utf8).write(to: t2.truth)
        #expect(throws: MultiTaskEvaluateError.metricAndBaseline(name: "size")) {
            try MultiTaskEvaluateJob.run(pairs: [t1, t2])
        }
        let run = try CLI.run([
            "evaluate", "--scores", t1.scores.path, "--truth", t1.truth.path, "--scores", t2.scores.path, "--truth", t2.truth.path,
        ])
        #expect(run.status != 0)
        #expect(run.stderr.contains("'size' is a metric in one scores file and a truth column"))
    }
}
