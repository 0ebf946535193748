import Foundation
import FeatureIO
import HubMiner
import Linalg
import Ranking
import Testing

@Suite("hubminer stats and rank --stats, end to end")
struct StatsCommandTests {
    static let statisticsMetrics = "logme,hscore,hscore_shrinkage,transrate,gbc"

    /// Per model, per metric scores from rank's JSON output.
    func scores(_ json: String) throws -> [String: [String: Double]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let models = try #require(object["models"] as? [[String: Any]])
        var out = [String: [String: Double]]()
        for model in models {
            let name = try #require(model["name"] as? String)
            let metrics = try #require(model["metrics"] as? [String: [String: Any]])
            out[name] = metrics.compactMapValues { $0["score"] as? Double }
        }
        return out
    }

    @Test("stats of two row ranges, then rank --stats, equals rank on the whole file to 1e-9 for every statistics metric")
    func shardsEqualWhole() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir, samples: 300, classes: 4)
        let a = dir.appendingPathComponent("shard-a"), b = dir.appendingPathComponent("shard-b")
        // Uneven shards, read in chunks smaller than the shard.
        let first = try CLI.run([
            "stats", "--features", features.path, "--labels", labels.path, "--rows", "0:77",
            "--out", a.path, "--class-grams", "--chunk-rows", "20", "--quiet",
        ])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("good\trows 0:77"))
        let second = try CLI.run([
            "stats", "--features", features.path, "--labels", labels.path, "--rows", "77:300",
            "--out", b.path, "--class-grams", "--quiet",
        ])
        #expect(second.status == 0, "\(second.stderr)")
        let merged = try CLI.run(["rank", "--stats", a.path, b.path, "--metric", Self.statisticsMetrics, "--format", "json", "--quiet"])
        #expect(merged.status == 0, "\(merged.stderr)")
        let whole = try CLI.run([
            "rank", "--features", features.path, "--labels", labels.path, "--metric", Self.statisticsMetrics,
            "--format", "json", "--quiet",
        ])
        #expect(whole.status == 0, "\(whole.stderr)")
        let m = try scores(merged.stdout), w = try scores(whole.stdout)
        #expect(Set(m.keys) == ["good", "weak"] && Set(w.keys) == ["good", "weak"])
        for (model, metrics) in w {
            #expect(metrics.count == 5)
            for (metric, score) in metrics {
                let other = try #require(m[model]?[metric], "\(model) \(metric) missing from rank --stats")
                #expect(abs(other - score) <= 1e-9 * max(abs(score), abs(other)), "\(model) \(metric): \(other) vs \(score)")
            }
        }
        // Same table layout as rank.
        let table = try CLI.run(["rank", "--stats", a.path, b.path, "--quiet"])
        #expect(table.status == 0 && table.stdout.contains("rank  model") && table.stdout.contains("LogME"))
    }

    @Test("a metric that needs the samples is refused with --stats, with its reason; all keeps the others")
    func unsupportedMetric() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir)
        let out = dir.appendingPathComponent("s")
        #expect(try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--out", out.path, "--quiet"]).status == 0)
        let knn = try CLI.run(["rank", "--stats", out.path, "--metric", "logme,knn", "--quiet"])
        #expect(knn.status == 1)
        #expect(knn.stderr.contains("hubminer: knn cannot be computed from sufficient statistics: it needs every sample's nearest neighbours"))
        #expect(knn.stdout.isEmpty)
        // TransRate without --class-grams: the model fails with the fix in the message.
        let transrate = try CLI.run(["rank", "--stats", out.path, "--metric", "transrate", "--quiet"])
        #expect(transrate.status == 1)
        #expect(transrate.stderr.contains("--class-grams"))
        let all = try CLI.run(["rank", "--stats", out.path, "--metric", "all", "--format", "csv"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stderr.contains("parc left out"))
    }

    @Test("shards from different label sets, of another dimension, or the same shard twice are refused naming the files")
    func mismatchedShards() throws {
        let dir = try CLI.scratch()
        let (features, labels) = try CLI.writeProblem(in: dir, samples: 200, classes: 3)
        let a = dir.appendingPathComponent("a")
        #expect(
            try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--rows", "0:100", "--out", a.path, "--quiet"]).status == 0)
        // The same shard twice.
        let twice = try CLI.run(["rank", "--stats", a.path, a.path, "--quiet"])
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("the same shard twice"))
        #expect(twice.stderr.contains(a.appendingPathComponent("good.stats.npz").path))
        // Another labels file with other classes.
        let other = dir.appendingPathComponent("other-labels.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [200], dtype: .int64, values: (0..<200).map { Double($0 % 5) }), to: other)
        let b = dir.appendingPathComponent("b")
        #expect(
            try CLI.run(["stats", "--features", features.path, "--labels", other.path, "--rows", "100:200", "--out", b.path, "--quiet"]).status == 0)
        let classes = try CLI.run(["rank", "--stats", a.path, b.path, "--quiet"])
        #expect(classes.status == 1)
        #expect(classes.stderr.contains("class ids [0, 1, 2, 3, 4] vs [0, 1, 2]"))
        #expect(classes.stderr.contains(b.appendingPathComponent("good.stats.npz").path))
        // Another feature dimension under the same model names.
        let wide = dir.appendingPathComponent("wide")
        try FileManager.default.createDirectory(at: wide, withIntermediateDirectories: true)
        for name in ["good", "weak"] {
            try FeatureFile.writeNpy(
                Matrix(rows: 200, columns: 3, storage: (0..<600).map { sin(Double($0)) }), to: wide.appendingPathComponent("\(name).npy"))
        }
        let c = dir.appendingPathComponent("c")
        #expect(
            try CLI.run(["stats", "--features", wide.path, "--labels", labels.path, "--rows", "100:200", "--out", c.path, "--quiet"]).status == 0)
        let dims = try CLI.run(["rank", "--stats", a.path, c.path, "--quiet"])
        #expect(dims.status == 1)
        #expect(dims.stderr.contains("feature dimension 3 vs 8"))
        // Rows outside the labels.
        let outside = try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--rows", "150:250", "--out", c.path, "--quiet"])
        #expect(outside.status == 1)
        #expect(outside.stderr.contains("--rows 150:250"))
    }

    @Test("a statistics file round-trips exactly; a damaged one is refused naming it")
    func fileRoundTrip() throws {
        let dir = try CLI.scratch()
        var rng = SystemRandomNumberGenerator()
        let n = 60, d = 5
        let f = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in Double.random(in: -1...1, using: &rng) })
        let targets = try TargetEncoder.encodeClasses((0..<n).map { [2, 7, 9][$0 % 3] })
        var s = try FeatureStatistics(modelName: "m", features: f, targets: targets, classGrams: true)
        s.recordOrigin(ShardOrigin(file: "m.npy", fileBytes: 123, fileRows: n, rows: 0..<n))
        let url = dir.appendingPathComponent("m.stats.npz")
        try StatisticsFile.write(s, to: url)
        let back = try StatisticsFile.read(url)
        #expect(back.modelName == "m" && back.classes == [2, 7, 9] && back.sampleCount == n && back.origins == s.origins)
        #expect(back.logme.gramUpper.storage == s.logme.gramUpper.storage)
        #expect(back.classGramsUpper?.map(\.storage) == s.classGramsUpper?.map(\.storage))
        #expect(back.normFourthSum == s.normFourthSum && back.normWeightedSums == s.normWeightedSums)
        #expect(back.targetGram.storage == s.targetGram.storage)
        // Not a statistics file.
        let bogus = dir.appendingPathComponent("x.stats.npz")
        try FeatureFile.writeNpz([("features", NumericArray(f))], to: bogus)
        #expect(throws: StatisticsFileError.self) { try StatisticsFile.read(bogus) }
        do { _ = try StatisticsFile.read(bogus) } catch { #expect("\(error)".contains("x.stats.npz")) }
    }
}
