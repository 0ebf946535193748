import Distributed
import FeatureIO
import Foundation
import Testing
import Torch

/// Data-parallel tuning with 2 processes on 127.0.0.1 (the `TuningWorker` program
/// as ranks), against the same run in 1 process. Every launch is bounded in time.
@Suite("Data-parallel tuning", .serialized)
struct DataParallelTuningTests {
    @Test("2 processes with global batch 16 match 1 process with batch 16; ranks stay identical; one log")
    func twoProcessesMatchOne() throws {
        let fixture = try TuningRunFixture()
        defer { fixture.cleanup() }
        let single = try fixture.launch("single", processes: 1)
        #expect(single.result.failed.isEmpty, "\(single.log)")
        let double = try fixture.launch("double", processes: 2)
        #expect(double.result.failed.isEmpty, "\(double.log)")

        let reference = try fixture.weights("single", rank: 0)
        let rank0 = try fixture.weights("double", rank: 0)
        let rank1 = try fixture.weights("double", rank: 1)
        // Bit-identical across ranks: the same averaged gradients, the same steps.
        #expect(try TuningRunFixture.largestDifference(rank0, rank1) == 0)
        // Against one process only the summation order differs (a mean of two
        // half-batch means instead of one mean over 16 rows) in float32.
        let parameterDifference = try TuningRunFixture.largestDifference(rank0, reference)
        #expect(parameterDifference <= 1e-5, "largest |parameter difference| \(parameterDifference)")

        let singleLog = try fixture.log("single"), doubleLog = try fixture.log("double")
        // Rank 0 alone writes the log: as many lines as the 1-process run.
        #expect(singleLog.count == doubleLog.count)
        let singleSteps = singleLog.filter { $0["event"] as? String == "step" }
        let doubleSteps = doubleLog.filter { $0["event"] as? String == "step" }
        try #require(singleSteps.count == 8 && doubleSteps.count == 8, "2 epochs x 4 batches, logged every step")
        var lossDifference = 0.0
        for (a, b) in zip(singleSteps, doubleSteps) {
            #expect(a["iteration"] as? Int == b["iteration"] as? Int)
            let x = try #require((a["loss"] as? [String: Any])?["total"] as? Double)
            let y = try #require((b["loss"] as? [String: Any])?["total"] as? Double)
            lossDifference = max(lossDifference, abs(x - y))
        }
        #expect(lossDifference <= 1e-5, "largest step-loss difference \(lossDifference)")
        let singleTop1 = singleLog.compactMap { ($0["val"] as? [String: Any])?["top1"] as? Double }
        let doubleTop1 = doubleLog.compactMap { ($0["val"] as? [String: Any])?["top1"] as? Double }
        #expect(singleTop1.count == 2 && singleTop1 == doubleTop1, "validation top-1 \(singleTop1) vs \(doubleTop1)")
        print("2 vs 1 process: max |param diff| \(parameterDifference), max |step loss diff| \(lossDifference), val top-1 \(doubleTop1)")
    }

    @Test("text: 2 processes with global batch 16 match 1 process (the tiny BERT on labelled texts); ranks stay identical")
    func textTwoProcessesMatchOne() throws {
        let fixture = try TuningRunFixture.text()
        defer { fixture.cleanup() }
        let single = try fixture.launch("single", processes: 1, timeLimit: 120)
        #expect(single.result.failed.isEmpty, "\(single.log)")
        let double = try fixture.launch("double", processes: 2, timeLimit: 120)
        #expect(double.result.failed.isEmpty, "\(double.log)")
        let reference = try fixture.weights("single", rank: 0)
        let rank0 = try fixture.weights("double", rank: 0)
        let rank1 = try fixture.weights("double", rank: 1)
        #expect(try TuningRunFixture.largestDifference(rank0, rank1) == 0)
        // Each rank pads its half batch to its own longest text; padding is masked, so
        // only the summation order differs from one process.
        let parameterDifference = try TuningRunFixture.largestDifference(rank0, reference)
        #expect(parameterDifference <= 1e-5, "largest |parameter difference| \(parameterDifference)")
        let singleSteps = try fixture.log("single").filter { $0["event"] as? String == "step" }
        let doubleSteps = try fixture.log("double").filter { $0["event"] as? String == "step" }
        try #require(singleSteps.count == doubleSteps.count && singleSteps.count >= 8, "\(singleSteps.count) vs \(doubleSteps.count) steps")
        var lossDifference = 0.0
        for (a, b) in zip(singleSteps, doubleSteps) {
            let x = try #require((a["loss"] as? [String: Any])?["total"] as? Double)
            let y = try #require((b["loss"] as? [String: Any])?["total"] as? Double)
            lossDifference = max(lossDifference, abs(x - y))
        }
        #expect(lossDifference <= 1e-5, "largest step-loss difference \(lossDifference)")
        print("text, 2 vs 1 process: max |param diff| \(parameterDifference), max |step loss diff| \(lossDifference)")
    }

