import Foundation
import Testing
import FeatureIO
import Linalg
import Support

/// What our writers write, our readers read back unchanged; and writes are atomic.
@Suite struct RoundTripTests {
    let dir: ScratchDirectory
    init() throws { dir = try ScratchDirectory() }

    /// Values every dtype can hold exactly (bool gets 0/1, unsigned non-negatives).
    static func sample(_ dtype: ElementType, shape: [Int] = [3, 4]) -> NumericArray {
        let n = shape.reduce(1, *)
        let values: [Double] = (0..<n).map { i in
            switch dtype {
            case .bool: return Double(i % 2)
            case .uint8, .uint16, .uint32, .uint64: return Double(i * 3)
            case .int8, .int16, .int32, .int64: return Double(i * 3 - 10)
            case .float16, .bfloat16: return Double(i) * 0.5 - 2
            case .float32, .float64: return Double(i) * 0.25 - 1.5
            }
        }
        return NumericArray(shape: shape, dtype: dtype, values: values)
    }

    static let numpyDTypes = ElementType.allCases.filter { $0 != .bfloat16 }

    @Test(arguments: numpyDTypes)
    func npy(_ dtype: ElementType) throws {
        let array = Self.sample(dtype)
        let url = dir.file("a.npy")
        try FeatureFile.writeNpy(array, to: url)
        #expect(try FeatureFile.readArray(at: url) == array)
        // The data starts on a 64-byte boundary, as NumPy aligns it.
        let bytes = try Data(contentsOf: url)
        #expect((bytes.count - array.count * dtype.byteCount) % 64 == 0)
    }

    @Test func npyShapes() throws {
        for shape in [[], [0], [7], [0, 5], [2, 3, 4], [1, 1, 1, 2]] {
            let array = Self.sample(.float64, shape: shape)
            let url = dir.file("s.npy")
            try FeatureFile.writeNpy(array, to: url)
            #expect(try FeatureFile.readArray(at: url) == array, "shape \(shape)")
        }
    }

    @Test func npyMatrixFloat32() throws {
        let m = Matrix([[1, 2.5], [-3, 0.1]])
        let url = dir.file("m.npy")
        try FeatureFile.writeNpy(m, to: url, dtype: .float32)
        let back = try FeatureFile.readArray(at: url)
        #expect(back.dtype == .float32)
        #expect(back.values == m.storage.map { Double(Float($0)) })
        try FeatureFile.writeNpy(m, to: url)
        #expect(try FeatureFile.readMatrix(at: url) == m)
    }

    @Test func nonFiniteFloatsSurvive() throws {
        let array = NumericArray(shape: [4], dtype: .float32, values: [.nan, .infinity, -.infinity, -0.0])
        let url = dir.file("nf.npy")
        try FeatureFile.writeNpy(array, to: url)
        let back = try FeatureFile.readArray(at: url)
        #expect(sameValues(back.values, array.values))
        #expect(back.values[3].sign == .minus)
    }

