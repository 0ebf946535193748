import Foundation
import Testing
import FeatureIO
import Linalg

/// Every malformed input is a thrown `FeatureIOError` whose single line names the file
/// and the field at fault.
@Suite struct BadInputTests {
    let dir: ScratchDirectory
    init() throws { dir = try ScratchDirectory() }

    private var goodNpy: [UInt8] {
        handmadeNpy(
            header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }",
            data: float32Bytes((0..<12).map(Float.init)))
    }

    // MARK: .npy

    @Test func badMagic() throws {
        let url = try dir.write("feats.npy", Array("NOTNUMPY and some more bytes".utf8))
        expectFeatureIOError(["feats.npy: file signature: expected NumPy magic", "found 'NOTNUM'"]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func npzRenamedToNpy() throws {
        let url = try dir.write("renamed.npy", try Fixtures.bytes("several.npz"))
        expectFeatureIOError(["renamed.npy: file signature", "looks like a zip/.npz archive"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
    }

    @Test func emptyFile() throws {
        let url = try dir.write("empty.npy", [])
        expectFeatureIOError(["empty.npy", "file signature", "an empty file"]) { _ = try FeatureFile.readArray(at: url) }
    }

    @Test func truncatedHeader() throws {
        let url = try dir.write("short.npy", Array(goodNpy.prefix(40)))
        expectFeatureIOError(["short.npy: truncated: the header", "needs 128 bytes, only 40 present"]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func truncatedData() throws {
        let url = try dir.write("vit.npy", Array(goodNpy.dropLast(10)))
        expectFeatureIOError(["vit.npy: truncated: shape (3, 4) of float32 needs 48 bytes, only 38 present"]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test(arguments: [
        ("'|O'", "found '|O' (Python objects"), ("'<c16'", "found '<c16' (complex"),
        ("'<U5'", "found '<U5' (strings"), ("[('a', '<f4'), ('b', '<i4')]", "a structured dtype"),
        ("'<f16'", "found '<f16' (only float16"), ("'<M8[ns]'", "dates and times"),
    ])
    func unsupportedDType(_ descr: String, _ fragment: String) throws {
        let url = try dir.write(
            "resnet.npy",
            handmadeNpy(
                header: "{'descr': \(descr), 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 64)))
        expectFeatureIOError(["resnet.npy: header field 'descr': expected a numeric dtype such as '<f4'", fragment]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func fortranFlagGarbage() throws {
        let url = try dir.write(
            "f.npy",
            handmadeNpy(
                header: "{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,), }", data: [0, 0, 0, 0]))
        expectFeatureIOError(["f.npy: header field 'fortran_order': expected True or False, found 'yes'"]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func headerSyntaxErrors() throws {
        for (header, fragment) in [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "expected '}'"),
            ("{'descr': '<f4', 'fortran_order': False}", "expected a 'shape' key"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "header field 'shape'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }", "expected ')', found '.5,)"),
            ("['descr']", "expected a dict literal"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (1,), }", "header"),
        ] {
            let url = try dir.write("h.npy", handmadeNpy(header: header, data: [0, 0, 0, 0]))
            expectFeatureIOError(["h.npy: header", fragment]) { _ = try FeatureFile.readArray(at: url) }
        }
    }

    @Test func tolerantHeaderSyntax() throws {
        // Reordered keys, double quotes, no trailing comma, Python 2 long integers.
        let url = try dir.write(
            "old.npy",
            handmadeNpy(
                header: "{\"shape\":(2L,1L),\"fortran_order\":False,\"descr\":\"<f4\"}", data: float32Bytes([1, 2])))
        #expect(try FeatureFile.readMatrix(at: url) == Matrix([[1], [2]]))
    }

    @Test func unsupportedVersion() throws {
        var bytes = goodNpy
        bytes[6] = 4
        let url = try dir.write("v4.npy", bytes)
        expectFeatureIOError(["v4.npy: format version: expected 1.0, 2.0 or 3.0, found 4.0"]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func hugeShapeDoesNotAllocate() throws {
        let url = try dir.write(
            "huge.npy",
            handmadeNpy(
                header: "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }",
                data: []))
        expectFeatureIOError(["huge.npy: header field 'shape'"]) { _ = try FeatureFile.readArray(at: url) }
        let big = try dir.write(
            "big.npy",
            handmadeNpy(
                header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000), }", data: []))
        expectFeatureIOError(["big.npy: truncated", "needs 8000000000 bytes"]) { _ = try FeatureFile.readArray(at: big) }
    }

    @Test func threeDimensionalToMatrix() throws {
        expectFeatureIOError(["c_3d.npy: array shape: expected a 1-D or 2-D array, found (2, 3, 4)"]) {
            _ = try FeatureFile.readMatrix(at: Fixtures.url("c_3d.npy"))
        }
        expectFeatureIOError(["scalar.npy: array shape", "found ()"]) {
            _ = try MatrixRowReader(url: Fixtures.url("scalar.npy"))
        }
    }

    @Test func keyForSingleArrayFormat() {
        expectFeatureIOError(["float32_le.npy: --key 'x' given, but a .npy file holds a single unnamed array"]) {
            _ = try FeatureFile.readArray(at: Fixtures.url("float32_le.npy"), key: "x")
        }
    }

    // MARK: .npz

    @Test func missingKey() {
        expectFeatureIOError(["several.npz: no array named 'y'; available: features, labels, source_probs"]) {
            _ = try FeatureFile.readArray(at: Fixtures.url("several.npz"), key: "y")
        }
    }

    @Test func severalKeysWithoutKey() {
        expectFeatureIOError(["several.npz: holds 3 arrays (features, labels, source_probs); pass --key NAME"]) {
            _ = try FeatureFile.readMatrix(at: Fixtures.url("several.npz"))
        }
        expectFeatureIOError(["all_dtypes.safetensors: holds 13 arrays", "pass --key NAME"]) {
            _ = try MatrixRowReader(url: Fixtures.url("all_dtypes.safetensors"))
        }
    }

    @Test func emptyArchive() throws {
        let url = dir.file("none.npz")
        try FeatureFile.writeNpz([], to: url)
        #expect(try FeatureFile.keys(at: url) == [])
        expectFeatureIOError(["none.npz: contents: expected at least one array, found none"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
    }

    @Test func badZipCRC() throws {
        var bytes = try Fixtures.bytes("several.npz")
        // Corrupt one data byte of the first member ("features.npy"), past its .npy header.
        let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]
        let start = try #require((0..<(bytes.count - 6)).first { Array(bytes[$0..<($0 + 6)]) == magic })
        bytes[start + 130] ^= 0x10
        let url = try dir.write("labels.npz", bytes)
        expectFeatureIOError(["labels.npz: member 'features.npy': CRC-32 mismatch", "corrupt"]) {
            _ = try FeatureFile.readArray(at: url, key: "features")
        }
        // Other members are still readable: corruption is reported where it is.
        #expect(try FeatureFile.readArray(at: url, key: "labels").values == [0, 2, 1, 2])
    }

    @Test func corruptDeflateStream() throws {
        var bytes = try Fixtures.bytes("several_compressed.npz")
        bytes[90] ^= 0xff // past the 62-byte local header: inside the compressed data
        let url = try dir.write("c.npz", bytes)
        expectFeatureIOError(["c.npz: member 'features.npy'"]) {
            _ = try FeatureFile.readArray(at: url, key: "features")
        }
    }

    @Test func truncatedZip() throws {
        let bytes = try Fixtures.bytes("several.npz")
        let url = try dir.write("cut.npz", Array(bytes.prefix(bytes.count - 30)))
        expectFeatureIOError(["cut.npz: zip end-of-central-directory record", "truncated"]) {
            _ = try FeatureFile.keys(at: url)
        }
    }

    @Test func npyInNpzExtension() throws {
        let url = try dir.write("x.npz", goodNpy)
        expectFeatureIOError(["x.npz: file signature: expected zip signature", "looks like a NumPy .npy file"]) {
            _ = try FeatureFile.keys(at: url)
        }
    }

    // MARK: safetensors

    @Test func safetensorsOffsetsOutOfRange() throws {
        let url = try dir.write(
            "model.safetensors",
            handmadeSafetensors(
                header: #"{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,1000]}}"#, data: float32Bytes([1, 2, 3, 4, 5, 6])))
        expectFeatureIOError([
            "model.safetensors: tensor 'x': data_offsets: expected 0 <= begin <= end <= 24",
            "found [0, 1000]",
        ]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func safetensorsByteCountMismatch() throws {
        let url = try dir.write(
            "m.safetensors",
            handmadeSafetensors(
                header: #"{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}}"#, data: float32Bytes([1, 2, 3, 4, 5, 6])))
        expectFeatureIOError([
            "m.safetensors: tensor 'x': data_offsets: expected a range of 16 bytes for shape (2, 2) of F32",
            "found [0, 24], 24 bytes",
        ]) {
            _ = try FeatureFile.readArray(at: url)
        }
    }

    @Test func safetensorsOverlappingTensors() throws {
        let url = try dir.write(
            "o.safetensors",
            handmadeSafetensors(
                header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                data: float32Bytes([1, 2, 3])))
        expectFeatureIOError([
            "o.safetensors: tensor 'b': data_offsets: expected a range after tensor 'a' (which ends at 8)",
            "found [4, 12]",
        ]) {
            _ = try FeatureFile.keys(at: url)
        }
    }

    @Test func safetensorsBadFields() throws {
        for (header, fragment) in [
            (#"{"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, "tensor 'x': dtype: expected one of BOOL"),
            (#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, "tensor 'x': shape: expected an array of non-negative integers"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, "tensor 'x': data_offsets: expected [begin, end]"),
            (#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, "tensor 'x': data_offsets"),
            (#"{"x":[1,2]}"#, "tensor 'x': expected an object"),
            (#"[1,2]"#, "JSON header: expected an object"),
            (#"{"x":"#, "JSON header: expected valid JSON"),
        ] {
            let url = try dir.write("s.safetensors", handmadeSafetensors(header: header, data: [0, 0, 0, 0]))
            expectFeatureIOError(["s.safetensors: ", fragment]) { _ = try FeatureFile.readArray(at: url) }
        }
    }

    @Test func safetensorsHeaderLengthPastEnd() throws {
        var bytes = try Fixtures.bytes("single.safetensors")
        bytes[0] = 0xff
        bytes[1] = 0xff
        let url = try dir.write("t.safetensors", bytes)
        expectFeatureIOError(["t.safetensors: truncated: the JSON header"]) { _ = try FeatureFile.readArray(at: url) }
        let tiny = try dir.write("u.safetensors", [1, 2, 3])
        expectFeatureIOError(["u.safetensors: truncated: the 8-byte header length"]) { _ = try FeatureFile.readArray(at: tiny) }
    }

    // MARK: CSV

    @Test func csvNonNumericCell() throws {
        let url = try dir.write("data.csv", text: "a,b,c\n1,2,3\n\n4,5,6\n7,8,9\n1,2,abc\n")
        expectFeatureIOError(["data.csv: line 6, column 3: expected a number, found 'abc'"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
        let empty = try dir.write("gap.csv", text: "1,2,3\n1,,3\n")
        expectFeatureIOError(["gap.csv: line 2, column 2: expected a number, found an empty cell"]) {
            _ = try FeatureFile.readMatrix(at: empty)
        }
        // A non-numeric first row is a header, but not a second one.
        let twoHeaders = try dir.write("two.csv", text: "a,b\nc,d\n")
        expectFeatureIOError(["two.csv: line 2, column 1: expected a number, found 'c'"]) {
            _ = try FeatureFile.readMatrix(at: twoHeaders)
        }
    }

    @Test func csvNumberForms() throws {
        let url = try dir.write("n.csv", text: "1.,.5,-0,+2e3,1E-2,12345678901234567890123,1e-400,0.1e1\n")
        let values = try FeatureFile.readMatrix(at: url).storage
        #expect(values == [1, 0.5, 0, 2000, 0.01, 1.2345678901234568e22, 0, 1])
        #expect(values[2].sign == .minus)
        for bad in ["1e", "0x10", "1.2.3", "--1", "1 2", "e5", "."] {
            let url = try dir.write("b.csv", text: "1,2\n3,\(bad)\n")
            expectFeatureIOError(["b.csv: line 2, column 2: expected a number, found '\(bad)'"]) {
                _ = try FeatureFile.readMatrix(at: url)
            }
        }
    }

    @Test func csvRaggedRow() throws {
        let url = try dir.write("data.csv", text: "1,2,3\n4,5,6\n7,8\n")
        expectFeatureIOError(["data.csv: line 3: expected 3 columns like the first row, found 2"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
    }

    @Test func binaryFileNamedCSV() throws {
        let url = try dir.write("feats.csv", try Fixtures.bytes("float32_le.npy"))
        expectFeatureIOError(["feats.csv: file signature: expected CSV text", "looks like a NumPy .npy file"]) {
            _ = try FeatureFile.readMatrix(at: url)
        }
    }

    // MARK: files

    @Test func missingFileAndDirectory() throws {
        expectFeatureIOError(["nope.npy: cannot read: No such file"]) {
            _ = try FeatureFile.readArray(at: dir.file("nope.npy"))
        }
        expectFeatureIOError(["cannot read: is a directory"]) { _ = try FeatureFile.readArray(at: dir.url) }
    }

    @Test func unknownExtensionIsSniffed() throws {
        let npy = try dir.write("features.bin", try Fixtures.bytes("float64_le.npy"))
        #expect(try FeatureFormat.detect(npy) == .npy)
        #expect(try FeatureFile.readArray(at: npy).shape == [3, 4])
        let junk = try dir.write("features.dat", [0, 1, 2, 0, 9])
        expectFeatureIOError(["features.dat: file format: expected a .npy, .npz, .safetensors or .csv file"]) {
            _ = try FeatureFile.readArray(at: junk)
        }
    }

    @Test func relativePathsAreShownAsGiven() throws {
        let url = URL(fileURLWithPath: "feats/does-not-exist.npy")
        let error = expectFeatureIOError(["feats/does-not-exist.npy: cannot read"]) {
            _ = try FeatureFile.readArray(at: url)
        }
        #expect(error?.path == "feats/does-not-exist.npy")
    }
}