    @Test("an interrupted 2-process run resumed from rank 0's checkpoint ends as the uninterrupted one")
    func resumeFromRankZeroCheckpoint() throws {
        let fixture = try TuningRunFixture()
        defer { fixture.cleanup() }
        let whole = try fixture.launch("whole", processes: 2)
        #expect(whole.result.failed.isEmpty, "\(whole.log)")
        // Stopped after 6 steps (mid epoch 2): every rank stops at the same step.
        let stopped = try fixture.launch("parts", processes: 2, extra: ["--stop-after", "6"])
        #expect(stopped.result.exits.map(\.status) == [130, 130], "\(stopped.log)")
        for rank in 0..<2 {
            #expect(stopped.text("interrupted", rank: rank)?.contains("after iteration 6") == true, "\(stopped.log)")
        }
        let resumed = try fixture.launch("parts", processes: 2, extra: ["--resume"])
        #expect(resumed.result.failed.isEmpty, "\(resumed.log)")
        for rank in 0..<2 {
            #expect(try TuningRunFixture.largestDifference(try fixture.weights("parts", rank: rank), try fixture.weights("whole", rank: 0)) == 0)
        }
        // The log is cut back to the checkpoint and continued: identical apart from times.
        func strip(_ lines: [[String: Any]]) -> [String] {
            lines.map { line in
                var copy = line
                copy["seconds"] = nil
                return String(decoding: try! JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys]), as: UTF8.self)
            }
        }
        #expect(strip(try fixture.log("parts")) == strip(try fixture.log("whole")))
    }

    @Test("the overlapping reducer (default) and the post-backward synchroniser train bit-identically")
    func overlappingMatchesAfterBackward() throws {
        let fixture = try TuningRunFixture()
        defer { fixture.cleanup() }
        let overlapping = try fixture.launch("overlap", processes: 2)
        #expect(overlapping.result.failed.isEmpty, "\(overlapping.log)")
        let after = try fixture.launch("after", processes: 2, environment: ["HUBMINER_GRADIENT_REDUCTION": "after-backward"])
        #expect(after.result.failed.isEmpty, "\(after.log)")
        // With 2 ranks each sum is one float32 addition whatever the bucket layout,
        // so the two reductions give the same bits, hence the same steps.
        let difference = try TuningRunFixture.largestDifference(try fixture.weights("overlap", rank: 0), try fixture.weights("after", rank: 0))
        #expect(difference == 0, "largest |parameter difference| \(difference)")
        let bad = try fixture.launch("bad", processes: 1, environment: ["HUBMINER_GRADIENT_REDUCTION": "sometimes"])
        #expect(bad.result.exits[0].status == 1)
        #expect(bad.log.contains("HUBMINER_GRADIENT_REDUCTION is 'sometimes'; expected 'overlap' or 'after-backward'"), "\(bad.log)")
    }

    @Test("a rank killed mid-training makes the other fail with a clear error within the timeout")
    func killedRankFailsTheOther() throws {
        let fixture = try TuningRunFixture()
        defer { fixture.cleanup() }
        let run = try fixture.launch("killed", processes: 2, extra: ["--die-after", "3"], timeout: 5, timeLimit: 30)
        #expect(run.result.exits[1].signalled, "\(run.log)")
        #expect(run.result.exits[0].status == 1, "\(run.log)")
        let message = run.result.lines[0].first { $0.contains("error:") } ?? ""
        #expect(message.contains("data-parallel tuning: rank 0 of 2 lost contact with the other processes during the"), "\(message)")
        #expect(run.result.seconds < 20, "took \(run.result.seconds) s")
        print("killed rank: rank 0 failed after \(run.result.seconds) s in all: \(message)")
    }
}

/// A tiny hub (one model with no dropout and no buffer, so 1 and 2 processes
/// compute the same function), a learnable image dataset and the run configuration.
struct TuningRunFixture {
    let root: URL
    /// The model tuned: the TorchScript "tiny", or the text checkpoint "bert-wp".
    var target = "tiny"
    /// The dataset: a folder of arrays, or the CSV of labelled texts.
    var data: URL

    /// The tiny random BERT of the hub fixtures (WordPiece) on 96 labelled texts
    /// whose two classes draw their words from two pools.
    static func text() throws -> TuningRunFixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-dptune-text-\(UUID().uuidString)")
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(
            at: fixtures.appendingPathComponent("HubTests/Fixtures/texthub/bert-wp"), to: hub.appendingPathComponent("bert-wp"))
        let pools = [
            ["good", "fast", "large", "model", "network", "training", "encoder", "open"],
            ["slow", "small", "close", "maison", "école", "garçon", "corazón", "mädchen"],
        ]
        var state: UInt64 = 11
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        var lines = ["text,label"]
        for i in 0..<96 {
            let words = (0..<(4 + next(4))).map { _ in pools[i % 2][next(8)] }
            lines.append("\(words.joined(separator: " ")),\(i % 2 == 0 ? "pos" : "neg")")
        }
        let data = root.appendingPathComponent("texts.csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: data)
        return TuningRunFixture(root: root, target: "bert-wp", data: data)
    }

