import Cache
import FeatureIO
import Foundation
import Testing
import Torch

/// A tiny TorchScript model built from source: `features` (4 columns from a
/// 3 x 4 x 4 image), `forward` (3 source logits) and a rank-4 `spatial` method.
/// `slow` repeats a no-op multiplication so often that a batch takes minutes: the
/// process is always still inside the model when the test kills it, however fast
/// or loaded the machine is (it is killed, so the length costs nothing).
private func saveTinyModel(to url: URL, seed: UInt64 = 1, slow: Bool = false) throws {
    let g = try Generator(seed: seed)
    let net = try ScriptModule(name: "TinyNet")
    try net.registerParameter("weight", try Tensor.randn([4, 48], generator: g))
    try net.registerParameter("head", try Tensor.randn([3, 4], generator: g))
    try net.define(
        """
        def features(self, x):
            y = torch.matmul(torch.flatten(x, 1), self.weight.t())
            for i in range(\(slow ? 200_000_000 : 0)):
                y = y * 1.0
            return y

        def forward(self, x):
            return torch.matmul(self.features(x), self.head.t())

        def spatial(self, x):
            return x
        """)
    try net.save(to: url.path)
}

/// A hub with models `names` (cards asking for `features` and `forward`) and a NumPy dataset.
private func makeHub(in dir: URL, names: [String] = ["a", "b"], samples: Int = 24) throws -> (hub: URL, data: URL) {
    let hub = dir.appendingPathComponent("hub")
    try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
    for (i, name) in names.enumerated() {
        try saveTinyModel(to: hub.appendingPathComponent("\(name).pt"), seed: UInt64(i + 1))
        try Data(
            """
            {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"},
             "representation": {"method": "features"}, "source_head": {"method": "forward"},
             "metadata": {"source_dataset": "synthetic", "license": "MIT"}}
            """.utf8
        ).write(to: hub.appendingPathComponent("\(name).json"))
    }
    let data = dir.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let values = (0..<(samples * 48)).map { Double(($0 * 37) % 97) / 97 }
    try FeatureFile.writeNpy(NumericArray(shape: [samples, 3, 4, 4], dtype: .float32, values: values), to: data.appendingPathComponent("images.npy"))
    try FeatureFile.writeNpy(
        NumericArray(shape: [samples], dtype: .int64, values: (0..<samples).map { Double($0 % 3) }),
        to: data.appendingPathComponent("labels.npy"))
    return (hub, data)
}

/// Model name -> LogME score from rank's JSON.
private func scores(_ json: String) -> [String: Double] {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
        let models = object["models"] as? [[String: Any]]
    else { return [:] }
    var out = [String: Double]()
    for m in models { if let name = m["name"] as? String, let score = m["score"] as? Double { out[name] = score } }
    return out
}

