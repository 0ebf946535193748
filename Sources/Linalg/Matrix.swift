import Foundation

/// A dense matrix of `Double` in row-major order.
///
/// Row-major because every feature file HubMiner reads stores one sample per row
/// (NumPy's default C order), and because the ranking math streams samples in
/// row chunks: a chunk of rows is one contiguous slice of `storage`.
///
/// `Matrix` is a plain value type (copy-on-write through `[Double]`), `Sendable`,
/// and knows nothing about files or models.
public struct Matrix: Sendable, Equatable {
    /// Number of rows (samples, N, for a feature matrix).
    public let rows: Int
    /// Number of columns (feature dimension, D, for a feature matrix).
    public let columns: Int
    /// The entries, row after row: element (i, j) is `storage[i * columns + j]`.
    public var storage: [Double]

    /// A matrix of the given shape filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Double](repeating: value, count: rows * columns)
    }

    /// A matrix over existing row-major storage.
    /// - Precondition: `storage.count == rows * columns` (a programmer error otherwise).
    public init(rows: Int, columns: Int, storage: [Double]) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        precondition(
            storage.count == rows * columns,
            "storage has \(storage.count) entries, expected \(rows) x \(columns)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// A matrix from nested rows; every row must have the same length.
    public init(_ nestedRows: [[Double]]) {
        let columns = nestedRows.first?.count ?? 0
        precondition(nestedRows.allSatisfy { $0.count == columns }, "ragged rows")
        self.init(rows: nestedRows.count, columns: columns, storage: nestedRows.flatMap { $0 })
    }

    /// Fills a new matrix by calling `body` once for every row with a buffer to write.
    public init(rows: Int, columns: Int, fillingRows body: (Int, inout UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows {
        var storage = [Double](repeating: 0, count: rows * columns)
        try storage.withUnsafeMutableBufferPointer { all in
            for r in 0..<rows {
                var row = UnsafeMutableBufferPointer(rebasing: all[(r * columns)..<((r + 1) * columns)])
                try body(r, &row)
            }
        }
        self.init(rows: rows, columns: columns, storage: storage)
    }

    /// The identity matrix of order `n`.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.storage[i * n + i] = 1 }
        return m
    }

    public subscript(row: Int, column: Int) -> Double {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// The shape as `(rows, columns)`.
    public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// Row `i` as a new array.
    public func row(_ i: Int) -> [Double] {
        Array(storage[(i * columns)..<((i + 1) * columns)])
    }

    /// Column `j` as a new array.
    public func column(_ j: Int) -> [Double] {
        (0..<rows).map { storage[$0 * columns + j] }
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(
            rows: range.count, columns: columns,
            storage: Array(storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// The rows at `indices`, in that order.
    public func rows(at indices: [Int]) -> Matrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for i in indices { out.append(contentsOf: storage[(i * columns)..<((i + 1) * columns)]) }
        return Matrix(rows: indices.count, columns: columns, storage: out)
    }

    /// The columns at `indices`, in that order.
    public func columns(at indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, columns: indices.count)
        for r in 0..<rows {
            for (k, j) in indices.enumerated() { out.storage[r * indices.count + k] = storage[r * columns + j] }
        }
        return out
    }

    /// The transpose, as a new matrix.
    public func transposed() -> Matrix {
        var t = Matrix(rows: columns, columns: rows)
        storage.withUnsafeBufferPointer { src in
            t.storage.withUnsafeMutableBufferPointer { dst in
                // Blocked so both sides stay in cache for large matrices.
                let block = 64
                var i0 = 0
                while i0 < rows {
                    var j0 = 0
                    while j0 < columns {
                        for i in i0..<Swift.min(i0 + block, rows) {
                            for j in j0..<Swift.min(j0 + block, columns) {
                                dst[j * rows + i] = src[i * columns + j]
                            }
                        }
                        j0 += block
                    }
                    i0 += block
                }
            }
        }
        return t
    }

    /// Stacks matrices with the same number of columns on top of each other.
    public static func verticallyStacked(_ parts: [Matrix]) -> Matrix {
        guard let first = parts.first else { return Matrix(rows: 0, columns: 0) }
        precondition(parts.allSatisfy { $0.columns == first.columns }, "column counts differ")
        return Matrix(
            rows: parts.reduce(0) { $0 + $1.rows }, columns: first.columns,
            storage: parts.flatMap { $0.storage })
    }

    /// The first position (row, column) holding NaN or an infinity, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        guard columns > 0 else { return nil }
        return storage.withUnsafeBufferPointer { buf -> (Int, Int)? in
            for k in 0..<buf.count where !buf[k].isFinite { return (k / columns, k % columns) }
            return nil
        }
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = Swift.min(rows, 6)
        var lines = ["Matrix \(rows) x \(columns)"]
        for r in 0..<shown {
            let cols = Swift.min(columns, 8)
            let values = (0..<cols).map { String(format: "%.6g", self[r, $0]) }.joined(separator: " ")
            lines.append("  [" + values + (columns > cols ? " ..." : "") + "]")
        }
        if rows > shown { lines.append("  ...") }
        return lines.joined(separator: "\n")
    }
}
