internal import CLapack

/// The eigendecomposition of a symmetric matrix: `A = Vᵀ diag(values) V` where the
/// rows of `vectors` are the eigenvectors.
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    /// Row `k` is the unit eigenvector for `values[k]`.
    public let vectors: Matrix
}

/// A thin singular value decomposition `A = U diag(s) Vᵀ` of an m x n matrix,
/// with `k = min(m, n)` singular values.
public struct ThinSVD: Sendable {
    /// Singular values in descending order (k of them).
    public let singularValues: [Double]
    /// m x k, orthonormal columns.
    public let left: Matrix
    /// k x n: row `i` is the right singular vector for `singularValues[i]`.
    public let rightTransposed: Matrix
}

extension Matrix {
    /// Eigenvalues and eigenvectors of a symmetric matrix (only the upper triangle is read).
    ///
    /// Uses LAPACK's divide-and-conquer `dsyevd` through the `_work` variant with a
    /// computed workspace: LAPACKE's own workspace query goes through a floating
    /// point value that overflows for large matrices.
    ///
    /// A row-major symmetric matrix is its own column-major image, so LAPACK runs
    /// in column-major mode without a transposing copy; the column-major eigenvector
    /// matrix it returns is, read row-major, the matrix whose rows are eigenvectors.
    public func symmetricEigen() throws -> SymmetricEigen {
        guard rows == columns else {
            throw LinalgError.shapeMismatch(operation: "symmetric eigendecomposition", left: "\(rows)x\(columns)", right: "square")
        }
        let n = rows
        guard n > 0 else { return SymmetricEigen(values: [], vectors: Matrix(rows: 0, columns: 0)) }
        guard n < 40_000 else { throw LinalgError.tooLarge(rows: n, columns: n) }
        var a = storage
        var w = [Double](repeating: 0, count: n)
        // Workspace sizes from LAPACK's documentation of dsyevd (JOBZ = 'V').
        let lwork = 1 + 6 * n + 2 * n * n
        let liwork = 3 + 5 * n
        var work = [Double](repeating: 0, count: lwork)
        var iwork = [Int32](repeating: 0, count: liwork)
        let info = a.withUnsafeMutableBufferPointer { ab in
            w.withUnsafeMutableBufferPointer { wb in
                work.withUnsafeMutableBufferPointer { wk in
                    iwork.withUnsafeMutableBufferPointer { iw in
                        LAPACKE_dsyevd_work(
                            LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")),
                            Int32(n), ab.baseAddress, Int32(n), wb.baseAddress,
                            wk.baseAddress, Int32(lwork), iw.baseAddress, Int32(liwork))
                    }
                }
            }
        }
        try checkInfo(info, routine: "dsyevd")
        return SymmetricEigen(values: w, vectors: Matrix(rows: n, columns: n, storage: a))
    }

