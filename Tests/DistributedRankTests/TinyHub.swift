import FeatureIO
import Foundation
import Torch

/// A hub of tiny TorchScript models (features = relu(flatten(x) Wᵀ + b), 6 columns)
/// and a NumPy image dataset (3 x 4 x 4, 3 classes), built in the test.
enum TinyHub {
    static let inputCount = 3 * 4 * 4

    static func addModel(_ name: String, to hub: URL, seed: UInt64) throws {
        let g = try Generator(seed: seed)
        let net = try ScriptModule(name: "Tiny")
        try net.registerParameter("weight", try Tensor.randn([6, inputCount], generator: g))
        try net.registerParameter("bias", try Tensor.randn([6], generator: g))
        try net.define(
            """
            def forward(self, x):
                return torch.relu(torch.matmul(torch.flatten(x, 1), self.weight.t()) + self.bias)
            """)
        try net.save(to: hub.appendingPathComponent("\(name).pt").path)
        try card(name, in: hub)
    }

    /// A card whose model file is not TorchScript: the model fails when loaded, on every rank.
    static func addBrokenModel(_ name: String, to hub: URL) throws {
        try Data("not a TorchScript archive".utf8).write(to: hub.appendingPathComponent("\(name).pt"))
        try card(name, in: hub)
    }

    private static func card(_ name: String, in hub: URL) throws {
        try Data(
            """
            {"name": "\(name)", "file": "\(name).pt", "input": {"height": 4, "width": 4, "resize": "none"}}
            """.utf8
        ).write(to: hub.appendingPathComponent("\(name).json"))
    }

    /// `count` images with pseudo-random values and labels that depend on them a little.
    static func writeDataset(_ dir: URL, count: Int, classes: Int = 3) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var state: UInt64 = 12345
        func uniform() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) * 0x1.0p-53 }
        let labels = (0..<count).map { ($0 * 5 + 1) % classes }
        var values = [Double]()
        for i in 0..<count { for j in 0..<inputCount { values.append(uniform() + (j % classes == labels[i] ? 0.4 : 0)) } }
        try FeatureFile.writeNpy(
            NumericArray(shape: [count, 3, 4, 4], dtype: .float32, values: values),
            to: dir.appendingPathComponent("images.npy"))
        try FeatureFile.writeNpy(
            NumericArray(shape: [count], dtype: .int64, values: labels.map(Double.init)),
            to: dir.appendingPathComponent("labels.npy"))
    }
}
