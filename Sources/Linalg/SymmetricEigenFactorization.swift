internal import CLapack

/// The eigendecomposition of a symmetric matrix A = V diag(values) Vᵀ kept in
/// factored form, for callers that need V only applied to a few vectors.
///
/// `dsyevd` spends most of its time forming V explicitly (the D³ back-transformation
/// of the tridiagonal eigenvectors by the Householder reflectors). Ranking needs
/// only Vᵀ·b for the C target columns and V·t for C posterior means: this type
/// tridiagonalises A once (`dsytrd`, A = Q T Qᵀ), takes T's eigenvectors with the
/// MRRR algorithm (`dstemr`, O(D²)), and applies Q to the C vectors that need it
/// (`dormtr`), never to all D. When MRRR reports a failure it falls back to
/// `dsyevd` and keeps V explicitly.
public struct SymmetricEigenFactorization: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    private let storage: Storage

    private enum Storage: Sendable {
        /// Row i of `z` is the i-th eigenvector of T; `reflectors` and `tau` describe Q
        /// as `dsytrd` left them (column-major lower triangle).
        case tridiagonal(z: Matrix, reflectors: [Double], tau: [Double])
        /// Row i of `vectors` is the i-th eigenvector of A.
        case explicit(vectors: Matrix)
    }

    public var dimension: Int { values.count }

    /// Factorises the symmetric matrix `a` (only its upper triangle, row-major, is read).
    public init(_ a: Matrix) throws {
        guard a.rows == a.columns else {
            throw LinalgError.shapeMismatch(operation: "symmetric eigendecomposition", left: "\(a.rows)x\(a.columns)", right: "square")
        }
        let n = a.rows
        guard n > 1 else {
            let e = try a.symmetricEigen()
            values = e.values
            storage = .explicit(vectors: e.vectors)
            return
        }
        guard n < 40_000 else { throw LinalgError.tooLarge(rows: n, columns: n) }
        // Row-major upper triangle == column-major lower triangle ('L').
        var reflectors = a.storage
        var d = [Double](repeating: 0, count: n)
        var e = [Double](repeating: 0, count: n) // n-1 used by dsytrd; dstemr needs n
        var tau = [Double](repeating: 0, count: n - 1)
        let lwork = n * 64
        var work = [Double](repeating: 0, count: lwork)
        let info = reflectors.withUnsafeMutableBufferPointer { ab in
            d.withUnsafeMutableBufferPointer { db in
                e.withUnsafeMutableBufferPointer { eb in
                    tau.withUnsafeMutableBufferPointer { tb in
                        work.withUnsafeMutableBufferPointer { wk in
                            LAPACKE_dsytrd_work(
                                LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), ab.baseAddress, Int32(n),
                                db.baseAddress, eb.baseAddress, tb.baseAddress, wk.baseAddress, Int32(lwork))
                        }
                    }
                }
            }
        }
        if info != 0 { throw LinalgError.illegalArgument(routine: "dsytrd", position: Int(-info)) }

        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * n)
        var isuppz = [Int32](repeating: 0, count: 2 * n)
        var found: Int32 = 0
        var tryrac: Int32 = 1
        let lworkMR = 18 * n, liworkMR = 10 * n
        var workMR = [Double](repeating: 0, count: lworkMR)
        var iworkMR = [Int32](repeating: 0, count: liworkMR)
        let infoMR = d.withUnsafeMutableBufferPointer { db in
            e.withUnsafeMutableBufferPointer { eb in
                w.withUnsafeMutableBufferPointer { wb in
                    z.withUnsafeMutableBufferPointer { zb in
                        isuppz.withUnsafeMutableBufferPointer { sb in
                            workMR.withUnsafeMutableBufferPointer { wk in
                                iworkMR.withUnsafeMutableBufferPointer { iw in
                                    LAPACKE_dstemr_work(
                                        LAPACK_COL_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "A")),
                                        Int32(n), db.baseAddress, eb.baseAddress, 0, 0, 0, 0, &found,
                                        wb.baseAddress, zb.baseAddress, Int32(n), Int32(n), sb.baseAddress,
                                        &tryrac, wk.baseAddress, Int32(lworkMR), iw.baseAddress, Int32(liworkMR))
                                }
                            }
                        }
                    }
                }
            }
        }
        if infoMR != 0 || found != Int32(n) {
            // MRRR can fail on pathological spectra; the divide-and-conquer route cannot.
            let full = try a.symmetricEigen()
            values = full.values
            storage = .explicit(vectors: full.vectors)
            return
        }
        values = w
        // Column-major n x n with eigenvectors in columns == row-major with them in rows.
        storage = .tridiagonal(z: Matrix(rows: n, columns: n, storage: z), reflectors: reflectors, tau: tau)
    }

    /// For each row x_k of `rows` (K x D), the coordinates v_i · x_k (K x D).
    public func project(_ rows: Matrix) throws -> Matrix {
        guard rows.columns == dimension else {
            throw LinalgError.shapeMismatch(operation: "eigenbasis projection", left: "\(rows.rows)x\(rows.columns)", right: "\(dimension)")
        }
        switch storage {
        case let .explicit(vectors):
            return try rows.multiplied(by: vectors, transposingOther: true)
        case let .tridiagonal(z, reflectors, tau):
            // v_i · x = z_i · (Qᵀ x).
            let rotated = try applyQ(rows, reflectors: reflectors, tau: tau, transpose: true)
            return try rotated.multiplied(by: z, transposingOther: true)
        }
    }

    /// For each row t_k of `coefficients` (K x D), Σ_i t_ki v_i (K x D).
    public func combine(_ coefficients: Matrix) throws -> Matrix {
        guard coefficients.columns == dimension else {
            throw LinalgError.shapeMismatch(
                operation: "eigenbasis combination", left: "\(coefficients.rows)x\(coefficients.columns)", right: "\(dimension)")
        }
        switch storage {
        case let .explicit(vectors):
            return try coefficients.multiplied(by: vectors)
        case let .tridiagonal(z, reflectors, tau):
            // Σ t_i v_i = Q (Σ t_i z_i).
            return try applyQ(try coefficients.multiplied(by: z), reflectors: reflectors, tau: tau, transpose: false)
        }
    }

    /// The eigenvectors as rows (D x D). Forms them explicitly when they are factored
    /// (the D³ step the factored form avoids): for tests and occasional use.
    public func vectors() throws -> Matrix {
        switch storage {
        case let .explicit(vectors): return vectors
        case let .tridiagonal(z, reflectors, tau): return try applyQ(z, reflectors: reflectors, tau: tau, transpose: false)
        }
    }

    /// Applies Q (or Qᵀ) to every row of `rows`: a row-major K x D matrix is the
    /// column-major D x K matrix of those vectors, which is what `dormtr` takes.
    private func applyQ(_ rows: Matrix, reflectors: [Double], tau: [Double], transpose: Bool) throws -> Matrix {
        let n = dimension, k = rows.rows
        guard k > 0 else { return rows }
        var c = rows.storage
        var a = reflectors
        var t = tau
        let lwork = Swift.max(1, k * 64)
        var work = [Double](repeating: 0, count: lwork)
        let info = c.withUnsafeMutableBufferPointer { cb in
            a.withUnsafeMutableBufferPointer { ab in
                t.withUnsafeMutableBufferPointer { tb in
                    work.withUnsafeMutableBufferPointer { wk in
                        LAPACKE_dormtr_work(
                            LAPACK_COL_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "L")),
                            CChar(UInt8(ascii: transpose ? "T" : "N")), Int32(n), Int32(k),
                            ab.baseAddress, Int32(n), tb.baseAddress, cb.baseAddress, Int32(n),
                            wk.baseAddress, Int32(lwork))
                    }
                }
            }
        }
        if info != 0 { throw LinalgError.illegalArgument(routine: "dormtr", position: Int(-info)) }
        return Matrix(rows: k, columns: n, storage: c)
    }
}