@Suite("hubminer hub / extract / rank --hub")
struct HubCommandTests {
    @Test("hub list shows the cards; hub inspect runs each model and reports a broken card without stopping")
    func listAndInspect() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, _) = try makeHub(in: dir)
        try Data(#"{"name": "broken", "file": "a.pt", "representation": {"submodule": "layer9"}}"#.utf8)
            .write(to: hub.appendingPathComponent("broken.json"))
        let list = try CLI.run(["hub", "list", hub.path, "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("\"source_dataset\" : \"synthetic\""))
        let inspect = try CLI.run(["hub", "inspect", hub.path])
        #expect(inspect.status == 1)
        let lines = inspect.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("a ") && $0.contains(" 4 ") && $0.hasSuffix("ok") }, "\(inspect.stdout)")
        #expect(lines.contains { $0.hasPrefix("broken") && $0.contains("'layer9' is not a submodule of a.pt") })
        let one = try CLI.run(["hub", "inspect", hub.path, "--model", "b", "--format", "json"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("\"feature_dimension\" : 4") && one.stdout.contains("\"source_classes\" : 3"))
    }

    @Test("hub add checks the model runs, then copies it and writes its card")
    func add() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hub = dir.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let model = dir.appendingPathComponent("tiny.pt")
        try saveTinyModel(to: model)
        let bad = try CLI.run([
            "hub", "add", hub.path, "--model", model.path, "--name", "t", "--input-size", "3,4,4",
            "--representation", "method:spatial",
        ])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("t: representation has shape [2, 3, 4, 4]"), "\(bad.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: hub.path).isEmpty)
        let good = try CLI.run([
            "hub", "add", hub.path, "--model", model.path, "--name", "t", "--input-size", "3,4,4",
            "--representation", "method:spatial", "--pooling", "avg", "--source-dataset", "imagenet",
        ])
        #expect(good.status == 0, "\(good.stderr)")
        let card = try String(contentsOf: hub.appendingPathComponent("t.json"), encoding: .utf8)
        #expect(card.contains("\"feature_dimension\" : 3") && card.contains("\"source_dataset\" : \"imagenet\""))
        #expect(FileManager.default.fileExists(atPath: hub.appendingPathComponent("t.pt").path))
        let again = try CLI.run(["hub", "add", hub.path, "--model", model.path, "--name", "t"])
        #expect(again.status == 1 && again.stderr.contains("already has a model named t"))
    }

    @Test("hub add in bulk: creates the hub, names models by stem, reports a failing model and adds the others")
    func addSeveral() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hub = dir.appendingPathComponent("new/hub") // neither folder exists yet
        let models = dir.appendingPathComponent("exported")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try saveTinyModel(to: models.appendingPathComponent("alpha.pt"), seed: 1)
        try saveTinyModel(to: models.appendingPathComponent("beta.pt"), seed: 2)
        let broken = dir.appendingPathComponent("broken.pt")
        try Data("not a TorchScript archive".utf8).write(to: broken)
        let card = ["--input-size", "3,4,4", "--resize", "none", "--representation", "method:features", "--source-head", "method:forward"]
        let run = try CLI.run(
            ["hub", "add", hub.path, "--model", models.appendingPathComponent("alpha.pt").path, "--model", broken.path]
                + card + ["--model", models.appendingPathComponent("beta.pt").path])
        #expect(run.status == 1, "a failed model makes the command fail")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("name") == true && lines.first?.contains("representation") == true, "\(run.stdout)")
        #expect(lines.contains { $0.hasPrefix("alpha ") && $0.contains("added") && $0.contains("image 3x4x4") && $0.contains("method:features") })
        #expect(lines.contains { $0.hasPrefix("beta ") && $0.contains("added") }, "\(run.stdout)")
        #expect(lines.contains { $0.hasPrefix("broken ") && $0.contains("failed") }, "\(run.stdout)")
        #expect(run.stderr.contains("broken.pt: failed"), "\(run.stderr)")
        let list = try CLI.run(["hub", "list", hub.path, "--format", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let names = ((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["alpha", "beta"])

        // A folder adds each model file in it; JSON rows with --format json.
        let more = dir.appendingPathComponent("more")
        try FileManager.default.createDirectory(at: more, withIntermediateDirectories: true)
        try saveTinyModel(to: more.appendingPathComponent("gamma.pt"), seed: 3)
        try saveTinyModel(to: more.appendingPathComponent("delta.ts"), seed: 4)
        try Data("notes".utf8).write(to: more.appendingPathComponent("README.txt"))
        let folder = try CLI.run(["hub", "add", hub.path, "--model", more.path, "--format", "json"] + card)
        #expect(folder.status == 0, "\(folder.stderr)")
        let rows = (try JSONSerialization.jsonObject(with: Data(folder.stdout.utf8)) as? [[String: Any]]) ?? []
        #expect(rows.compactMap { $0["name"] as? String } == ["delta", "gamma"])
        #expect(rows.allSatisfy { $0["status"] as? String == "added" && $0["feature_dimension"] as? Int == 4 })

        let named = try CLI.run(["hub", "add", hub.path, "--model", broken.path, "--model", more.path, "--name", "x"])
        #expect(named.status != 0 && named.stderr.contains("--name names a single model"), "\(named.stderr)")
    }

    @Test("extract --out removes the files an earlier extract wrote and this one does not, and nothing else")
    func extractRemovesItsStaleFiles() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeHub(in: dir)
        let out = dir.appendingPathComponent("out")
        let arguments = [
            "extract", "--hub", hub.path, "--data", data.path, "--out", out.path, "--cache-dir", dir.appendingPathComponent("cache").path,
        ]
        let first = try CLI.run(arguments + ["--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let features = out.appendingPathComponent("features")
        #expect(try FileManager.default.contentsOfDirectory(atPath: features.path).sorted() == ["a.npy", "b.npy"])
        // The user's own files in the output folder.
        try Data("mine".utf8).write(to: features.appendingPathComponent("notes.txt"))
        try Data("mine".utf8).write(to: features.appendingPathComponent("z.npy"))
        try FileManager.default.removeItem(at: hub.appendingPathComponent("b.json"))
        try FileManager.default.removeItem(at: hub.appendingPathComponent("b.pt"))
        let second = try CLI.run(arguments + ["--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: features.path).sorted() == ["a.npy", "notes.txt", "z.npy"])
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("source_probs/b.npy").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("source_probs/a.npy").path))
        // An edited list never makes extract delete outside its own layout.
        let victim = dir.appendingPathComponent("victim.txt")
        try Data("keep".utf8).write(to: victim)
        try Data(
            #"{"format": "hubminer-extract-output", "version": 1, "files": ["../victim.txt", "features/../../victim.txt", "features/notes.txt", "data/labels.npy"]}"#
                .utf8
        ).write(to: out.appendingPathComponent("extract.json"))
        let third = try CLI.run(arguments + ["--quiet"])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(FileManager.default.fileExists(atPath: victim.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: features.path).sorted() == ["a.npy", "notes.txt", "z.npy"])
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("labels.npy").path))
        // --out inside the hub it reads is refused unless asked.
        let inside = try CLI.run(Array(arguments.dropLast(4)) + ["--out", hub.appendingPathComponent("feats").path, "--quiet"])
        #expect(inside.status == 1 && inside.stderr.contains("inside --hub"), "\(inside.stderr)")
    }

    @Test("extract writes the layout rank --features reads; rank --hub ranks end to end and reuses the cache")
    func extractAndRank() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeHub(in: dir)
        let cache = dir.appendingPathComponent("cache")
        let out = dir.appendingPathComponent("out")
        let extract = try CLI.run([
            "extract", "--hub", hub.path, "--data", data.path, "--out", out.path, "--cache-dir", cache.path,
            "--batch-size", "10",
        ])
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(extract.stdout.contains("a\textracted\t24\t4"))
        let fromFiles = try CLI.run([
            "rank", "--features", out.appendingPathComponent("features").path,
            "--labels", out.appendingPathComponent("labels.npy").path,
            "--source-probs", out.appendingPathComponent("source_probs").path,
            "--metric", "logme,leep", "--format", "json", "--quiet",
        ])
        #expect(fromFiles.status == 0, "\(fromFiles.stderr)")
        let fromHub = try CLI.run([
            "rank", "--hub", hub.path, "--data", data.path, "--cache-dir", cache.path,
            "--metric", "logme,leep", "--format", "json",
        ])
        #expect(fromHub.status == 0, "\(fromHub.stderr)")
        #expect(fromHub.stderr.contains("a: features from the cache"))
        // Same features, same scores: the two routes agree on every model's LogME.
        for route in [fromFiles.stdout, fromHub.stdout] { #expect(route.contains("\"leep\"")) }
        #expect(scores(fromHub.stdout).count == 2)
        #expect(scores(fromHub.stdout) == scores(fromFiles.stdout))
    }

    @Test("SIGKILL during the second model: the re-run keeps the first from the cache and extracts the second")
    func resumeAfterKill() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeHub(in: dir, names: ["a", "b"], samples: 20)
        try saveTinyModel(to: hub.appendingPathComponent("b.pt"), seed: 2, slow: true)
        let cache = dir.appendingPathComponent("cache")
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = [
            "extract", "--hub", hub.path, "--data", data.path, "--out", dir.appendingPathComponent("out").path,
            "--cache-dir", cache.path, "--batch-size", "10", "--quiet",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Kill as soon as model a's row is committed (b is still running). The
        // deadline only bounds a broken run; a loaded machine may need a while to
        // load libtorch and extract a (the whole suite runs its executables at once:
        // 120 s was once not enough on a machine also building).
        let deadline = Date().addingTimeInterval(300)
        var committed = false
        while Date() < deadline, process.isRunning {
            if FileManager.default.fileExists(atPath: cache.appendingPathComponent("cache.sqlite").path),
                let entries = try? FeatureCache(directory: cache).entries(), entries.contains(where: { $0.model == "a" })
            {
                committed = true
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(committed, "model a was never committed")
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try FeatureCache(directory: cache).entries().map(\.model) == ["a"])
        // The re-run finds a in the cache and extracts only b.
        try saveTinyModel(to: hub.appendingPathComponent("b.pt"), seed: 2)
        let rerun = try CLI.run([
            "extract", "--hub", hub.path, "--data", data.path, "--out", dir.appendingPathComponent("out").path,
            "--cache-dir", cache.path, "--batch-size", "10", "--quiet",
        ])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("a\tcache\t20\t4"), "\(rerun.stdout)")
        #expect(rerun.stdout.contains("b\textracted\t20\t4"), "\(rerun.stdout)")
    }

    @Test("rank --hub --progressive: CSV with the progressive columns, the cache reused by plain rank --hub; options checked")
    func progressive() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeHub(in: dir, names: ["a", "b", "c"], samples: 60)
        let cache = dir.appendingPathComponent("cache")
        let run = try CLI.run([
            "rank", "--hub", hub.path, "--data", data.path, "--cache-dir", cache.path, "--progressive", "--top", "1",
            "--no-settle", "--batch-size", "4", "--format", "csv",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasSuffix(",partial,stage,status,reason") == true, "\(run.stdout)")
        #expect(lines.count == 4)
        // 6 samples rounded up to whole batches of 4
        #expect(run.stderr.contains("stage 1/4: 8 samples"), "\(run.stderr)")
        // the stages run the frozen, optimised copies, made once per model for all stages
        for name in ["a", "b", "c"] {
            #expect(run.stderr.components(separatedBy: "\n\(name): frozen and optimised for inference").count - 1 == 1, "\(run.stderr)")
        }
        // the models that reached the last stage are in the cache under their ordinary keys
        let complete = lines.dropFirst().filter { $0.contains(",false,4,complete,") }.count
        #expect(complete >= 1)
        let plain = try CLI.run(["rank", "--hub", hub.path, "--data", data.path, "--cache-dir", cache.path, "--format", "json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.components(separatedBy: "features from the cache").count - 1 == complete)
        // a fresh cache: cached models cost nothing, so the budget would never bind
        let table = try CLI.run([
            "rank", "--hub", hub.path, "--data", data.path, "--cache-dir", dir.appendingPathComponent("cache2").path,
            "--progressive", "--budget", "10", "--batch-size", "4",
        ])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("progressive ranking (* = partial score"), "\(table.stdout)")
        #expect(table.stdout.contains("budget"))
        let stray = try CLI.run(["rank", "--hub", hub.path, "--data", data.path, "--budget", "10"])
        #expect(stray.status != 0 && stray.stderr.contains("--budget, --top and --settle go with --progressive"))
        let straySettle = try CLI.run(["rank", "--hub", hub.path, "--data", data.path, "--settle"])
        #expect(straySettle.status != 0 && straySettle.stderr.contains("--settle go with --progressive"))
        let badBudget = try CLI.run(["rank", "--hub", hub.path, "--data", data.path, "--progressive", "--budget", "5m"])
        #expect(badBudget.status != 0 && badBudget.stderr.contains("--budget"), "\(badBudget.stderr)")
    }

    @Test("rank validates the two ways in: feature files or a hub, not both")
    func validation() throws {
        let both = try CLI.run(["rank", "--hub", "h", "--data", "d", "--features", "f", "--labels", "l"])
        #expect(both.status != 0 && both.stderr.contains("give either --features/--labels (feature files) or --hub/--data"))
        let half = try CLI.run(["rank", "--hub", "h"])
        #expect(half.status != 0 && half.stderr.contains("--hub and --data go together"))
        let neither = try CLI.run(["rank"])
        #expect(neither.status != 0 && neither.stderr.contains("give --features DIR and --labels FILE, or --hub HUB and --data DATA"))
    }
}
