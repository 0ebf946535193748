internal import CLapack

// Thin, typed wrappers over CBLAS. All matrices are row-major; CBLAS is told so,
// so no copies are made.

extension Matrix {
    /// `selfᵀ · self` (the Gram matrix, columns x columns), computed with `dsyrk`
    /// (half the flops of a general product) and mirrored to a full symmetric matrix.
    public func gram() -> Matrix {
        var g = Matrix(rows: columns, columns: columns)
        accumulateGram(into: &g)
        g.symmetrizeFromUpper()
        return g
    }

    /// Adds `selfᵀ · self` to the upper triangle of `gram` (columns x columns).
    ///
    /// Only the upper triangle is written: call `symmetrizeFromUpper()` once after
    /// the last chunk. Used to accumulate sufficient statistics chunk by chunk.
    public func accumulateGram(into gram: inout Matrix) {
        precondition(gram.rows == columns && gram.columns == columns, "gram must be columns x columns")
        guard rows > 0, columns > 0 else { return }
        let n = Int32(columns), k = Int32(rows)
        storage.withUnsafeBufferPointer { a in
            gram.storage.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(
                    CblasRowMajor, CblasUpper, CblasTrans, n, k, 1.0,
                    a.baseAddress, Int32(columns), 1.0, c.baseAddress, n)
            }
        }
    }

    /// Copies the upper triangle onto the lower one.
    public mutating func symmetrizeFromUpper() {
        precondition(rows == columns, "only square matrices can be symmetrised")
        let n = rows
        storage.withUnsafeMutableBufferPointer { s in
            for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { s[j * n + i] = s[i * n + j] } }
        }
    }

    /// `op(self) · op(other)` with `dgemm`, where `op` optionally transposes.
    public func multiplied(by other: Matrix, transposingSelf: Bool = false, transposingOther: Bool = false) throws -> Matrix {
        let m = transposingSelf ? columns : rows
        let k = transposingSelf ? rows : columns
        let k2 = transposingOther ? other.columns : other.rows
        let n = transposingOther ? other.rows : other.columns
        guard k == k2 else {
            throw LinalgError.shapeMismatch(
                operation: "matrix product",
                left: "\(transposingSelf ? "(\(rows)x\(columns))ᵀ" : "\(rows)x\(columns)")",
                right: "\(transposingOther ? "(\(other.rows)x\(other.columns))ᵀ" : "\(other.rows)x\(other.columns)")")
        }
        var out = Matrix(rows: m, columns: n)
        accumulateProduct(self, other, into: &out, transposingLeft: transposingSelf, transposingRight: transposingOther)
        return out
    }

    /// `self · x` for a vector `x` of length `columns`.
    public func multiplied(by x: [Double]) throws -> [Double] {
        guard x.count == columns else {
            throw LinalgError.shapeMismatch(operation: "matrix-vector product", left: "\(rows)x\(columns)", right: "\(x.count)")
        }
        var y = [Double](repeating: 0, count: rows)
        guard rows > 0, columns > 0 else { return y }
        storage.withUnsafeBufferPointer { a in
            x.withUnsafeBufferPointer { xb in
                y.withUnsafeMutableBufferPointer { yb in
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1.0,
                        a.baseAddress, Int32(columns), xb.baseAddress, 1, 0.0, yb.baseAddress, 1)
                }
            }
        }
        return y
    }
}

/// `out += op(left) · op(right)`; shapes must already agree (checked by callers).
public func accumulateProduct(
    _ left: Matrix, _ right: Matrix, into out: inout Matrix,
    transposingLeft: Bool = false, transposingRight: Bool = false,
    scale: Double = 1.0
) {
    let m = transposingLeft ? left.columns : left.rows
    let k = transposingLeft ? left.rows : left.columns
    let n = transposingRight ? right.rows : right.columns
    precondition(out.rows == m && out.columns == n, "output shape does not fit the product")
    guard m > 0, n > 0 else { return }
    guard k > 0 else { return }
    left.storage.withUnsafeBufferPointer { a in
        right.storage.withUnsafeBufferPointer { b in
            out.storage.withUnsafeMutableBufferPointer { c in
                cblas_dgemm(
                    CblasRowMajor,
                    transposingLeft ? CblasTrans : CblasNoTrans,
                    transposingRight ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), scale,
                    a.baseAddress, Int32(left.columns),
                    b.baseAddress, Int32(right.columns),
                    1.0, c.baseAddress, Int32(n))
            }
        }
    }
}

/// The dot product of two equal-length vectors.
public func dot(_ x: [Double], _ y: [Double]) -> Double {
    precondition(x.count == y.count, "dot: lengths differ")
    return x.withUnsafeBufferPointer { a in
        y.withUnsafeBufferPointer { b in cblas_ddot(Int32(x.count), a.baseAddress, 1, b.baseAddress, 1) }
    }
}
