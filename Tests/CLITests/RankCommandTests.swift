import Foundation
import FeatureIO
import Linalg
import Testing
import Ranking

@Suite("hubminer rank and evaluate, end to end")
struct RankCommandTests {
    @Test("JSON output is exactly one object with the documented fields, best first")
    func json() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["task"] as? String == "classification")
        #expect(object["metric"] as? String == "logme")
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["good", "weak"])
        #expect(models.map { $0["rank"] as? Int } == [1, 2])
        let scores = models.compactMap { $0["score"] as? Double }
        #expect(scores.count == 2 && scores[0] > scores[1])
        #expect(models.allSatisfy { $0["seconds"] is Double && $0["diagnostics"] is [String: Any] })
        // Progress and logs go to stderr, never stdout.
        #expect(!run.stdout.contains("[1/2]"))
    }

    @Test("table by default, CSV on request")
    func tableAndCSV() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        let table = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("rank  model"))
        #expect(table.stdout.contains("LogME"))
        let csv = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "csv", "--quiet"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("rank,model,score"))
        #expect(lines[1].hasPrefix("1,good,"))
    }

    @Test("regression and multi-label targets")
    func otherTasks() throws {
        let dir = try CLI.scratch()
        let (features, _) = try CLI.writeProblem(in: dir)
        let y = Matrix(rows: 200, columns: 2, storage: (0..<400).map { Double(($0 * 7919) % 13) / 13 })
        try FeatureFile.writeNpy(y, to: dir.appendingPathComponent("y.npy"))
        let reg = try CLI.run([
            "rank", "--features", features.path, "--labels", dir.appendingPathComponent("y.npy").path, "--task", "regression", "--format", "json",
            "--quiet",
        ])
        #expect(reg.status == 0, "\(reg.stderr)")
        #expect(reg.stdout.contains("\"task\" : \"regression\""))
        let multi = Matrix(rows: 200, columns: 3, storage: (0..<600).map { Double(($0 * 31) % 2) })
        try FeatureFile.writeNpy(multi, to: dir.appendingPathComponent("m.npy"))
        let ml = try CLI.run([
            "rank", "--features", features.path, "--labels", dir.appendingPathComponent("m.npy").path, "--task", "multilabel", "--quiet",
        ])
        #expect(ml.status == 0, "\(ml.stderr)")
    }

    @Test("a model whose rows do not match the labels is skipped, named, and the run fails")
    func mismatchedRows() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        try FeatureFile.writeNpy(Matrix(rows: 150, columns: 4, repeating: 1), to: features.appendingPathComponent("short.npy"))
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"])
        #expect(run.status != 0)
        #expect(run.stdout.contains("good")) // the others are still ranked
        #expect(run.stdout.contains("short.npy has 150 rows but labels.npy has 200 labels"))
        #expect(run.stderr.contains("skipped: short"))
    }

    @Test("NaN in features is reported with its position and file")
    func nanFeatures() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir, models: [("good", 3)])
        var f = Matrix(rows: 200, columns: 3, repeating: 0.5)
        f[17, 2] = .nan
        try FeatureFile.writeNpy(f, to: features.appendingPathComponent("broken.npy"))
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"])
        #expect(run.status != 0)
        #expect(run.stdout.contains("broken.npy: features: row 17, column 2 is nan"))
    }

    @Test(
        "bad labels stop the run with one line naming the file",
        arguments: [
            ([0.5, 1, 0, 1], "classification labels must be integer class ids"),
            ([2, 2, 2, 2], "at least two classes"),
        ])
    func badLabels(values: [Double], message: String) throws {
        let dir = try CLI.scratch()
        let features = dir.appendingPathComponent("feats")
        try FileManager.default.createDirectory(at: features, withIntermediateDirectories: true)
        try FeatureFile.writeNpy(Matrix(rows: 4, columns: 2, storage: [1, 2, 3, 4, 5, 6, 7, 9]), to: features.appendingPathComponent("m.npy"))
        let labels = dir.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [4], dtype: .float64, values: values), to: labels)
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"])
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(run.stderr.contains(labels.path) && run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("missing inputs give one clear line")
    func missingInputs() throws {
        let dir = try CLI.scratch()
        let noDir = try CLI.run(["rank", "--features", dir.appendingPathComponent("nope").path, "--labels", "x.npy"])
        #expect(noDir.status != 0)
        #expect(noDir.stderr.contains("not a directory"))
        let empty = try CLI.run(["rank", "--features", dir.path, "--labels", "x.npy"])
        #expect(empty.stderr.contains("no feature files"))
        let (features, _) = try CLI.writeProblem(in: dir)
        let noLabels = try CLI.run(["rank", "--features", features.path, "--labels", dir.appendingPathComponent("missing.npy").path])
        #expect(noLabels.status != 0)
        #expect(noLabels.stderr.contains("missing.npy"))
    }

    @Test("evaluate: rank's JSON against a truth table, with a static baseline")
    func evaluate() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir, models: [("a", 3), ("b", 1.5), ("c", 0.6), ("d", 0.1)])
        let scores = dir.appendingPathComponent("scores.json")
        let rank = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--output", scores.path, "--quiet"])
        #expect(rank.status == 0)
        let truth = dir.appendingPathComponent("truth.csv")
        try "model,accuracy,params\na,90,4\nb,80,3\nc,70,1\nd,60,2\n".write(to: truth, atomically: true, encoding: .utf8)
        let run = try CLI.run(["evaluate", "--scores", scores.path, "--truth", truth.path, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let metrics = try #require(object["metrics"] as? [String: [String: Any]])
        // LogME orders the four models as their signal does, which is the truth order.
        #expect(metrics["logme"]?["weighted_tau"] as? Double == 1)
        #expect(metrics["logme"]?["rel_top1"] as? Double == 1)
        #expect(metrics["params"] != nil)
        let bad = try CLI.run(["evaluate", "--scores", scores.path, "--truth", truth.path, "--truth-column", "top1"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("no column 'top1'; columns are accuracy, params"))
    }

    @Test("the demo runs with no set-up")
    func demo() throws {
        let dir = try CLI.scratch()
        let run = try CLI.run(["demo", "--features-only", "--directory", dir.path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("resnet-like-512"))
        // The generated hub's weakest model is the one without signal.
        let row = run.stdout.split(separator: "\n").first {
            $0.contains("random-init") && $0.trimmingCharacters(in: .whitespaces).first?.isNumber == true
        }
        #expect(row?.trimmingCharacters(in: .whitespaces).hasPrefix("6 ") == true, "\(run.stdout)")
    }
}

@Suite("rank's streaming and in-memory routes")
struct RankRoutesTests {
    @Test("streaming LogME (N > D, read in row chunks) scores what an in-memory fit scores")
    func streamedEqualsInMemory() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir, samples: 900, models: [("m", 1.0)])
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--quiet"])
        #expect(run.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let cliScore = try #require((object["models"] as? [[String: Any]])?.first?["score"] as? Double)
        let f = try FeatureFile.readMatrix(at: features.appendingPathComponent("m.npy"))
        let y = try FeatureFile.readArray(at: labels)
        let direct = try LogME().fit(features: f, targets: TargetEncoder.encode(values: y.values, shape: y.shape, task: .classification)).score
        #expect(abs(cliScore - direct) <= 1e-12 * abs(direct))
    }
}

