import Foundation
import Linalg
import Testing
import Support

@Suite("Factored symmetric eigendecomposition (dsytrd + dstemr + dormtr)")
struct SymmetricEigenFactorizationTests {
    /// A random symmetric positive semi-definite matrix FᵀF with a few zero eigenvalues.
    static func gram(n: Int, d: Int, seed: UInt64) -> Matrix {
        var rng = SeededGenerator(seed: seed)
        let f = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in rng.normal() })
        return f.gram()
    }

    @Test("eigenvalues agree with dsyevd; A v = lambda v; V is orthonormal", arguments: [(60, 40), (20, 40), (300, 128)])
    func agreesWithDivideAndConquer(n: Int, d: Int) throws {
        let a = Self.gram(n: n, d: d, seed: UInt64(n * d))
        let factored = try SymmetricEigenFactorization(a)
        let reference = try a.symmetricEigen()
        let scale = reference.values.last!
        for (x, y) in zip(factored.values, reference.values) { #expect(abs(x - y) <= 1e-11 * scale) }
        let v = try factored.vectors()
        let av = try v.multiplied(by: a) // row i: v_iᵀ A = lambda_i v_iᵀ
        for i in 0..<d { for j in 0..<d { #expect(abs(av[i, j] - factored.values[i] * v[i, j]) <= 1e-10 * scale) } }
        let vvt = try v.multiplied(by: v, transposingOther: true)
        for i in 0..<d { for j in 0..<d { #expect(abs(vvt[i, j] - (i == j ? 1 : 0)) <= 1e-10) } }
    }

    @Test("project and combine apply Vᵀ and V without forming V")
    func projectCombine() throws {
        let a = Self.gram(n: 80, d: 30, seed: 7)
        let f = try SymmetricEigenFactorization(a)
        let v = try f.vectors()
        var rng = SeededGenerator(seed: 8)
        let x = Matrix(rows: 5, columns: 30, storage: (0..<150).map { _ in rng.normal() })
        let projected = try f.project(x)
        let explicit = try x.multiplied(by: v, transposingOther: true)
        for i in projected.storage.indices { #expect(abs(projected.storage[i] - explicit.storage[i]) <= 1e-12 * 30) }
        let back = try f.combine(projected) // V Vᵀ x = x
        for i in back.storage.indices { #expect(abs(back.storage[i] - x.storage[i]) <= 1e-11) }
        #expect(throws: LinalgError.self) { try f.project(Matrix(rows: 1, columns: 3)) }
    }
}
