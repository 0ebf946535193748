import Linalg
import Testing
@testable import Torch

extension TorchTests {
    @Suite("Singular values")
    struct SingularValueTests {
        @Test("match Linalg's SVD, descending, for tall and wide matrices")
        func matchesLinalg() throws {
            for shape in [[5, 3], [3, 6]] {
                let t = try Tensor.randn(shape, dtype: .float64, generator: Generator(seed: 11))
                let values = try t.singularValues().toArray(of: Double.self)
                let reference = try t.toMatrix().thinSVD().singularValues.sorted(by: >)
                expectClose(values, reference, tolerance: 1e-12)
                #expect(values == values.sorted(by: >))
            }
        }

        @Test("gradient matches finite differences")
        func gradient() throws {
            try gradCheck([4, 3]) { try $0.singularValues() }
        }

        @Test("a vector is an error naming the operation")
        func vectorIsAnError() throws {
            #expect(throws: TorchError.self) { try Tensor.zeros([3]).singularValues() }
            do { _ = try Tensor.zeros([3]).singularValues() } catch let error as TorchError {
                #expect(error.description.hasPrefix("singularValues: svdvals needs a matrix"))
            }
        }
    }
}