    init(root: URL, target: String, data: URL) {
        self.root = root
        self.target = target
        self.data = data
    }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-dptune-\(UUID().uuidString)")
        let hub = root.appendingPathComponent("hub"), data = root.appendingPathComponent("data")
        self.data = data
        for dir in [hub, data] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let g = try Generator(seed: 1)
        let net = try ScriptModule(name: "TinyDataParallelNet")
        try net.registerParameter("w", try Tensor.randn([16, 48], generator: g) * 0.3)
        try net.registerParameter("b", try Tensor.zeros([16]))
        try net.define(
            """
            def features(self, x):
                return torch.relu(torch.matmul(torch.flatten(x, 1), self.w.t()) + self.b)

            def forward(self, x):
                return self.features(x)
            """)
        try net.save(to: hub.appendingPathComponent("tiny.pt").path)
        try Data(
            """
            {"name": "tiny", "file": "tiny.pt", "input": {"height": 4, "width": 4, "resize": "none"},
             "representation": {"method": "features"}}
            """.utf8
        ).write(to: hub.appendingPathComponent("tiny.json"))
        // 96 images 3 x 4 x 4, labels i % 3, a class pattern over noise.
        let images = try Tensor.randn([96, 48], dtype: .float64, generator: try Generator(seed: 7)).toArray(of: Double.self)
        let labels = (0..<96).map { $0 % 3 }
        let values = images.enumerated().map { i, noise in noise + ((i % 48) % 3 == labels[i / 48] ? 1.5 : 0) }
        try FeatureFile.writeNpy(NumericArray(shape: [96, 3, 4, 4], dtype: .float32, values: values), to: data.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(
            NumericArray(shape: [96], dtype: .int64, values: labels.map(Double.init)),
            to: data.appendingPathComponent("labels.npy"))
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }

    /// 72 training samples (a 25 % held-out split), global batch 16: 4 steps per
    /// epoch, 2 epochs, every step logged.
    func config(_ name: String) throws -> URL {
        let json = """
            {"hub": "\(root.appendingPathComponent("hub").path)", "data": "\(data.path)",
             "target": "\(target)", "out": "\(root.appendingPathComponent(name).path)", "epochs": 2, "batch_size": 16,
             "optimizer": {"lr": 0.05, "backbone_lr_multiplier": 0.5}, "split": {"validation_fraction": 0.25}, "log_every": 1}
            """
        let url = root.appendingPathComponent("\(name).json")
        try Data(json.utf8).write(to: url)
        return url
    }

    static var workerExecutable: URL {
        Launcher.currentExecutable.deletingLastPathComponent().appendingPathComponent("TuningWorker")
    }

    func launch(
        _ name: String, processes: Int, extra: [String] = [], timeout: Double = 10, timeLimit: Double = 40,
        environment: [String: String] = [:]
    ) throws -> TuningWorkerRun {
        let dump = root.appendingPathComponent("\(name)-weights")
        try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: true)
        let launcher = Launcher(
            executable: Self.workerExecutable, arguments: [try config(name).path, dump.path] + extra,
            processCount: processes,
            environment: ["HUBMINER_DIST_TIMEOUT": String(timeout), "OMP_NUM_THREADS": "1"]
                .merging(environment) { $1 },
            timeLimit: timeLimit, output: nil)
        return TuningWorkerRun(result: try launcher.start())
    }

    func weights(_ name: String, rank: Int) throws -> [Tensor] {
        try TensorList.load(from: root.appendingPathComponent("\(name)-weights/weights-rank\(rank).pt").path)
    }

    func log(_ name: String) throws -> [[String: Any]] {
        let text = try String(contentsOf: root.appendingPathComponent("\(name)/log.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    static func largestDifference(_ a: [Tensor], _ b: [Tensor]) throws -> Double {
        try #require(a.count == b.count && !a.isEmpty)
        return try zip(a, b).map { try ($0.to(.float64) - $1.to(.float64)).abs().max().item() }.max() ?? 0
    }
}

struct TuningWorkerRun {
    let result: Launcher.Result

    func text(_ key: String, rank: Int) -> String? {
        let prefix = "[rank \(rank)] RESULT \(key)="
        return result.lines[rank].last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    var log: String { result.lines.flatMap { $0 }.joined(separator: "\n") }
}
