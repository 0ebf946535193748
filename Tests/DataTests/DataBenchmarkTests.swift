import Foundation
import Testing
@testable import Data
import FeatureIO
import Support

/// Loader throughput, only when HUBMINER_DATA_BENCH=1 (run in release:
/// `HUBMINER_DATA_BENCH=1 swift test -c release --filter DataBenchmark`).
@Suite("Data benchmark", .enabled(if: ProcessInfo.processInfo.environment["HUBMINER_DATA_BENCH"] == "1"))
struct DataBenchmarkTests {
    func photo(_ size: Int, seed: Int) -> DecodedImage {
        // Smooth gradients with some texture, compressible like photographs.
        var px = [UInt8]()
        px.reserveCapacity(size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                for c in 0..<3 { px.append(UInt8(truncatingIfNeeded: (x * (c + 1) + y * 2 + seed * 13 + ((x ^ y) & 7)) % 256)) }
            }
        }
        return DecodedImage(width: size, height: size, channels: 3, pixels: px)
    }

    func measure(_ dataset: any Dataset, _ transform: (any Transform)?, workers: Int) throws -> Double {
        let loader = DataLoader(dataset: dataset, batchSize: 50, transform: transform, shuffle: true, seed: 1, prefetch: 4, workers: workers)
        let start = Date()
        let it = loader.makeIterator()
        var n = 0
        while let b = try it.nextBatch() { n += b.count }
        return Double(n) / Date().timeIntervalSince(start)
    }

    @Test("images per second")
    func throughput() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let png = dir.appendingPathComponent("png"), jpg = dir.appendingPathComponent("jpg")
        for i in 0..<2000 {
            try write(try ImageCodec.encodePNG(photo(32, seed: i)), to: png.appendingPathComponent("c\(i % 10)/\(i).png"))
        }
        for i in 0..<500 {
            try write(try ImageCodec.encodeJPEG(photo(224, seed: i), quality: 90), to: jpg.appendingPathComponent("c\(i % 10)/\(i).jpg"))
        }
        let pngs = try DatasetLoader.open(png, split: nil), jpgs = try DatasetLoader.open(jpg, split: nil)
        let cases: [(String, any Dataset, (any Transform)?)] = [
            ("2000 PNG 32x32, decode only", pngs, nil),
            ("2000 PNG 32x32, decode + Resize(224x224) + Normalize", pngs, Compose([Resize(height: 224, width: 224), Normalize.imageNet])),
            ("500 JPEG 224x224, decode only", jpgs, nil),
            ("500 JPEG 224x224, decode + Resize(shorter=256) + CenterCrop(224) + Normalize", jpgs, Transforms.evaluation()),
            ("500 JPEG 224x224, decode + RandomResizedCrop(224) + flip + Normalize", jpgs, Transforms.training()),
        ]
        let blob = [UInt8](repeating: 0x5A, count: 64 << 20)
        let hashStart = Date()
        _ = SHA256.hash(blob)
        print("BENCH SHA-256: \(Int(64 / Date().timeIntervalSince(hashStart))) MB/s")
        let small = try pngs.sample(at: 0)
        for (name, t) in [
            ("Resize 32->224", Resize(height: 224, width: 224) as any Transform),
            ("Resize 224->256 shorter", Resize(shorter: 256) as any Transform),
        ] {
            let input = name.hasPrefix("Resize 32") ? small : try jpgs.sample(at: 0)
            let t0 = Date()
            for _ in 0..<200 { _ = try t.apply(input) }
            print("BENCH \(name): \(Int(Date().timeIntervalSince(t0) / 200 * 1e6)) us per image")
        }
        let big = try Resize(height: 224, width: 224).apply(small)
        let t1 = Date()
        for _ in 0..<200 { _ = try Normalize.imageNet.apply(big) }
        print("BENCH Normalize 224: \(Int(Date().timeIntervalSince(t1) / 200 * 1e6)) us per image")
        for (name, dataset, transform) in cases {
            _ = try measure(dataset, transform, workers: 1) // warm the page cache
            let one = try measure(dataset, transform, workers: 1)
            let two = try measure(dataset, transform, workers: 2)
            print("BENCH \(name): 1 worker \(Int(one)) img/s, 2 workers \(Int(two)) img/s")
        }
    }
}
