import Foundation
import Linalg
import Testing

/// The helpers the transferability metrics added to Linalg, against definitions.
@Suite("Cholesky log-determinant, generalised eigenproblem, singular values")
struct CholeskyTests {
    /// A fixed symmetric positive definite matrix: MᵀM + I.
    static func spd(_ n: Int, seed: Double) -> Matrix {
        let m = Matrix(
            rows: n, columns: n,
            fillingRows: { r, row in
                for j in 0..<n { row[j] = sin(seed + Double(r * n + j) * 1.7) }
            })
        var a = m.gram()
        for i in 0..<n { a[i, i] += 1 }
        return a
    }

    @Test func logDeterminantMatchesEigenvalues() throws {
        let a = Self.spd(6, seed: 0.3)
        let fromEigen = try a.symmetricEigen().values.reduce(0) { $0 + log($1) }
        let fromCholesky = try a.logDeterminantPositiveDefinite()
        #expect(abs(fromEigen - fromCholesky) <= 1e-12 * abs(fromEigen) + 1e-12)
        #expect(try Matrix.identity(4).logDeterminantPositiveDefinite() == 0)
    }

    @Test func logDeterminantRejectsIndefinite() {
        let a = Matrix([[1, 2], [2, 1]]) // eigenvalues 3 and −1
        #expect(throws: LinalgError.self) { try a.logDeterminantPositiveDefinite() }
        #expect(throws: LinalgError.self) { try Matrix(rows: 2, columns: 3).logDeterminantPositiveDefinite() }
    }

    @Test func generalisedEigenpairs() throws {
        let n = 5
        let b = Self.spd(n, seed: 1.1)
        var a = Self.spd(n, seed: 2.2)
        a[0, 0] -= 4 // symmetric, not necessarily definite
        let g = try a.generalizedSymmetricEigen(b)
        #expect(g.values == g.values.sorted())
        for k in 0..<n {
            let v = g.vectors.row(k)
            let av = try a.multiplied(by: v), bv = try b.multiplied(by: v)
            for i in 0..<n { #expect(abs(av[i] - g.values[k] * bv[i]) <= 1e-10 * (1 + abs(av[i]))) }
            for l in 0..<n {
                let vbw = dot(v, try b.multiplied(by: g.vectors.row(l)))
                #expect(abs(vbw - (k == l ? 1 : 0)) <= 1e-10)
            }
        }
        var notDefinite = b
        notDefinite[2, 2] = -50
        #expect(throws: LinalgError.self) { try a.generalizedSymmetricEigen(notDefinite) }
    }

    @Test func singularValuesMatchThinSVD() throws {
        for (m, n) in [(7, 3), (3, 7), (5, 5)] {
            let x = Matrix(
                rows: m, columns: n,
                fillingRows: { r, row in
                    for j in 0..<n { row[j] = cos(Double(r) * 0.9 + Double(j) * 2.3) }
                })
            let s = try x.singularValues()
            let reference = try x.thinSVD().singularValues
            #expect(s.count == min(m, n))
            for (p, q) in zip(s, reference) { #expect(abs(p - q) <= 1e-12 * (1 + q)) }
        }
        #expect(try Matrix(rows: 0, columns: 3).singularValues().isEmpty)
    }
}
