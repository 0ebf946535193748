import Distributed
import Foundation
import TestSupport
import Testing

/// The built programs (next to the test bundle) run as several processes on 127.0.0.1.
/// Each run is bounded: collectives time out after HUBMINER_DIST_TIMEOUT seconds and
/// every process is stopped after `limit` seconds.
enum Programs {
    static var directory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        let seconds: Double
    }

    /// Starts every `(arguments, extra environment)` at once and waits for all of them.
    static func start(_ program: String, _ runs: [([String], [String: String])], limit: Double = 25) throws -> [Run] {
        let executable = directory.appendingPathComponent(program)
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "\(program) not built at \(executable.path)")
        let began = Date()
        var started = [(Process, URL, URL)]()
        for (arguments, extra) in runs {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["HUBMINER_DIST_TIMEOUT"] = "8"
            environment["OMP_NUM_THREADS"] = "1"
            environment.merge(extra) { _, new in new }
            process.environment = environment
            // Files, not pipes: nothing can block on a full pipe while we poll.
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("distrank-\(UUID().uuidString).out")
            let err = FileManager.default.temporaryDirectory.appendingPathComponent("distrank-\(UUID().uuidString).err")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            started.append((process, out, err))
        }
        while started.contains(where: { $0.0.isRunning }), Date().timeIntervalSince(began) < limit { usleep(20_000) }
        for (process, _, _) in started where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        return started.map { process, out, err in
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
            return Run(
                status: process.terminationStatus, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "", seconds: Date().timeIntervalSince(began))
        }
    }

    static func hubminer(_ arguments: [String], limit: Double = 25) throws -> Run {
        try start("hubminer", [(arguments, [:])], limit: limit)[0]
    }

    /// model name -> metric name -> score, from `rank --format json`.
    static func scores(_ json: String) throws -> [String: [String: Double]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "not JSON: \(json)")
        let models = try #require(object["models"] as? [[String: Any]])
        var out = [String: [String: Double]]()
        for model in models {
            let name = try #require(model["name"] as? String)
            let metrics = try #require(model["metrics"] as? [String: [String: Any]])
            out[name] = metrics.compactMapValues { $0["score"] as? Double }
        }
        return out
    }
}

@Suite("rank --nproc / --distributed as several processes", .serialized)
struct MultiProcessRankTests {
    func expectSameScores(_ a: [String: [String: Double]], _ b: [String: [String: Double]], relative: Double = 1e-9) {
        #expect(Set(a.keys) == Set(b.keys))
        for (model, metrics) in b {
            #expect(Set(a[model]?.keys ?? [:].keys) == Set(metrics.keys), "\(model)")
            for (metric, reference) in metrics {
                let value = a[model]?[metric] ?? .nan
                #expect(abs(value - reference) <= relative * max(1, abs(reference)), "\(model) \(metric): \(value) vs \(reference)")
            }
        }
    }

