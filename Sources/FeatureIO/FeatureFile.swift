import Foundation
import Linalg
import Support

/// Reading and writing the numeric array files users hand to `hubminer`.
///
/// Formats: `.npy` (versions 1-3, any byte order, C or Fortran order), `.npz` (stored
/// or deflated, zip64), safetensors, and numeric CSV/TSV. The format comes from the
/// extension and is confirmed by the file's signature (`FeatureFormat.detect`).
///
/// Keys: `.npz` and safetensors may hold several arrays. A given key must exist; with
/// no key, a file holding exactly one array uses it and a file holding several is an
/// error that lists them, because guessing (say, the first) would silently rank on
/// the wrong array.
///
/// A namespace rather than a type with state: every call opens, reads and closes, so
/// callers never manage file lifetimes. Large files are memory-mapped and converted
/// straight into the result. For bounded-memory access by row blocks use
/// `MatrixRowReader`.
public enum FeatureFile {
    /// The array in `url` (chosen by `key` for `.npz` and safetensors), in C order.
    public static func readArray(at url: URL, key: String? = nil) throws -> NumericArray {
        let source = try ArraySource(url)
        switch try source.select(key) {
        case .raw(let raw):
            return raw.readAll()
        case .table(let table):
            return NumericArray(shape: [table.rows, table.columns], dtype: .float64, values: table.values)
        }
    }

    /// The array in `url` as a matrix: one sample per row. A 1-D array becomes a single
    /// column (labels, scores); higher ranks are an error, since flattening them
    /// silently would hide a wrong export (e.g. unpooled token features).
    public static func readMatrix(at url: URL, key: String? = nil) throws -> Matrix {
        let source = try ArraySource(url)
        switch try source.select(key) {
        case .raw(let raw):
            let (rows, columns) = try raw.matrixShape()
            return Matrix(rows: rows, columns: columns, storage: raw.readAll().values)
        case .table(let table):
            return Matrix(rows: table.rows, columns: table.columns, storage: table.values)
        }
    }

    /// The array names in `url`, in file order. Empty for `.npy` and CSV, which hold a
    /// single unnamed array (and take no key).
    public static func keys(at url: URL) throws -> [String] {
        try ArraySource(url).keys
    }

    /// The header names of a CSV file, or nil when it has no header row.
    public static func csvHeader(at url: URL) throws -> [String]? {
        let source = try ArraySource(url)
        guard case .table(let table) = source.content else {
            throw FeatureIOError.invalidArgument(path: source.path, message: "not a CSV file")
        }
        return table.header
    }

    // MARK: - Writers (all atomic: see `writeAtomically`)

    /// Writes `array` as `.npy` in its own dtype (any dtype but bfloat16, which NumPy lacks).
    public static func writeNpy(_ array: NumericArray, to url: URL) throws {
        try writeFile(to: url) { sink in try NpyWriter.write(array, path: url.relativePath, into: &sink) }
    }

    /// Writes a matrix as 2-D `.npy`; float64 keeps values exact, float32 halves the size.
    public static func writeNpy(_ matrix: Matrix, to url: URL, dtype: ElementType = .float64) throws {
        try writeNpy(NumericArray(matrix, dtype: dtype), to: url)
    }

    /// Writes several named arrays as `.npz` (keys get the `.npy` suffix inside the zip,
    /// as `numpy.savez` does). Each member is built in memory to compute its CRC first.
    public static func writeNpz(_ arrays: [(String, NumericArray)], to url: URL, compressed: Bool = false) throws {
        let path = url.relativePath
        var seen = Set<String>()
        for (key, _) in arrays {
            guard seen.insert(key).inserted else {
                throw FeatureIOError.invalidArgument(path: path, message: "key '\(key)' is used twice")
            }
            // Zip stores name lengths in 16 bits.
            guard key.utf8.count + 4 <= Int(UInt16.max) else {
                throw FeatureIOError.invalidArgument(path: path, message: "key of \(key.utf8.count) bytes is too long for a zip member name")
            }
        }
        try writeFile(to: url) { sink in
            var zip = ZipWriter()
            for (key, array) in arrays {
                var member = MemorySink()
                try NpyWriter.write(array, path: "\(path) (key '\(key)')", into: &member)
                try zip.add(name: key + ".npy", contents: member.bytes, compress: compressed, into: &sink)
            }
            try zip.finish(into: &sink)
        }
    }

    /// Writes several named arrays as safetensors, with optional string metadata.
    public static func writeSafetensors(
        _ arrays: [(String, NumericArray)], to url: URL,
        metadata: [String: String] = [:]
    ) throws {
        try writeFile(to: url) { sink in
            try SafetensorsWriter.write(arrays, metadata: metadata, path: url.relativePath, into: &sink)
        }
    }

    /// Writes a matrix as CSV, with a header row when `header` is given.
    public static func writeCSV(_ matrix: Matrix, to url: URL, header: [String]? = nil) throws {
        try writeFile(to: url) { sink in
            try CSVWriter.write(matrix, header: header, path: url.relativePath, into: &sink)
        }
    }
}

/// Support's atomic write, with a failure reported as FeatureIO's own error.
func writeFile(to url: URL, _ body: (inout FileSink) throws -> Void) throws {
    do {
        try writeAtomically(to: url, body)
    } catch let error as AtomicWriteError {
        throw FeatureIOError.writeFailed(path: error.path, reason: error.reason)
    }
}
