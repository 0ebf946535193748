import Foundation
import Testing
import FeatureIO
import Linalg
import TestSupport

/// Fixture files, found through the test bundle's resources (with a source-relative
/// fallback for toolchains whose `Bundle.module` lookup misbehaves).
enum Fixtures {
    static let directory: URL = {
        if let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) { return url }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: url(name))) }

    /// expected.json: format -> file -> (record | key -> record).
    static var expected: [String: Any] {
        guard let data = try? Data(contentsOf: url("expected.json")),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }

    static func section(_ format: String) -> [String: Any] { expected[format] as? [String: Any] ?? [:] }
}

/// One array's expected shape, dtype and values.
struct ExpectedArray {
    var shape: [Int]
    var dtype: String
    var values: [Double]
    var header: [String]?

    init?(_ any: Any?) {
        guard let dict = any as? [String: Any], let shape = dict["shape"] as? [Int],
            let dtype = dict["dtype"] as? String, let raw = dict["values"] as? [Any]
        else { return nil }
        self.shape = shape
        self.dtype = dtype
        // Strings, parsed here exactly ("nan", "inf", "-inf" included).
        self.values = raw.map { item in (item as? String).flatMap { Double($0) } ?? .nan }
        self.header = dict["header"] as? [String]
    }
}

/// Element-wise equality where NaN equals NaN (fixtures contain NaNs on purpose).
func sameValues(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || x == y }
}

/// A fresh directory for one test (TestSupport's `TemporaryDirectory`), removed when
/// the last reference goes, with helpers to write files into it.
final class ScratchDirectory {
    let url: URL
    init() throws { url = try TemporaryDirectory.make("featureio-test") }
    deinit { TemporaryDirectory.remove(url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let target = file(name)
        try Data(bytes).write(to: target)
        return target
    }

    func write(_ name: String, text: String) throws -> URL {
        try write(name, Array(text.utf8))
    }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }
}

/// Runs `body`, expecting a `FeatureIOError` whose one-line description contains every
/// fragment; returns the error for further checks.
@discardableResult
func expectFeatureIOError(
    _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> FeatureIOError? {
    do {
        try body()
        Issue.record("expected an error containing \(fragments)", sourceLocation: sourceLocation)
        return nil
    } catch let error as FeatureIOError {
        let text = error.description
        #expect(!text.contains("\n"), "description must be one line: \(text)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(text.contains(fragment), "'\(text)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected FeatureIOError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Builds a `.npy` file by hand, for headers NumPy itself would never write.
func handmadeNpy(header: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    var dict = Array(header.utf8)
    let preamble = version == 1 ? 10 : 12
    while (preamble + dict.count + 1) % 64 != 0 { dict.append(UInt8(ascii: " ")) }
    dict.append(UInt8(ascii: "\n"))
    var out: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]
    if version == 1 {
        out += [UInt8(dict.count & 0xff), UInt8(dict.count >> 8)]
    } else {
        out += [UInt8(dict.count & 0xff), UInt8((dict.count >> 8) & 0xff), 0, 0]
    }
    return out + dict + data
}

/// Little-endian bytes of float32 values.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

/// A safetensors file from a raw JSON header and data section.
func handmadeSafetensors(header: String, data: [UInt8]) -> [UInt8] {
    let json = Array(header.utf8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
}

/// Deterministic pseudo-random numbers, so a failing mutation can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
