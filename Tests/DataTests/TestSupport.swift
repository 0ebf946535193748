import Foundation
import TestSupport
@testable import Data

/// A fresh temporary directory, removed by the caller with `cleanup`.
func makeTempDir(_ name: String = #function) throws -> URL {
    try TemporaryDirectory.make("hubminer-data-\(name.filter { $0.isLetter || $0.isNumber })")
}

func cleanup(_ url: URL) { TemporaryDirectory.remove(url) }

func write(_ data: Data, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
}

/// Deterministic pixel bytes.
func pattern(_ count: Int, seed: Int = 1) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 37 &+ seed &* 101 &+ ($0 >> 3) &* 11) % 256) }
}

// MARK: - Raw PNG/gzip writers (stored deflate blocks), for colour types the
// simplified libpng writer cannot produce (palette, 16-bit exact).

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1, b: UInt32 = 0
    for x in bytes { a = (a + UInt32(x)) % 65521; b = (b + a) % 65521 }
    return b << 16 | a
}

func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }
func le32(_ v: UInt32) -> [UInt8] { be32(v).reversed() }

/// Raw deflate made of stored blocks.
func storedDeflate(_ data: [UInt8]) -> [UInt8] {
    var out = [UInt8]()
    var offset = 0
    repeat {
        let n = min(65535, data.count - offset)
        let final: UInt8 = offset + n >= data.count ? 1 : 0
        out.append(final)
        out += [UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)]
        out += data[offset..<(offset + n)]
        offset += n
    } while offset < data.count
    return out
}

func gzipStored(_ data: [UInt8]) -> Data {
    Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff] + storedDeflate(data) + le32(crc32(data)) + le32(UInt32(data.count)))
}

/// A PNG with the given IHDR colour type and bit depth; `rows` are unfiltered
/// scanlines (filter byte 0 is added).
func rawPNG(
    width: Int, height: Int, colorType: UInt8, bitDepth: UInt8, rows: [[UInt8]],
    palette: [UInt8]? = nil, transparency: [UInt8]? = nil
) -> Data {
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let t = Array(type.utf8)
        return be32(UInt32(body.count)) + t + body + be32(crc32(t + body))
    }
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
    if let palette { png += chunk("PLTE", palette) }
    if let transparency { png += chunk("tRNS", transparency) }
    let raw: [UInt8] = rows.flatMap { (row: [UInt8]) -> [UInt8] in [0] + row }
    png += chunk("IDAT", [0x78, 0x01] + storedDeflate(raw) + be32(adler32(raw)))
    png += chunk("IEND", [])
    return Data(png)
}

/// Writes `count` RGB PNGs of `size` x `size` per class into `root/<class>/`.
func makeImageFolder(_ root: URL, classes: [String], perClass: Int, size: Int = 4, jpeg: Bool = false) throws {
    for (c, name) in classes.enumerated() {
        for i in 0..<perClass {
            let image = DecodedImage(width: size, height: size, channels: 3, pixels: pattern(size * size * 3, seed: c * 100 + i))
            let data = jpeg ? try ImageCodec.encodeJPEG(image) : try ImageCodec.encodePNG(image)
            try write(data, to: root.appendingPathComponent(name).appendingPathComponent(String(format: "img%03d.%@", i, jpeg ? "jpg" : "png")))
        }
    }
}

/// A dataset in memory for loader tests: sample i has value i in every element,
/// label i % classes; `failing` makes one index throw an error naming a file.
struct SyntheticDataset: Dataset {
    var count: Int
    var shape: [Int] = [1, 2, 2]
    var classes = 3
    var failing: Int? = nil
    var oddShapeAt: Int? = nil
    var classNames: [String] { (0..<classes).map { "c\($0)" } }
    var kind: SampleKind { .image }
    var fingerprint: String { "synthetic-\(count)" }

    func sample(at index: Int) throws -> Sample {
        if index == failing { throw DataError.decodeFailed(path: "broken/file\(index).png", reason: "synthetic failure") }
        let s = index == oddShapeAt ? [1, 3, 3] : shape
        return Sample(
            values: [Float](repeating: Float(index), count: s.reduce(1, *)), shape: s, label: index % classes,
            source: "mem/\(index)")
    }
}
