import Foundation
import FeatureIO
import Hub
import TestSupport
import Torch

/// A fresh temporary directory, removed by the caller with `cleanup`.
func makeTempDir(_ name: String = #function) throws -> URL {
    try TemporaryDirectory.make("hubminer-hub-\(name.filter { $0.isLetter || $0.isNumber })")
}

func cleanup(_ url: URL) { TemporaryDirectory.remove(url) }

/// Tiny TorchScript models built from source (no Python, no recorded file paths).
enum TinyModels {
    /// `features(x)` = flatten(x) · Wᵀ (4 columns); `forward` = source logits (3
    /// classes) of the features; `both` returns (features, logits); `spatial` returns
    /// x itself (rank 4); `named` returns a dict. Submodules: `backbone` (x * scale,
    /// rank 4, for pooling) and `fc` (logits from 4 features).
    static func make(inputCount: Int, channels: Int = 3, seed: UInt64 = 1) throws -> ScriptModule {
        let g = try Generator(seed: seed)
        let backbone = try ScriptModule(name: "Backbone")
        try backbone.registerParameter("scale", try Tensor.full([1, channels, 1, 1], value: 2.0))
        try backbone.define(
            """
            def forward(self, x):
                return torch.relu(x * self.scale - 0.25)
            """)
        let fc = try ScriptModule(name: "Head")
        try fc.registerParameter("weight", try Tensor.randn([3, channels], generator: g))
        try fc.define(
            """
            def forward(self, x):
                return torch.matmul(x, self.weight.t())
            """)
        let net = try ScriptModule(name: "TinyNet")
        try net.registerParameter("weight", try Tensor.randn([4, inputCount], generator: g))
        try net.registerParameter("head", try Tensor.randn([3, 4], generator: g))
        try net.registerModule("backbone", backbone)
        try net.registerModule("fc", fc)
        try net.define(
            """
            def features(self, x):
                return torch.matmul(torch.flatten(x, 1), self.weight.t())

            def forward(self, x):
                return torch.matmul(self.features(x), self.head.t())

            def both(self, x):
                f = self.features(x)
                return (f, torch.matmul(f, self.head.t()))

            def named(self, x) -> Dict[str, Tensor]:
                return {"emb": self.features(x), "logits": self.forward(x)}

            def spatial(self, x):
                return x
            """)
        return net
    }

    static func save(inputCount: Int, to url: URL, channels: Int = 3, seed: UInt64 = 1) throws {
        try make(inputCount: inputCount, channels: channels, seed: seed).save(to: url.path)
    }
}

/// Writes a card as JSON.
func writeCard(_ json: String, to url: URL) throws {
    try Data(json.utf8).write(to: url)
}

/// A NumPy-array dataset: `count` images 3 x size x size, labels i % classes.
func makeNumpyDataset(_ dir: URL, count: Int, size: Int = 4, classes: Int = 3, seed: Int = 1) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let n = count * 3 * size * size
    let values = (0..<n).map { Double(($0 &* 37 &+ seed &* 101) % 97) / 97.0 }
    try FeatureFile.writeNpy(
        NumericArray(shape: [count, 3, size, size], dtype: .float32, values: values), to: dir.appendingPathComponent("images.npy"))
    try FeatureFile.writeNpy(
        NumericArray(shape: [count], dtype: .int64, values: (0..<count).map { Double($0 % classes) }),
        to: dir.appendingPathComponent("labels.npy"))
}

/// MNIST idx files (train split): `count` images of rows x columns.
func makeMNIST(_ dir: URL, count: Int, rows: Int = 4, columns: Int = 4) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    func be(_ v: Int) -> [UInt8] { [UInt8((v >> 24) & 255), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
    var images: [UInt8] = be(0x0803) + be(count) + be(rows) + be(columns)
    images += (0..<(count * rows * columns)).map { UInt8(($0 * 13) % 256) }
    let labels: [UInt8] = be(0x0801) + be(count) + (0..<count).map { UInt8($0 % 2) }
    try Data(images).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
    try Data(labels).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
}

/// An image folder of RGB PNGs (stored deflate), `perClass` per class.
func makeImageFolder(_ root: URL, classes: [String], perClass: Int, size: Int) throws {
    for (c, name) in classes.enumerated() {
        let dir = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for i in 0..<perClass {
            let rows = (0..<size).map { y in (0..<(size * 3)).map { UInt8(($0 * 7 + y * 31 + c * 50 + i * 11) % 256) } }
            try rawPNG(width: size, height: size, rows: rows).write(to: dir.appendingPathComponent("img\(i).png"))
        }
    }
}

private func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

private func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    return b << 16 | a
}

private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }

/// An 8-bit RGB PNG with stored (uncompressed) deflate blocks; rows must be small.
private func rawPNG(width: Int, height: Int, rows: [[UInt8]]) -> Data {
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(body.count)) + t + body + be32(crc32(t + body))
    }
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
    let raw: [UInt8] = rows.flatMap { [0] + $0 }
    let n = raw.count
    let deflate: [UInt8] = [1, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)] + raw
    png += chunk("IDAT", [0x78, 0x01] + deflate + be32(adler32(raw)))
    png += chunk("IEND", [])
    return Data(png)
}
