internal import CLapack

// Cholesky factors and triangular inverses, for Gaussian densities evaluated in bulk
// (a mixture's E-step whitens every sample against every component's covariance).

extension Matrix {
    /// The lower Cholesky factor `L` of a symmetric positive definite matrix
    /// (`self = L Lᵀ`), with LAPACK's `dpotrf` (`_work` variant, no workspace needed).
    ///
    /// Only the lower triangle is read; the returned strict upper triangle is zero.
    /// - Throws: `LinalgError.notPositiveDefinite` when a leading minor is not positive.
    public func choleskyLower() throws -> Matrix {
        guard rows == columns else {
            throw LinalgError.shapeMismatch(operation: "Cholesky factorisation", left: "\(rows)x\(columns)", right: "square")
        }
        let n = rows
        guard n > 0 else { return self }
        guard n < 40_000 else { throw LinalgError.tooLarge(rows: n, columns: n) }
        var a = storage
        // Row-major lower == column-major upper of the same buffer: ask LAPACK for
        // the column-major upper factor U (self = UᵀU), whose row-major image is L.
        let info = a.withUnsafeMutableBufferPointer { ab in
            LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), ab.baseAddress, Int32(n))
        }
        if info > 0 { throw LinalgError.notPositiveDefinite(order: Int(info)) }
        if info < 0 { throw LinalgError.illegalArgument(routine: "dpotrf", position: Int(-info)) }
        // dpotrf leaves the other triangle untouched: clear it so L is truly lower.
        a.withUnsafeMutableBufferPointer { ab in
            for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { ab[i * n + j] = 0 } }
        }
        return Matrix(rows: n, columns: n, storage: a)
    }

    /// The inverse of a lower triangular matrix (LAPACK's `dtrtri`), lower triangular.
    ///
    /// Used to whiten samples with one `dgemm` (`X · L⁻ᵀ`), which OpenBLAS runs several
    /// times faster than the equivalent `dtrsm` for many right-hand sides.
    /// - Throws: `LinalgError.singular` for a zero diagonal entry.
    public func lowerTriangularInverse() throws -> Matrix {
        guard rows == columns else {
            throw LinalgError.shapeMismatch(operation: "triangular inverse", left: "\(rows)x\(columns)", right: "square")
        }
        let n = rows
        guard n > 0 else { return self }
        guard n < 40_000 else { throw LinalgError.tooLarge(rows: n, columns: n) }
        var a = storage
        // Row-major lower == column-major upper of the same buffer.
        let info = a.withUnsafeMutableBufferPointer { ab in
            LAPACKE_dtrtri_work(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), CChar(UInt8(ascii: "N")), Int32(n), ab.baseAddress, Int32(n))
        }
        if info > 0 { throw LinalgError.singular(pivot: Int(info)) }
        if info < 0 { throw LinalgError.illegalArgument(routine: "dtrtri", position: Int(-info)) }
        a.withUnsafeMutableBufferPointer { ab in
            for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { ab[i * n + j] = 0 } }
        }
        return Matrix(rows: n, columns: n, storage: a)
    }

    /// `scale · selfᵀ · self` (columns x columns, full symmetric) with `dsyrk`.
    public func gram(scale: Double) -> Matrix {
        var g = Matrix(rows: columns, columns: columns)
        guard rows > 0, columns > 0 else { return g }
        let n = Int32(columns), k = Int32(rows)
        storage.withUnsafeBufferPointer { a in
            g.storage.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(
                    CblasRowMajor, CblasUpper, CblasTrans, n, k, scale,
                    a.baseAddress, Int32(columns), 0.0, c.baseAddress, n)
            }
        }
        g.symmetrizeFromUpper()
        return g
    }
}
