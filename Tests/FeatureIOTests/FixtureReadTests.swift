import Foundation
import Testing
import FeatureIO
import Linalg

/// Reads every fixture written by numpy (scripts/fixtures/make_featureio_fixtures.py)
/// and compares with the values numpy recorded in expected.json.
@Suite struct FixtureReadTests {
    @Test func expectedJSONIsPresent() {
        #expect(Fixtures.section("npy").count >= 30)
        #expect(Fixtures.section("npz").count == 4)
        #expect(Fixtures.section("safetensors").count == 2)
        #expect(Fixtures.section("csv").count == 6)
    }

    static let npyNames = Fixtures.section("npy").keys.sorted()

    @Test(arguments: npyNames)
    func npy(_ name: String) throws {
        let expected = try #require(ExpectedArray(Fixtures.section("npy")[name]))
        let array = try FeatureFile.readArray(at: Fixtures.url(name))
        #expect(array.shape == expected.shape)
        #expect(array.dtype.rawValue == expected.dtype)
        #expect(sameValues(array.values, expected.values), "\(name): \(array.values) vs \(expected.values)")
        #expect(try FeatureFile.keys(at: Fixtures.url(name)).isEmpty)
        #expect(try FeatureFormat.detect(Fixtures.url(name)) == .npy)
    }

    @Test(arguments: Fixtures.section("npz").keys.sorted())
    func npz(_ name: String) throws {
        let members = try #require(Fixtures.section("npz")[name] as? [String: Any])
        let keys = try FeatureFile.keys(at: Fixtures.url(name))
        #expect(Set(keys) == Set(members.keys))
        for (key, record) in members {
            let expected = try #require(ExpectedArray(record))
            let array = try FeatureFile.readArray(at: Fixtures.url(name), key: key)
            #expect(array.shape == expected.shape, "\(name)[\(key)]")
            #expect(array.dtype.rawValue == expected.dtype)
            #expect(sameValues(array.values, expected.values), "\(name)[\(key)]")
        }
    }

    @Test func npzKeysKeepArchiveOrder() throws {
        #expect(try FeatureFile.keys(at: Fixtures.url("several.npz")) == ["features", "labels", "source_probs"])
    }

    @Test func singleMemberNeedsNoKey() throws {
        let m = try FeatureFile.readMatrix(at: Fixtures.url("single.npz"))
        #expect(m == Matrix([[0, 1, 2], [3, 4, 5]]))
        let s = try FeatureFile.readMatrix(at: Fixtures.url("single.safetensors"))
        #expect(s.rows == 5 && s.columns == 2 && s[4, 1] == 4.5)
    }

    @Test(arguments: Fixtures.section("safetensors").keys.sorted())
    func safetensors(_ name: String) throws {
        let tensors = try #require(Fixtures.section("safetensors")[name] as? [String: Any])
        #expect(Set(try FeatureFile.keys(at: Fixtures.url(name))) == Set(tensors.keys))
        for (key, record) in tensors {
            let expected = try #require(ExpectedArray(record))
            let array = try FeatureFile.readArray(at: Fixtures.url(name), key: key)
            #expect(array.shape == expected.shape, "\(name)[\(key)]")
            #expect(array.dtype.rawValue == expected.dtype, "\(name)[\(key)]")
            #expect(sameValues(array.values, expected.values), "\(name)[\(key)]: \(array.values) vs \(expected.values)")
        }
    }

    @Test(arguments: Fixtures.section("csv").keys.sorted())
    func csv(_ name: String) throws {
        let expected = try #require(ExpectedArray(Fixtures.section("csv")[name]))
        let matrix = try FeatureFile.readMatrix(at: Fixtures.url(name))
        #expect([matrix.rows, matrix.columns] == expected.shape)
        #expect(sameValues(matrix.storage, expected.values), "\(name): \(matrix.storage)")
        #expect(try FeatureFile.csvHeader(at: Fixtures.url(name)) == expected.header)
        #expect(try FeatureFormat.detect(Fixtures.url(name)) == .csv)
    }

    @Test func readMatrixShapes() throws {
        let vector = try FeatureFile.readMatrix(at: Fixtures.url("vector.npy"))
        #expect(vector.rows == 5 && vector.columns == 1)
        let empty = try FeatureFile.readMatrix(at: Fixtures.url("empty_rows.npy"))
        #expect(empty.rows == 0 && empty.columns == 3)
        let fortran = try FeatureFile.readMatrix(at: Fixtures.url("fortran_float32_le.npy"))
        #expect(fortran.rows == 3 && fortran.columns == 5 && fortran[1, 2] == 7.0 / 4)
    }

    /// Row chunks, stacked, must equal the whole matrix for every backing: mapped C
    /// order, mapped Fortran order (more rows than one conversion block), stored and
    /// deflated npz members, safetensors and CSV.
    @Test(
        arguments: [
            ("float32_le.npy", nil), ("float64_be.npy", nil), ("fortran_rows_300.npy", nil),
            ("fortran_float64_be.npy", nil), ("vector.npy", nil),
            ("several.npz", "features"), ("several_compressed.npz", "source_probs"), ("single.npz", nil),
            ("all_dtypes.safetensors", "t_bf16"), ("with_header.csv", nil),
        ] as [(String, String?)])
    func rowReaderMatchesWholeRead(_ name: String, _ key: String?) throws {
        let whole = try FeatureFile.readMatrix(at: Fixtures.url(name), key: key)
        let reader = try MatrixRowReader(url: Fixtures.url(name), key: key)
        #expect(reader.rows == whole.rows && reader.columns == whole.columns)
        var parts: [Matrix] = []
        try reader.forEachChunk(rows: 7) { first, block in
            #expect(first == parts.reduce(0) { $0 + $1.rows })
            parts.append(block)
        }
        let stacked = Matrix.verticallyStacked(parts)
        #expect(sameValues(stacked.storage, whole.storage))
        #expect(sameValues(try reader.readRows(1..<2).storage, whole.row(1)))
        #expect(try reader.readRows(0..<0).rows == 0)
        expectFeatureIOError([name, "rows 0..<\(whole.rows + 1) requested"]) {
            _ = try reader.readRows(0..<(whole.rows + 1))
        }
    }

    /// One reader shared by concurrent tasks (it is immutable and `Sendable`).
    @Test func rowReaderIsSharedAcrossTasks() async throws {
        let reader = try MatrixRowReader(url: Fixtures.url("fortran_rows_300.npy"))
        let whole = try FeatureFile.readMatrix(at: Fixtures.url("fortran_rows_300.npy"))
        let blocks = try await withThrowingTaskGroup(of: (Int, Matrix).self) { group in
            for start in stride(from: 0, to: reader.rows, by: 50) {
                group.addTask { (start, try reader.readRows(start..<min(start + 50, reader.rows))) }
            }
            var out: [(Int, Matrix)] = []
            for try await block in group { out.append(block) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
        #expect(Matrix.verticallyStacked(blocks) == whole)
    }
}