    @Test("2 processes (odd N) give the single-process in-memory JSON scores to 1e-9; rank 1 prints nothing on stdout")
    func twoProcessesMatchOne() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let (features, labels) = try RankProblem.make(samples: 401, dimension: 7, classes: 3, models: 3).write(in: dir)
        let common = ["rank", "--features", features.path, "--labels", labels.path, "--metric", "logme,hscore,gbc", "--format", "json", "--quiet"]
        let single = try Programs.hubminer(common)
        #expect(single.status == 0, "\(single.stderr)")
        // Without --quiet: each rank's timing line arrives on stderr.
        let launched = try Programs.hubminer(common.filter { $0 != "--quiet" } + ["--nproc", "2"])
        #expect(launched.status == 0, "\(launched.stderr)")
        #expect(launched.seconds < 25)
        expectSameScores(try Programs.scores(launched.stdout), try Programs.scores(single.stdout))
        // Rank 1's timing line arrives prefixed on stderr; its stdout had nothing to say.
        #expect(launched.stderr.contains("[rank 1] rank 1 of 2"), "\(launched.stderr)")
        #expect(!launched.stdout.contains("[rank"))
    }

    @Test("more ranks than models: 3 processes, 2 models, 9 rows")
    func moreRanksThanModels() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let (features, labels) = try RankProblem.make(samples: 9, dimension: 2, classes: 2, models: 2).write(in: dir)
        let common = ["rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--quiet"]
        let single = try Programs.hubminer(common)
        #expect(single.status == 0, "\(single.stderr)")
        let launched = try Programs.hubminer(common + ["--nproc", "3"])
        #expect(launched.status == 0, "\(launched.stderr)")
        expectSameScores(try Programs.scores(launched.stdout), try Programs.scores(single.stdout))
    }

    @Test("a rank that fails (its labels file is missing) makes the other exit non-zero with a clear error, quickly")
    func failingRankStopsTheOther() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let (features, labels) = try RankProblem.make(samples: 50, dimension: 3, classes: 2, models: 2).write(in: dir)
        let port = String(try Launcher.freePort())
        func rank(_ r: Int, labels: String) -> ([String], [String: String]) {
            (
                ["rank", "--features", features.path, "--labels", labels, "--distributed", "--quiet"],
                ["RANK": String(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port]
            )
        }
        let runs = try Programs.start(
            "hubminer-torch", [rank(0, labels: labels.path), rank(1, labels: dir.appendingPathComponent("missing.npy").path)])
        #expect(runs[1].status != 0)
        #expect(runs[1].stderr.contains("missing.npy"), "\(runs[1].stderr)")
        #expect(runs[0].status != 0, "rank 0 should fail when rank 1 is gone: \(runs[0].stderr)")
        #expect(runs[0].stderr.contains("distributed ranking failed on rank 0 of 2"), "\(runs[0].stderr)")
        #expect(runs[0].stdout.isEmpty)
        #expect(runs[0].seconds < 20)
    }

    @Test("--distributed without the launch variables, and with --hub, fail with clear errors")
    func clearErrors() throws {
        let dir = try RankProblem.scratch()
        defer { TemporaryDirectory.remove(dir) }
        let (features, labels) = try RankProblem.make(samples: 10, dimension: 2, classes: 2, models: 1).write(in: dir)
        let noVariables = try Programs.start("hubminer", [(["rank", "--features", features.path, "--labels", labels.path, "--distributed"], [:])])[0]
        // The test's own environment has no launch variables (unless run under a launcher).
        if ProcessInfo.processInfo.environment["WORLD_SIZE"] == nil {
            #expect(noVariables.status != 0)
            #expect(noVariables.stderr.contains("environment variable WORLD_SIZE is not set"), "\(noVariables.stderr)")
        }
        let hub = try Programs.hubminer(["rank", "--hub", dir.path, "--data", dir.path, "--cache-dir", dir.path, "--distributed"])
        #expect(hub.status != 0)
        #expect(hub.stderr.contains("neither reads nor writes the cache"), "\(hub.stderr)")
        let both = try Programs.hubminer(["rank", "--hub", dir.path, "--data", dir.path, "--features", features.path, "--nproc", "2"])
        #expect(both.status != 0)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        let knn = try Programs.hubminer(["rank", "--features", features.path, "--labels", labels.path, "--metric", "knn", "--nproc", "1"])
        #expect(knn.status != 0)
        #expect(knn.stderr.contains("nearest neighbours"), "\(knn.stderr)")
    }

    /// A hub of `models` tiny models (plus one broken card) and a dataset of `samples`.
    func hubProblem(samples: Int, models: Int) throws -> (dir: URL, hub: URL, data: URL) {
        let dir = try RankProblem.scratch()
        let hub = dir.appendingPathComponent("hub"), data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for m in 0..<models { try TinyHub.addModel("m\(m)", to: hub, seed: UInt64(m + 1)) }
        try TinyHub.addBrokenModel("broken", to: hub)
        try TinyHub.writeDataset(data, count: samples)
        return (dir, hub, data)
    }

    // Both paths run the same float32 forward passes and widen the same float32
    // features to float64; they differ in the batches each sample is run in (a rank's
    // block starts at its first row, so batch boundaries move) and in how the
    // statistics are formed (in-memory LogME on the feature matrix against summed
    // FᵀF moments). Float32 matrix products over differently composed batches may
    // round differently in the last bit (1e-7 relative on a feature), hence 1e-6.
    @Test(
        "rank --hub --nproc 2 (odd N, batches cut across the block boundary) gives the single-process rank --hub scores to 1e-6; a broken model is skipped on both with its reason"
    )
    func hubExtractionMatchesOneProcess() throws {
        let (dir, hub, data) = try hubProblem(samples: 45, models: 3)
        defer { TemporaryDirectory.remove(dir) }
        let common = ["rank", "--hub", hub.path, "--data", data.path, "--metric", "logme,hscore", "--format", "json", "--batch-size", "8"]
        let single = try Programs.hubminer(common + ["--cache-dir", dir.appendingPathComponent("cache").path, "--quiet"])
        #expect(single.status == 1, "the broken model is skipped: \(single.stderr)")
        let launched = try Programs.hubminer(common + ["--nproc", "2"])
        #expect(launched.status == 1, "\(launched.stderr)")
        #expect(launched.seconds < 25)
        let reference = try Programs.scores(single.stdout)
        #expect(Set(reference.keys) == ["m0", "m1", "m2"])
        expectSameScores(try Programs.scores(launched.stdout), reference, relative: 1e-6)
        // Measured: the largest relative difference, printed for the docs.
        let distributed = try Programs.scores(launched.stdout)
        var worst = 0.0
        for (model, metrics) in reference {
            for (metric, value) in metrics {
                worst = max(worst, abs((distributed[model]?[metric] ?? .nan) - value) / max(1, abs(value)))
            }
        }
        print("rank --hub --nproc 2 vs one process: largest relative score difference \(worst)")
        // The broken model's reason comes from both ranks, in the JSON's failures.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(launched.stdout.utf8)) as? [String: Any])
        let failed = try #require(object["failed"] as? [[String: Any]], "\(launched.stdout)")
        let reason = try #require(failed.first { $0["name"] as? String == "broken" }?["error"] as? String, "\(failed)")
        #expect(reason.contains("rank 0:") && reason.contains("rank 1:"), "\(reason)")
        #expect(launched.stderr.contains("[rank 1] rank 1 of 2"), "\(launched.stderr)")
    }

    @Test("rank --hub on 3 processes: 7 samples in blocks of 3, 2, 2, batches of 2, 2 models")
    func hubExtractionSmallBlocks() throws {
        let (dir, hub, data) = try hubProblem(samples: 7, models: 2)
        defer { TemporaryDirectory.remove(dir) }
        let common = ["rank", "--hub", hub.path, "--data", data.path, "--models", "m0,m1", "--format", "json", "--quiet", "--batch-size", "2"]
        let single = try Programs.hubminer(common + ["--cache-dir", dir.appendingPathComponent("cache").path])
        #expect(single.status == 0, "\(single.stderr)")
        let launched = try Programs.hubminer(common + ["--nproc", "3"])
        #expect(launched.status == 0, "\(launched.stderr)")
        expectSameScores(try Programs.scores(launched.stdout), try Programs.scores(single.stdout), relative: 1e-6)
    }

    @Test("rank --hub: a rank that fails (its dataset is missing) makes the other exit non-zero with a clear error, quickly")
    func hubFailingRankStopsTheOther() throws {
        let (dir, hub, data) = try hubProblem(samples: 20, models: 2)
        defer { TemporaryDirectory.remove(dir) }
        let port = String(try Launcher.freePort())
        func rank(_ r: Int, data: String) -> ([String], [String: String]) {
            (
                ["rank", "--hub", hub.path, "--data", data, "--distributed", "--quiet"],
                ["RANK": String(r), "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port]
            )
        }
        let runs = try Programs.start("hubminer-torch", [rank(0, data: data.path), rank(1, data: dir.appendingPathComponent("nodata").path)])
        #expect(runs[1].status != 0)
        #expect(runs[1].stderr.contains("nodata"), "\(runs[1].stderr)")
        #expect(runs[0].status != 0, "rank 0 should fail when rank 1 is gone: \(runs[0].stderr)")
        #expect(runs[0].stderr.contains("distributed ranking failed on rank 0 of 2"), "\(runs[0].stderr)")
        #expect(runs[0].stdout.isEmpty)
        #expect(runs[0].seconds < 20)
    }
}
