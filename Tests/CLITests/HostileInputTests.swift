import FeatureIO
import Foundation
import Testing
import Torch

/// Hostile but realistic inputs given to the built program: each must end in a clear
/// message and an exit status, never a signal, and the good models must still be served.
@Suite("hostile input: no signal, bounded work, the good models still served")
struct HostileInputTests {
    /// A hub with working models `good` and `twin` (3 x 4 x 4 images -> 4 features) and a
    /// NumPy dataset of 12 samples.
    static func hubWithOneGoodModel(in dir: URL) throws -> (hub: URL, data: URL) {
        let hub = dir.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let g = try Generator(seed: 3)
        let net = try ScriptModule(name: "Tiny")
        try net.registerParameter("weight", try Tensor.randn([4, 48], generator: g))
        try net.define(
            """
            def features(self, x):
                return torch.matmul(torch.flatten(x, 1), self.weight.t())

            def forward(self, x):
                return self.features(x)
            """)
        try net.save(to: hub.appendingPathComponent("good.pt").path)
        try Data(
            #"{"name": "good", "file": "good.pt", "input": {"height": 4, "width": 4, "resize": "none"}, "representation": {"method": "features"}}"#
                .utf8
        ).write(to: hub.appendingPathComponent("good.json"))
        // A second card on the same file, since a ranking needs two models.
        try Data(
            #"{"name": "twin", "file": "good.pt", "input": {"height": 4, "width": 4, "resize": "none"}, "representation": {"method": "features"}}"#
                .utf8
        ).write(to: hub.appendingPathComponent("twin.json"))
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let n = 12
        try FeatureFile.writeNpy(
            NumericArray(shape: [n, 3, 4, 4], dtype: .float32, values: (0..<(n * 48)).map { Double(($0 * 31) % 17) / 17 }),
            to: data.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(
            NumericArray(shape: [n], dtype: .int64, values: (0..<n).map { Double($0 % 2) }), to: data.appendingPathComponent("labels.npy"))
        return (hub, data)
    }

    @Test("a non-object entry in hub.json ([7]) is a reported problem, not SIGILL; the other cards still load")
    func hubJSONNonObjectEntry() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, _) = try Self.hubWithOneGoodModel(in: dir)
        try Data("[7, \"text\"]".utf8).write(to: hub.appendingPathComponent("hub.json"))
        let list = try CLI.run(["hub", "list", hub.path])
        #expect(!list.signalled, "killed by a signal: \(list.stderr)")
        #expect(list.stdout.contains("good"), "\(list.stdout)\n\(list.stderr)")
        let all = list.stdout + list.stderr
        #expect(all.contains("hub.json[0]: expected a card object") && all.contains("found a number"), "\(all)")
        #expect(all.contains("hub.json[1]: expected a card object") && all.contains("found a string"), "\(all)")
    }

    @Test("a card asking for a 100000 x 100000 input is refused before allocating; the good model is inspected")
    func hugeInputCard() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, _) = try Self.hubWithOneGoodModel(in: dir)
        try Data(
            #"{"name": "huge", "file": "good.pt", "input": {"height": 100000, "width": 100000, "resize": "none"}, "representation": {"method": "features"}}"#
                .utf8
        ).write(to: hub.appendingPathComponent("huge.json"))
        let inspect = try CLI.run(["hub", "inspect", hub.path])
        #expect(!inspect.signalled, "killed by a signal: \(inspect.stderr)")
        #expect(inspect.status == 1)
        let lines = (inspect.stdout + inspect.stderr).split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("good ") && $0.hasSuffix("ok") }, "\(lines)")
        #expect(lines.contains { $0.contains("huge") && $0.contains("field 'input': 3x100000x100000 is too large") }, "\(lines)")
        // hub add checks the size before it runs the model on a dummy batch of that size.
        let add = try CLI.run([
            "hub", "add", hub.path, "--model", hub.appendingPathComponent("good.pt").path, "--name", "big",
            "--input-size", "3,100000,100000",
        ])
        #expect(!add.signalled, "killed by a signal: \(add.stderr)")
        #expect(add.status == 1 && add.stderr.contains("3x100000x100000 is too large"), "\(add.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hub.appendingPathComponent("big.json").path))
    }

    @Test("a card with \"file\": \".\", an absolute file or a 300-character name is skipped by hub list, hub inspect and rank --hub")
    func badCardsSkippedEverywhere() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try Self.hubWithOneGoodModel(in: dir)
        try Data(#"{"name": "dot", "file": ".", "representation": {"method": "features"}}"#.utf8)
            .write(to: hub.appendingPathComponent("dot.json"))
        let long = String(repeating: "m", count: 300)
        try Data(#"{"name": "\#(long)", "file": "good.pt", "input": {"height": 4, "width": 4, "resize": "none"}}"#.utf8)
            .write(to: hub.appendingPathComponent("long.json"))
        // An absolute path that exists: said to be absolute, not "does not exist".
        try Data(#"{"name": "abs", "file": "\#(hub.appendingPathComponent("good.pt").path)"}"#.utf8)
            .write(to: hub.appendingPathComponent("abs.json"))
        let list = try CLI.run(["hub", "list", hub.path])
        #expect(!list.signalled)
        let listed = list.stdout + list.stderr
        #expect(listed.contains("good.pt' is an absolute path; a card's file is relative to the hub directory"), "\(listed)")
        #expect(listed.contains("good") && listed.contains("'.' is not a path inside the hub directory"), "\(listed)")
        #expect(listed.contains("300 bytes long, at most 200"), "\(listed)")
        let inspect = try CLI.run(["hub", "inspect", hub.path])
        #expect(!inspect.signalled && inspect.status == 1)
        #expect(inspect.stdout.split(separator: "\n").contains { $0.hasPrefix("good ") && $0.hasSuffix("ok") }, "\(inspect.stdout)")
        let rank = try CLI.run([
            "rank", "--hub", hub.path, "--data", data.path, "--cache-dir", dir.appendingPathComponent("cache").path,
        ])
        #expect(!rank.signalled, "killed by a signal: \(rank.stderr)")
        #expect(rank.stdout.contains("good"), "\(rank.stdout)\n\(rank.stderr)")
        #expect(rank.stderr.contains("'.' is not a path inside the hub directory"), "\(rank.stderr)")
    }

    @Test(
        "a mapped feature file of 1 GiB truncated while stats reads it: an error naming the file, not SIGBUS",
        .timeLimit(.minutes(2)))
    func mappedFileTruncatedWhileRead() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 2^18 rows x 512 float64 columns: 1 GiB of data, the size from which feature
        // files are memory-mapped rather than read. The data part is a hole (sparse, all
        // zeros), so the file costs no disk and reads fast, but accumulating its
        // statistics takes seconds: time to truncate it mid-read.
        let rows = 1 << 18, columns = 512
        let features = dir.appendingPathComponent("big.npy")
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
        bytes += Array(header.utf8)
        try Data(bytes).write(to: features)
        let handle = try FileHandle(forWritingTo: features)
        try handle.truncate(atOffset: UInt64(bytes.count + rows * columns * 8))
        try handle.close()
        let labels = dir.appendingPathComponent("labels.npy")
        try FeatureFile.writeNpy(
            NumericArray(shape: [rows], dtype: .int64, values: (0..<rows).map { Double($0 % 2) }), to: labels)

        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = [
            "stats", "--features", features.path, "--labels", labels.path, "--out",
            dir.appendingPathComponent("stats").path, "--chunk-rows", "4096", "--quiet",
        ]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait until the file is mapped (it shows in the process's maps), then cut it to
        // its header: every page of data not yet read is gone.
        let maps = "/proc/\(process.processIdentifier)/maps"
        var mapped = false
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            if let text = try? String(contentsOfFile: maps, encoding: .utf8), text.contains(features.lastPathComponent) {
                mapped = true
                break
            }
            usleep(2_000)
        }
        #expect(mapped, "stats never mapped \(features.lastPathComponent)")
        if mapped { truncate(features.path, off_t(bytes.count)) }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "ended by signal \(process.terminationStatus)")
        #expect(process.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("big.npy: the file shrank while it was being read"), "\(stderr)")
    }

    @Test("one class id of 1e9 among 0..9: rank finishes at once and says how many ids have no sample", .timeLimit(.minutes(1)))
    func sparseClassIDInRank() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, _) = try CLI.writeProblem(in: dir, samples: 100, classes: 10)
        var labels = (0..<100).map { Double($0 % 10) }
        labels[7] = 1e9
        let labelsURL = dir.appendingPathComponent("sparse.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [100], dtype: .int64, values: labels), to: labelsURL)
        let started = Date()
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labelsURL.path])
        #expect(!run.signalled)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(run.stderr.contains("(999999990 in all)"), "\(run.stderr)")
    }

    @Test("evaluate refuses a scores file listing one model twice")
    func evaluateDuplicateModel() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scores = dir.appendingPathComponent("scores.json")
        try Data(
            #"{"metric": "logme", "models": [{"name": "a", "score": 1}, {"name": "b", "score": 2}, {"name": "a", "score": 3}]}"#.utf8
        ).write(to: scores)
        let truth = dir.appendingPathComponent("truth.csv")
        try Data("model,accuracy\na,0.5\nb,0.7\n".utf8).write(to: truth)
        let run = try CLI.run(["evaluate", "--scores", scores.path, "--truth", truth.path])
        #expect(!run.signalled)
        #expect(run.status != 0)
        #expect(run.stderr.contains("scores.json: model 'a' appears twice"), "\(run.stderr)")
    }

    @Test("rank --stats over shards that leave rows out warns, naming the file and the missing rows")
    func statsShardsMissingRows() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir, samples: 300, classes: 3)
        let a = dir.appendingPathComponent("shard-a"), b = dir.appendingPathComponent("shard-b")
        for (out, rows) in [(a, "0:100"), (b, "200:300")] {
            let run = try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--rows", rows, "--out", out.path, "--quiet"])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let ranked = try CLI.run(["rank", "--stats", a.path, b.path, "--quiet"])
        #expect(ranked.status == 0, "\(ranked.stderr)")
        #expect(
            ranked.stderr.contains("good: shards cover 200 of the 300 rows of good.npy: rows 100..<200 are in no shard"), "\(ranked.stderr)")
        // Shards covering the file whole: no warning.
        let c = dir.appendingPathComponent("shard-c")
        #expect(
            try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--rows", "100:200", "--out", c.path, "--quiet"])
                .status == 0)
        let whole = try CLI.run(["rank", "--stats", a.path, b.path, c.path, "--quiet"])
        #expect(whole.status == 0 && !whole.stderr.contains("in no shard"), "\(whole.stderr)")
    }

    @Test("--quiet with every model failing still says, in one line, why the first one failed")
    func quietAllFailedSummary() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir, samples: 60)
        // Every model has fewer rows than there are labels.
        for name in ["good", "weak"] {
            try FeatureFile.writeNpy(
                NumericArray(shape: [10, 2], dtype: .float64, values: Array(repeating: 1, count: 20)),
                to: features.appendingPathComponent("\(name).npy"))
        }
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"])
        #expect(run.status == 1 && !run.signalled)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("none of the 2 models could be scored; good: "), "\(run.stderr)")
    }

    @Test("a --source-probs path that is no directory blames --source-probs")
    func sourceProbsBlamed() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        let missing = dir.appendingPathComponent("no-such-probs").path
        let run = try CLI.run([
            "rank", "--features", features.path, "--labels", labels.path, "--source-probs", missing, "--metric", "leep",
        ])
        #expect(run.status != 0 && !run.signalled)
        #expect(run.stderr.contains("\(missing): not a directory (--source-probs expects"), "\(run.stderr)")
        #expect(!run.stderr.contains("--features expects"))
    }

    @Test("an output that cannot be written is one line naming the path, not a Foundation error dump")
    func unwritableOutputOneLine() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        // A regular file where a directory is needed.
        let target = labels.appendingPathComponent("ranking.txt").path
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--output", target, "--quiet"])
        #expect(run.status != 0 && !run.signalled)
        #expect(!run.stderr.contains("Error Domain") && !run.stderr.contains("UserInfo"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("labels.npy"), "\(run.stderr)")
    }

    @Test("a non-integer card height names the field input.height")
    func nonIntegerHeightNamesField() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, _) = try Self.hubWithOneGoodModel(in: dir)
        try Data(#"{"name": "odd", "file": "good.pt", "input": {"height": 2.5, "width": 4}}"#.utf8)
            .write(to: hub.appendingPathComponent("odd.json"))
        let list = try CLI.run(["hub", "list", hub.path])
        #expect(!list.signalled)
        let all = list.stdout + list.stderr
        #expect(all.contains("odd.json: field 'input.height'"), "\(all)")
    }
}
