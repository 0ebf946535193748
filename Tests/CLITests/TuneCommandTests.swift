import FeatureIO
import Foundation
import Testing
import Torch

/// A hub with one tiny model (`features` over 3 x 4 x 4 images, `forward` source
/// logits) and a learnable NumPy dataset of 3 classes.
private func makeTuneProblem(in dir: URL) throws -> (hub: URL, data: URL) {
    let hub = dir.appendingPathComponent("hub")
    try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
    let g = try Generator(seed: 1)
    let net = try ScriptModule(name: "TinyNet")
    try net.registerParameter("weight", try Tensor.randn([8, 48], generator: g) * 0.3)
    try net.registerParameter("head", try Tensor.randn([4, 8], generator: g))
    try net.define(
        """
        def features(self, x):
            return torch.relu(torch.matmul(torch.flatten(x, 1), self.weight.t()))

        def forward(self, x):
            return torch.matmul(self.features(x), self.head.t())
        """)
    try net.save(to: hub.appendingPathComponent("tiny.pt").path)
    try Data(
        #"{"name": "tiny", "file": "tiny.pt", "input": {"height": 4, "width": 4, "resize": "none"}, "representation": {"method": "features"}, "source_head": {"method": "forward"}}"#
            .utf8
    )
    .write(to: hub.appendingPathComponent("tiny.json"))
    let data = dir.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
    let n = 90
    let values = (0..<(n * 48)).map { i -> Double in
        let (sample, j) = (i / 48, i % 48)
        return Double((i * 37) % 97) / 97 + (j % 3 == sample % 3 ? 1.5 : 0)
    }
    try FeatureFile.writeNpy(NumericArray(shape: [n, 3, 4, 4], dtype: .float32, values: values), to: data.appendingPathComponent("images.npy"))
    try FeatureFile.writeNpy(
        NumericArray(shape: [n], dtype: .int64, values: (0..<n).map { Double($0 % 3) }), to: data.appendingPathComponent("labels.npy"))
    return (hub, data)
}

@Suite("hubminer tune")
struct TuneCommandTests {
    @Test("tune forwarded from hubminer: exit 0, table, config/log/result/checkpoint/model written; the model passes hub inspect")
    func endToEnd() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeTuneProblem(in: dir)
        let out = dir.appendingPathComponent("out")
        let run = try CLI.run([
            "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--method", "finetune",
            "--epochs", "3", "--batch-size", "16", "--lr", "0.1", "--seed", "1", "--out", out.path, "--quiet",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("best") && run.stdout.contains("finetune"), "\(run.stdout)")
        for file in ["config.json", "log.jsonl", "result.json", "checkpoint/state.json", "model/tiny-finetune.pt", "model/tiny-finetune.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("result.json"))) as? [String: Any])
        #expect(result["method"] as? String == "finetune" && result["classes"] as? Int == 3 && result["epochs"] as? Int == 3)
        let inspect = try CLI.run(["hub", "inspect", out.appendingPathComponent("model").path])
        #expect(inspect.status == 0, "\(inspect.stdout)\(inspect.stderr)")

        let json = try CLI.run([
            "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--epochs", "3", "--batch-size", "16",
            "--lr", "0.1", "--seed", "1", "--out", out.path, "--resume", "--format", "json", "--quiet",
        ])
        #expect(json.status == 0, "\(json.stderr)")
        // `--format json` prints result.json as the run wrote it (sorted keys).
        #expect(json.stdout == (try String(contentsOf: out.appendingPathComponent("result.json"), encoding: .utf8)), "\(json.stdout)")
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(printed["method"] as? String == "finetune", "\(json.stdout)")

        // The shared output options: the result in the file, a summary line on stdout.
        let file = dir.appendingPathComponent("tune.json")
        let toFile = try CLI.run([
            "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--epochs", "3", "--batch-size", "16",
            "--lr", "0.1", "--seed", "1", "--out", out.path, "--resume", "--format", "json", "--output", file.path,
        ])
        #expect(toFile.status == 0, "\(toFile.stderr)")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        #expect(written["method"] as? String == "finetune")
        #expect(
            toFile.stdout.hasPrefix("tuned tiny with finetune: best top-1 ") && toFile.stdout.hasSuffix("wrote \(file.path) (json)\n"),
            "\(toFile.stdout)")

        // A run directory inside the hub it reads is refused before any training.
        let inside = try CLI.run([
            "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--epochs", "1", "--out", hub.appendingPathComponent("run").path,
        ])
        #expect(inside.status == 1 && inside.stderr.contains("inside --hub"), "\(inside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: hub.appendingPathComponent("run").path))
    }

    @Test("bad runs: unknown method lists the known ones, an unknown option and a busy output directory are refused")
    func errors() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeTuneProblem(in: dir)
        let base = [
            "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--epochs", "1", "--quiet",
            "--out", dir.appendingPathComponent("out").path,
        ]
        let unknown = try CLI.run(base + ["--method", "magic"])
        #expect(unknown.status == 1)
        #expect(
            unknown.stderr.contains("field 'method': unknown method 'magic' (known methods:") && unknown.stderr.contains("finetune"),
            "\(unknown.stderr)")
        let option = try CLI.run(base + ["--option", "temperature=4"])
        #expect(option.status == 1 && option.stderr.contains("method 'finetune' has no option 'temperature'"), "\(option.stderr)")
        let config = dir.appendingPathComponent("tune.yaml")
        try Data("optimizer:\n  lr: fast\n".utf8).write(to: config)
        let bad = try CLI.run(base + ["--config", config.path])
        #expect(bad.status == 1 && bad.stderr.contains("field 'optimizer.lr': expected a number"), "\(bad.stderr)")
        #expect(try CLI.run(base).status == 0)
        let busy = try CLI.run(base)
        #expect(busy.status == 1 && busy.stderr.contains("--resume"), "\(busy.stderr)")
    }
}