    @Test func unrepresentableValuesAreRefused() throws {
        let url = dir.file("labels.npy")
        expectFeatureIOError(["labels.npy: element 1: expected a value representable as int64, found 0.5"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [1, 0.5], dtype: .int64), to: url)
        }
        expectFeatureIOError(["element 0: expected a value representable as uint8, found 300.0"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [300], dtype: .uint8), to: url)
        }
        expectFeatureIOError(["representable as bool, found 2.0"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [2], dtype: .bool), to: url)
        }
        expectFeatureIOError(["labels.npy: element 2: expected a value representable as float32, found 1e+300"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [1, .infinity, 1e300], dtype: .float32), to: url)
        }
        expectFeatureIOError(["element 0: expected a value representable as float16, found 70000.0"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [70000], dtype: .float16), to: url)
        }
        expectFeatureIOError(["labels.npy: dtype bfloat16 has no NumPy equivalent"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [2], dtype: .bfloat16), to: url)
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test(arguments: [false, true])
    func npz(_ compressed: Bool) throws {
        let arrays: [(String, NumericArray)] = [
            ("features", Self.sample(.float32, shape: [5, 3])),
            ("labels", Self.sample(.int64, shape: [5])),
            ("mask", Self.sample(.bool, shape: [5])),
        ]
        let url = dir.file("out.npz")
        try FeatureFile.writeNpz(arrays, to: url, compressed: compressed)
        #expect(try FeatureFile.keys(at: url) == ["features", "labels", "mask"])
        for (key, array) in arrays {
            #expect(try FeatureFile.readArray(at: url, key: key) == array)
        }
        let reader = try MatrixRowReader(url: url, key: "features")
        #expect(try reader.readRows(2..<4) == (try FeatureFile.readMatrix(at: url, key: "features")).rows(2..<4))
    }

    @Test func npzCompressesRepetitiveData() throws {
        let array = NumericArray(shape: [100, 100], dtype: .float64, values: [Double](repeating: 1, count: 10000))
        let stored = dir.file("s.npz"), deflated = dir.file("d.npz")
        try FeatureFile.writeNpz([("x", array)], to: stored)
        try FeatureFile.writeNpz([("x", array)], to: deflated, compressed: true)
        let storedSize = try Data(contentsOf: stored).count, deflatedSize = try Data(contentsOf: deflated).count
        #expect(deflatedSize * 10 < storedSize)
        #expect(try FeatureFile.readArray(at: deflated) == array)
    }

    @Test func npzDuplicateKeys() {
        expectFeatureIOError(["d.npz: key 'x' is used twice"]) {
            try FeatureFile.writeNpz([("x", Self.sample(.float64)), ("x", Self.sample(.float64))], to: dir.file("d.npz"))
        }
    }

    @Test func safetensorsAllDTypes() throws {
        let arrays = ElementType.allCases.map { ("t_\($0.rawValue)", Self.sample($0, shape: [2, 5])) }
        let url = dir.file("all.safetensors")
        try FeatureFile.writeSafetensors(arrays, to: url, metadata: ["format": "pt", "note": "quote \" and\nnewline"])
        #expect(try FeatureFile.keys(at: url) == arrays.map(\.0))
        for (key, array) in arrays {
            #expect(try FeatureFile.readArray(at: url, key: key) == array, "\(key)")
        }
        // The header is padded so tensor data starts 8-byte aligned.
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        #expect(headerLength % 8 == 0)
    }

    @Test func safetensorsRejectsReservedAndDuplicateNames() {
        expectFeatureIOError(["'__metadata__' is reserved"]) {
            try FeatureFile.writeSafetensors([("__metadata__", Self.sample(.float32))], to: dir.file("r.safetensors"))
        }
        expectFeatureIOError(["tensor name 'a' is used twice"]) {
            try FeatureFile.writeSafetensors(
                [("a", Self.sample(.float32)), ("a", Self.sample(.float32))],
                to: dir.file("r.safetensors"))
        }
    }

    @Test func csvWithAndWithoutHeader() throws {
        let m = Matrix([[1, 0.1, -2.5e-8], [.nan, .infinity, -.infinity], [1e300, -0.0, 42]])
        let url = dir.file("t.csv")
        try FeatureFile.writeCSV(m, to: url, header: ["a", "b c", "d"])
        #expect(try FeatureFile.csvHeader(at: url) == ["a", "b c", "d"])
        #expect(sameValues(try FeatureFile.readMatrix(at: url).storage, m.storage))
        try FeatureFile.writeCSV(m, to: url)
        #expect(try FeatureFile.csvHeader(at: url) == nil)
        #expect(sameValues(try FeatureFile.readMatrix(at: url).storage, m.storage))
    }

    /// The CSV reader's fast decimal path must agree bit for bit with the full parser.
    @Test func csvNumbersMatchSwiftParsing() throws {
        var rng = SplitMix64(state: 42)
        var cells: [String] = []
        for _ in 0..<3000 {
            let magnitude = Double.random(in: -30...30, using: &rng)
            let v = Double.random(in: -1...1, using: &rng) * Foundation.pow(10, magnitude)
            cells.append("\(v)")
            cells.append(String(format: "%.6f", v))
            cells.append(String(format: "%.9e", v))
            cells.append(String(Int64.random(in: -1_000_000...1_000_000, using: &rng)))
        }
        let url = dir.file("numbers.csv")
        try writeAtomically(Data(cells.joined(separator: "\n").utf8), to: url)
        let parsed = try FeatureFile.readMatrix(at: url).storage
        for (cell, value) in zip(cells, parsed) where Double(cell) != value {
            Issue.record("'\(cell)' parsed as \(value), expected \(Double(cell) ?? .nan)")
        }
        #expect(parsed.count == cells.count)
    }

    @Test func csvHeaderChecks() {
        let m = Matrix([[1, 2]])
        expectFeatureIOError(["h.csv: header has 1 names for 2 columns"]) {
            try FeatureFile.writeCSV(m, to: dir.file("h.csv"), header: ["a"])
        }
        expectFeatureIOError(["header name 'a,b' contains a separator"]) {
            try FeatureFile.writeCSV(m, to: dir.file("h.csv"), header: ["a,b", "c"])
        }
        expectFeatureIOError(["header names are all numbers"]) {
            try FeatureFile.writeCSV(m, to: dir.file("h.csv"), header: ["1", "2"])
        }
    }

    /// Half precision, exhaustively: every one of the 65536 bit patterns decodes by the
    /// reader and encodes back to the same bits through the writer (NaNs to a NaN).
    @Test func float16AllBitPatterns() throws {
        let raw = (0...UInt16.max).flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
        let url = try dir.write(
            "all.npy",
            handmadeNpy(
                header: "{'descr': '<f2', 'fortran_order': False, 'shape': (65536,), }", data: raw))
        let decoded = try FeatureFile.readArray(at: url)
        #expect(decoded.values[0x3c00] == 1)
        #expect(decoded.values[0x0001] == 0x1p-24)
        #expect(decoded.values[0x7bff] == 65504)
        #expect(decoded.values[0xfc00] == -.infinity)
        #expect(decoded.values[0x7e00].isNaN)
        let out = dir.file("back.npy")
        try FeatureFile.writeNpy(decoded, to: out)
        let back = Array(try Data(contentsOf: out).suffix(raw.count))
        for bits in 0...Int(UInt16.max) {
            let got = UInt16(back[2 * bits]) | UInt16(back[2 * bits + 1]) << 8
            let isNaN = (bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0
            if isNaN {
                #expect((got & 0x7c00) == 0x7c00 && (got & 0x3ff) != 0)
            } else if got != UInt16(bits) {
                Issue.record("half 0x\(String(bits, radix: 16)) came back as 0x\(String(got, radix: 16))")
                break
            }
        }
    }

    @Test func float16Rounding() throws {
        // Ties go to even, tiny values to (signed) zero, infinities stay infinite.
        let values: [Double] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 65519, .infinity, 0x1p-26, -0x1p-26, 0x1p-25 * 3]
        let url = dir.file("r.npy")
        try FeatureFile.writeNpy(NumericArray(vector: values, dtype: .float16), to: url)
        let back = try FeatureFile.readArray(at: url).values
        #expect(back[0] == 1)
        #expect(back[1] == 1 + 4 * 0x1p-11)
        #expect(back[2] == 65504)
        #expect(back[3] == .infinity)
        #expect(back[4] == 0 && back[5] == 0 && back[5].sign == .minus)
        #expect(back[6] == 0x1p-23)
        // 65520 would round up to infinity: refused rather than silently changed.
        expectFeatureIOError(["element 0: expected a value representable as float16, found 65520.0"]) {
            try FeatureFile.writeNpy(NumericArray(vector: [65520], dtype: .float16), to: url)
        }
    }

    // MARK: atomic writes

    @Test func atomicWriteReplacesAndLeavesNoTemporaries() throws {
        let url = dir.file("result.json")
        try writeAtomically(Data("old".utf8), to: url)
        try writeAtomically(Data("new contents".utf8), to: url)
        #expect(String(decoding: try Data(contentsOf: url), as: UTF8.self) == "new contents")
        #expect(try dir.contents() == ["result.json"])
    }

    @Test func failedWriteKeepsTheOldFile() throws {
        let url = dir.file("labels.npy")
        try FeatureFile.writeNpy(NumericArray(vector: [1, 2, 3], dtype: .int64), to: url)
        let before = try Data(contentsOf: url)
        // Fails part-way, after the header has been written to the temporary file.
        let bad = NumericArray(vector: [Double](repeating: 1, count: 200_000) + [0.5], dtype: .int64)
        expectFeatureIOError(["labels.npy: element 200000"]) { try FeatureFile.writeNpy(bad, to: url) }
        #expect(try Data(contentsOf: url) == before)
        #expect(try dir.contents() == ["labels.npy"])
    }

    @Test func writeIntoMissingDirectoryFails() {
        let url = dir.file("no/such/dir/out.npy")
        expectFeatureIOError(["out.npy: cannot write: No such file or directory"]) {
            try FeatureFile.writeNpy(Matrix([[1]]), to: url)
        }
    }

    @Test func atomicWriteKeepsPermissions() throws {
        let url = dir.file("shared.csv")
        try writeAtomically(Data("1\n".utf8), to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: url.path)
        try FeatureFile.writeCSV(Matrix([[2]]), to: url)
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
    }
}