    /// The thin SVD, with LAPACK's `dgesdd` (`_work` variant, computed workspace).
    ///
    /// LAPACK is handed the row-major storage as the column-major transpose, so the
    /// factors come back already in the layout this type promises, with no copies.
    public func thinSVD() throws -> ThinSVD {
        let m = rows, n = columns
        let k = Swift.min(m, n)
        guard k > 0 else {
            return ThinSVD(singularValues: [], left: Matrix(rows: m, columns: 0), rightTransposed: Matrix(rows: 0, columns: n))
        }
        guard k < 40_000, m < Int(Int32.max), n < Int(Int32.max) else { throw LinalgError.tooLarge(rows: m, columns: n) }
        // Column-major view: B = selfᵀ is n x m. B = Ub S VbT with Ub n x k, VbT k x m.
        // Then self = VbTᵀ S Ubᵀ: U = VbTᵀ (m x k) and Vᵀ = Ubᵀ (k x n).
        var b = storage
        var s = [Double](repeating: 0, count: k)
        var ub = [Double](repeating: 0, count: n * k) // column-major n x k  == row-major k x n  (Vᵀ)
        var vbt = [Double](repeating: 0, count: k * m) // column-major k x m  == row-major m x k  (U)
        let mx = Swift.max(m, n)
        let lwork = 3 * k + Swift.max(mx, 4 * k * k + 4 * k) + k
        var work = [Double](repeating: 0, count: lwork)
        var iwork = [Int32](repeating: 0, count: 8 * k)
        let info = b.withUnsafeMutableBufferPointer { bb in
            s.withUnsafeMutableBufferPointer { sb in
                ub.withUnsafeMutableBufferPointer { u in
                    vbt.withUnsafeMutableBufferPointer { vt in
                        work.withUnsafeMutableBufferPointer { wk in
                            iwork.withUnsafeMutableBufferPointer { iw in
                                LAPACKE_dgesdd_work(
                                    LAPACK_COL_MAJOR, CChar(UInt8(ascii: "S")),
                                    Int32(n), Int32(m), bb.baseAddress, Int32(n),
                                    sb.baseAddress, u.baseAddress, Int32(n),
                                    vt.baseAddress, Int32(k),
                                    wk.baseAddress, Int32(lwork), iw.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        try checkInfo(info, routine: "dgesdd")
        return ThinSVD(
            singularValues: s,
            left: Matrix(rows: m, columns: k, storage: vbt),
            rightTransposed: Matrix(rows: k, columns: n, storage: ub))
    }

    /// Solves `self · X = B` for a symmetric positive definite `self` (Cholesky, `dposv`).
    public func solvePositiveDefinite(_ b: Matrix) throws -> Matrix {
        guard rows == columns, b.rows == rows else {
            throw LinalgError.shapeMismatch(operation: "positive definite solve", left: "\(rows)x\(columns)", right: "\(b.rows)x\(b.columns)")
        }
        let n = rows
        guard n > 0, b.columns > 0 else { return b }
        var a = storage
        // X in column-major form: transpose B so LAPACK sees n x nrhs column-major.
        var x = b.transposed().storage
        let info = a.withUnsafeMutableBufferPointer { ab in
            x.withUnsafeMutableBufferPointer { xb in
                LAPACKE_dposv_work(
                    LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(b.columns),
                    ab.baseAddress, Int32(n), xb.baseAddress, Int32(n))
            }
        }
        if info > 0 { throw LinalgError.notPositiveDefinite(order: Int(info)) }
        try checkInfo(info, routine: "dposv")
        return Matrix(rows: b.columns, columns: n, storage: x).transposed()
    }

    /// Solves `self · X = B` for a general square `self` (LU with partial pivoting, `dgesv`).
    public func solve(_ b: Matrix) throws -> Matrix {
        guard rows == columns, b.rows == rows else {
            throw LinalgError.shapeMismatch(operation: "linear solve", left: "\(rows)x\(columns)", right: "\(b.rows)x\(b.columns)")
        }
        let n = rows
        guard n > 0, b.columns > 0 else { return b }
        var a = transposed().storage
        var x = b.transposed().storage
        var pivots = [Int32](repeating: 0, count: n)
        let info = a.withUnsafeMutableBufferPointer { ab in
            x.withUnsafeMutableBufferPointer { xb in
                pivots.withUnsafeMutableBufferPointer { p in
                    LAPACKE_dgesv_work(
                        LAPACK_COL_MAJOR, Int32(n), Int32(b.columns), ab.baseAddress, Int32(n),
                        p.baseAddress, xb.baseAddress, Int32(n))
                }
            }
        }
        if info > 0 { throw LinalgError.singular(pivot: Int(info)) }
        try checkInfo(info, routine: "dgesv")
        return Matrix(rows: b.columns, columns: n, storage: x).transposed()
    }
}

private func checkInfo(_ info: Int32, routine: String) throws {
    if info < 0 { throw LinalgError.illegalArgument(routine: routine, position: Int(-info)) }
    if info > 0 { throw LinalgError.noConvergence(routine: routine, info: Int(info)) }
}
