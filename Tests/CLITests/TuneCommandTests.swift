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
            toFile.stdout.hasPrefix("tuned tiny with finetune: best validation top-1 ") && toFile.stdout.hasSuffix("wrote \(file.path) (json)\n"),
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

    /// A run's log lines and result without their timings (JSON with sorted keys).
    private static func numbers(of out: URL) throws -> [String] {
        let log = try String(contentsOf: out.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
        let result = try String(contentsOf: out.appendingPathComponent("result.json"), encoding: .utf8)
        let lines: [String] = log.map { String($0) } + [result]
        return try lines.map { (line: String) throws -> String in
            var object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            object["seconds"] = nil
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    @Test("--device cpu and auto (no GPU here) give exactly the default run's losses, metrics and exported weights")
    func deviceCPUAndAutoAreTheDefault() throws {
        guard Device.cudaDeviceCount == 0 else { return } // on a GPU machine auto is the GPU: scripts/gpu-check.sh compares
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeTuneProblem(in: dir)
        // A teacher for B-Tuning: the same network under another name.
        try FileManager.default.copyItem(at: hub.appendingPathComponent("tiny.pt"), to: hub.appendingPathComponent("teacher.pt"))
        let card = try String(contentsOf: hub.appendingPathComponent("tiny.json"), encoding: .utf8)
        try Data(card.replacingOccurrences(of: "tiny", with: "teacher").utf8).write(to: hub.appendingPathComponent("teacher.json"))
        var runs: [(numbers: [String], weights: [Tensor])] = []
        for device in [nil, "cpu", "auto"] {
            let out = dir.appendingPathComponent("out-\(device ?? "default")")
            let run = try CLI.run(
                [
                    "tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--method", "btuning", "--teacher", "teacher",
                    "--epochs", "2", "--batch-size", "16", "--lr", "0.1", "--seed", "3", "--out", out.path, "--quiet",
                ] + (device.map { ["--device", $0] } ?? []))
            #expect(run.status == 0, "\(run.stderr)")
            let model = try ScriptModule(contentsOf: out.appendingPathComponent("model/tiny-btuning.pt").path)
            runs.append((try Self.numbers(of: out), try model.parameters()))
        }
        #expect(runs[0].numbers.count > 3)
        for other in runs.dropFirst() {
            #expect(other.numbers == runs[0].numbers)
            #expect(other.weights.count == runs[0].weights.count)
            for (a, b) in zip(other.weights, runs[0].weights) { #expect(try a.equals(b)) }
        }
    }

    @Test("--device cuda without a GPU: tune, tune --nproc, demo and extract stop with one line saying what is missing")
    func cudaWithoutGPU() throws {
        guard Device.cudaDeviceCount == 0 else { return }
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (hub, data) = try makeTuneProblem(in: dir)
        let out = dir.appendingPathComponent("out")
        let tune = ["tune", "--hub", hub.path, "--data", data.path, "--target", "tiny", "--epochs", "1", "--out", out.path, "--quiet"]
        let cache = dir.appendingPathComponent("cache")
        for arguments in [
            tune + ["--device", "cuda"],
            tune + ["--device", "cuda", "--nproc", "2"],
            ["demo", "--quick", "--quiet", "--device", "cuda", "--cache-dir", cache.path],
            ["extract", "--hub", hub.path, "--data", data.path, "--out", out.path, "--device", "cuda", "--cache-dir", cache.path],
        ] {
            let run = try CLI.run(arguments)
            #expect(run.status == 1 && !run.signalled, "\(arguments[0]): status \(run.status) \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments[0]): \(run.stderr)")
            #expect(
                (run.stderr.contains("no CUDA libtorch") || run.stderr.contains("no GPU")) && run.stderr.contains("--device cpu"),
                "\(arguments[0]): \(run.stderr)")
        }
        // Nothing was trained, built or written.
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("zoo").path))
        // A bad name is refused by the parser, as for extract and rank.
        let bad = try CLI.run(tune + ["--device", "tpu"])
        #expect(bad.status != 0 && bad.stderr.contains("--device must be cpu, cuda or auto, got 'tpu'"), "\(bad.stderr)")
    }
}
