import Foundation
import Linalg

/// Reads a feature matrix a block of rows at a time, so code that only needs running
/// sums (Gram matrices, means) works on files larger than memory.
///
/// `.npy`, stored `.npz` members and safetensors of 1 GiB or more are memory-mapped
/// (smaller ones are read; a mapped file truncated by another process while it is
/// read ends the program with an error naming it: `MappingGuard`) and each
/// `readRows` converts only the requested rows (Fortran-order files too, gathering
/// each column's run). Deflated `.npz` members are inflated once when the reader is
/// created; CSV is parsed once. In those cases memory is bounded by the file, not by
/// the chunk, which is the price of formats without random access.
///
/// Immutable after creation, so one reader can serve several tasks concurrently.
public final class MatrixRowReader: Sendable {
    /// Number of rows (samples).
    public let rows: Int
    /// Number of columns (features); 1 for a 1-D array.
    public let columns: Int
    /// The element type in the file.
    public let dtype: ElementType
    /// The path, for error messages.
    public let path: String

    private enum Backing: @unchecked Sendable {
        case raw(RawArray)
        case loaded([Double])
    }
    private let backing: Backing

    /// Opens `url`, choosing the array by `key` as `FeatureFile.readMatrix` does.
    public init(url: URL, key: String? = nil) throws {
        let source = try ArraySource(url, mapLarge: true)
        path = source.path
        switch try source.select(key) {
        case .raw(let raw):
            (rows, columns) = try raw.matrixShape()
            dtype = raw.dtype
            backing = .raw(raw)
        case .table(let table):
            rows = table.rows
            columns = table.columns
            dtype = .float64
            backing = .loaded(table.values)
        }
    }

    /// Rows `range` as a `range.count x columns` matrix.
    public func readRows(_ range: Range<Int>) throws -> Matrix {
        guard range.lowerBound >= 0, range.upperBound <= rows else {
            throw FeatureIOError.invalidArgument(path: path, message: "rows \(range) requested, file has \(rows)")
        }
        switch backing {
        case .raw(let raw):
            return Matrix(
                rows: range.count, columns: columns,
                storage: raw.decodeRows(range, rows: rows, columns: columns))
        case .loaded(let values):
            return Matrix(
                rows: range.count, columns: columns,
                storage: Array(values[(range.lowerBound * columns)..<(range.upperBound * columns)]))
        }
    }

    /// Calls `body` with consecutive blocks of at most `chunkRows` rows, in order.
    public func forEachChunk(rows chunkRows: Int, _ body: (_ firstRow: Int, _ block: Matrix) throws -> Void) throws {
        let step = max(1, chunkRows)
        var start = 0
        while start < rows {
            let end = min(start + step, rows)
            try body(start, try readRows(start..<end))
            start = end
        }
    }
}