@Suite("rank with several metrics")
struct RankMetricsTests {
    /// A softmax over the first columns of the features, as a stand-in source head.
    static func writeSourceProbabilities(features: URL, into dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["good", "weak"] {
            let f = try FeatureFile.readMatrix(at: features.appendingPathComponent("\(name).npy"))
            var p = Matrix(rows: f.rows, columns: 5)
            for r in 0..<f.rows {
                let logits = (0..<5).map { f[r, $0] }
                let top = logits.max()!
                let e = logits.map { exp($0 - top) }
                let total = e.reduce(0, +)
                for j in 0..<5 { p[r, j] = e[j] / total }
            }
            try FeatureFile.writeNpy(p, to: dir.appendingPathComponent("\(name).npy"))
        }
    }

    @Test("per-metric scores, ranks and seconds in JSON; the first metric orders the models")
    func severalMetrics() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        let probs = dir.appendingPathComponent("probs")
        try Self.writeSourceProbabilities(features: features, into: probs)
        let run = try CLI.run([
            "rank", "--features", features.path, "--labels", labels.path, "--source-probs", probs.path,
            "--metric", "hscore,logme,leep,nce,knn", "--format", "json", "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["metric"] as? String == "hscore")
        #expect(object["metric_names"] as? [String] == ["hscore", "logme", "leep", "nce", "knn"])
        let models = try #require(object["models"] as? [[String: Any]])
        #expect(models.first?["name"] as? String == "good")
        for model in models {
            let metrics = try #require(model["metrics"] as? [String: [String: Any]])
            #expect(Set(metrics.keys) == ["hscore", "logme", "leep", "nce", "knn"])
            #expect(metrics.values.allSatisfy { $0["score"] is Double && $0["rank"] is Int && $0["seconds"] is Double })
            #expect(model["score"] as? Double == metrics["hscore"]?["score"] as? Double)
        }
        let table = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--metric", "logme,hscore", "--quiet"])
        #expect(table.stdout.contains("LogME  #  hscore  #"))
    }

    @Test("metrics that cannot run: an explicit list fails clearly, 'all' leaves them out")
    func inapplicable() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        let leep = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--metric", "leep"])
        #expect(leep.status != 0)
        #expect(leep.stderr.contains("leep needs the model's source-class probabilities (--source-probs DIR"))
        let unknown = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--metric", "logme,bogus"])
        #expect(unknown.stderr.contains("unknown metric 'bogus'; known metrics: logme, hscore"))
        let y = Matrix(rows: 200, columns: 1, storage: (0..<200).map { Double($0 % 17) / 3 })
        try FeatureFile.writeNpy(y, to: dir.appendingPathComponent("y.npy"))
        let all = try CLI.run([
            "rank", "--features", features.path, "--labels", dir.appendingPathComponent("y.npy").path,
            "--task", "regression", "--metric", "all", "--format", "json",
        ])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.contains("gbc left out: gbc scores classification targets only"))
        #expect(all.stdout.contains("\"metric_names\" : [\n    \"logme\",\n    \"hscore\",\n    \"etran\"\n  ]"))
        // The H-score's regression form runs on its own; a classification-only metric in an explicit list stops the run.
        let hscore = try CLI.run([
            "rank", "--features", features.path, "--labels", dir.appendingPathComponent("y.npy").path,
            "--task", "regression", "--metric", "hscore", "--format", "json", "--quiet",
        ])
        #expect(hscore.status == 0, "\(hscore.stderr)")
        let gbc = try CLI.run([
            "rank", "--features", features.path, "--labels", dir.appendingPathComponent("y.npy").path,
            "--task", "regression", "--metric", "hscore,gbc",
        ])
        #expect(gbc.status != 0)
        #expect(gbc.stderr.contains("gbc scores classification targets only, not --task regression"))
    }
}
