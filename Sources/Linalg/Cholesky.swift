import Foundation
internal import CLapack

/// The generalised symmetric-definite eigenproblem `A v = λ B v` (A symmetric,
/// B symmetric positive definite): `Vᵀ A V = diag(values)` and `Vᵀ B V = I`.
public struct GeneralizedSymmetricEigen: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    /// Row `k` is the B-normalised eigenvector for `values[k]`.
    public let vectors: Matrix
}

extension Matrix {
    /// The log-determinant of a symmetric positive definite matrix, from its
    /// Cholesky factor (`dpotrf`, a third of the flops of an LU): 2 Σ log Lᵢᵢ.
    ///
    /// Only one triangle is read. Throws `notPositiveDefinite` when the
    /// factorisation meets a non-positive pivot.
    public func logDeterminantPositiveDefinite() throws -> Double {
        guard rows == columns else {
            throw LinalgError.shapeMismatch(operation: "Cholesky log-determinant", left: "\(rows)x\(columns)", right: "square")
        }
        let l = try choleskyLower()
        var sum = 0.0
        for i in 0..<rows { sum += log(l[i, i]) }
        return 2 * sum
    }

    /// Solves `self · v = λ · b · v` for symmetric `self` and symmetric positive
    /// definite `b` by Cholesky reduction to a standard symmetric problem
    /// (LAPACK `dsygvd`, ITYPE 1: `b = LLᵀ`, eigenpairs of `L⁻¹ self L⁻ᵀ`, vectors
    /// mapped back with `L⁻ᵀ`). This keeps the problem symmetric, unlike an
    /// eigendecomposition of the non-symmetric `b⁻¹ · self`.
    ///
    /// Workspace sizes from LAPACK's documentation (`_work` variant) because
    /// LAPACKE's query goes through a floating-point value that overflows for
    /// large orders.
    public func generalizedSymmetricEigen(_ b: Matrix) throws -> GeneralizedSymmetricEigen {
        guard rows == columns, b.rows == rows, b.columns == columns else {
            throw LinalgError.shapeMismatch(
                operation: "generalised symmetric eigenproblem", left: "\(rows)x\(columns)", right: "\(b.rows)x\(b.columns)")
        }
        let n = rows
        guard n > 0 else { return GeneralizedSymmetricEigen(values: [], vectors: Matrix(rows: 0, columns: 0)) }
        guard n < 40_000 else { throw LinalgError.tooLarge(rows: n, columns: n) }
        var a = storage
        var bb = b.storage
        var w = [Double](repeating: 0, count: n)
        let lwork = 1 + 6 * n + 2 * n * n
        let liwork = 3 + 5 * n
        var work = [Double](repeating: 0, count: lwork)
        var iwork = [Int32](repeating: 0, count: liwork)
        let info = a.withUnsafeMutableBufferPointer { ap in
            bb.withUnsafeMutableBufferPointer { bp in
                w.withUnsafeMutableBufferPointer { wp in
                    work.withUnsafeMutableBufferPointer { wk in
                        iwork.withUnsafeMutableBufferPointer { iw in
                            LAPACKE_dsygvd_work(
                                LAPACK_COL_MAJOR, 1, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "L")),
                                Int32(n), ap.baseAddress, Int32(n), bp.baseAddress, Int32(n),
                                wp.baseAddress, wk.baseAddress, Int32(lwork), iw.baseAddress, Int32(liwork))
                        }
                    }
                }
            }
        }
        if info < 0 { throw LinalgError.illegalArgument(routine: "dsygvd", position: Int(-info)) }
        // info > n: the leading minor of order info - n of B is not positive definite.
        if info > Int32(n) { throw LinalgError.notPositiveDefinite(order: Int(info) - n) }
        if info > 0 { throw LinalgError.noConvergence(routine: "dsygvd", info: Int(info)) }
        // Column-major n x n with eigenvectors in columns == row-major with them in rows.
        return GeneralizedSymmetricEigen(values: w, vectors: Matrix(rows: n, columns: n, storage: a))
    }

    /// The singular values (descending), without the singular vectors.
    ///
    /// `dgesdd` with JOBZ = 'N' (`_work` variant, documented workspace).
    public func singularValues() throws -> [Double] {
        let m = rows, n = columns
        let k = Swift.min(m, n)
        guard k > 0 else { return [] }
        guard k < 40_000, m < Int(Int32.max), n < Int(Int32.max) else { throw LinalgError.tooLarge(rows: m, columns: n) }
        var a = storage // read as the column-major n x m transpose: same singular values
        var s = [Double](repeating: 0, count: k)
        let mx = Swift.max(m, n)
        let lwork = 3 * k + Swift.max(mx, 7 * k) + 1
        var work = [Double](repeating: 0, count: lwork)
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var dummy = [Double](repeating: 0, count: 1)
        let info = a.withUnsafeMutableBufferPointer { ap in
            s.withUnsafeMutableBufferPointer { sp in
                work.withUnsafeMutableBufferPointer { wk in
                    iwork.withUnsafeMutableBufferPointer { iw in
                        dummy.withUnsafeMutableBufferPointer { d in
                            LAPACKE_dgesdd_work(
                                LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), Int32(n), Int32(m),
                                ap.baseAddress, Int32(n), sp.baseAddress,
                                d.baseAddress, 1, d.baseAddress, 1,
                                wk.baseAddress, Int32(lwork), iw.baseAddress)
                        }
                    }
                }
            }
        }
        if info < 0 { throw LinalgError.illegalArgument(routine: "dgesdd", position: Int(-info)) }
        if info > 0 { throw LinalgError.noConvergence(routine: "dgesdd", info: Int(info)) }
        return s
    }
}
