import FeatureIO
import Foundation
import Linalg
import TestSupport
import Torch
@testable import Tuning
import Support

/// Temporary directories, a tiny hub built from TorchScript source and a
/// synthetic, learnable image dataset for the trainer's tests.
enum TuningFixtures {
    static func tempDir(_ name: String = #function) throws -> URL {
        try TemporaryDirectory.make("hubminer-tuning-\(name.filter { $0.isLetter || $0.isNumber })")
    }

    static func cleanup(_ url: URL) { TemporaryDirectory.remove(url) }

    /// A network over 3 x 4 x 4 images: `features` = dropout(relu(x W^T + b)) with a
    /// running-mean buffer updated in train mode (so checkpoints must carry buffers
    /// and libtorch's generator must be reseeded for exact resumes); `forward` gives
    /// 5 source logits; `hints` two maps.
    static func model(hidden: Int = 16, seed: UInt64 = 1) throws -> ScriptModule {
        let g = try Generator(seed: seed)
        let net = try ScriptModule(name: "TinyTuneNet")
        try net.registerParameter("w", try Tensor.randn([hidden, 48], generator: g) * 0.3)
        try net.registerParameter("b", try Tensor.zeros([hidden]))
        try net.registerParameter("running", try Tensor.zeros([hidden]), isBuffer: true)
        try net.registerParameter("head", try Tensor.randn([5, hidden], generator: g))
        try net.define(
            """
            def features(self, x):
                h = torch.relu(torch.matmul(torch.flatten(x, 1), self.w.t()) + self.b)
                if self.training:
                    self.running.mul_(0.9).add_(h.detach().mean(0) * 0.1)
                return torch.dropout(h, 0.1, self.training)

            def forward(self, x):
                return torch.matmul(self.features(x), self.head.t())

            def hints(self, x):
                h = torch.matmul(torch.flatten(x, 1), self.w.t())
                return [h, torch.relu(h)]
            """)
        return net
    }

    /// A hub with models `names` (each its own seed) and cards asking for
    /// `features`, a `forward` source head and `hints`.
    static func hub(in root: URL, names: [String] = ["tiny"], hints: Bool = true) throws -> URL {
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        for (i, name) in names.enumerated() {
            try model(seed: UInt64(i + 1)).save(to: hub.appendingPathComponent("\(name).pt").path)
            try Data(
                """
                {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"},
                 "representation": {"method": "features"}, "source_head": {"method": "forward"}\(hints ? #", "hints": {"method": "hints"}"# : "")}
                """.utf8
            ).write(to: hub.appendingPathComponent("\(name).json"))
        }
        return hub
    }

    /// `count` images 3 x 4 x 4: noise plus a class-specific pattern of strength
    /// `signal`, labels i % classes (a task a linear model learns well).
    static func dataset(in root: URL, count: Int = 96, classes: Int = 3, signal: Double = 1.5, seed: UInt64 = 7) throws -> URL {
        let dir = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SeededGenerator(seed: seed)
        var values = [Double]()
        let labels = (0..<count).map { $0 % classes }
        for i in 0..<count {
            for j in 0..<48 {
                let u1 = Swift.max(rng.uniform(), 1e-12), u2 = rng.uniform()
                let noise = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
                values.append(noise + (j % classes == labels[i] ? signal : 0))
            }
        }
        try FeatureFile.writeNpy(
            NumericArray(shape: [count, 3, 4, 4], dtype: .float32, values: values), to: dir.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(
            NumericArray(shape: [count], dtype: .int64, values: labels.map(Double.init)),
            to: dir.appendingPathComponent("labels.npy"))
        return dir
    }

    /// A configuration over `hub`/`data` with small, fast settings.
    static func config(hub: URL, data: URL, out: URL, epochs: Int = 3) -> TuneConfiguration {
        var c = TuneConfiguration()
        c.hub = hub.path
        c.data = data.path
        c.target = "tiny"
        c.out = out.path
        c.epochs = epochs
        c.batchSize = 16
        c.optimizer.lr = 0.05
        c.split.validationFraction = 0.25
        c.logEvery = 2
        return c
    }
}
