import Linalg

/// An n-dimensional array read from a feature file, widened to `Double`.
///
/// Values are always in C (row-major) order, whatever order the file used, so code
/// downstream never has to think about Fortran layout. `dtype` records what the file
/// stored, which tells labels (integers) from features (floats).
public struct NumericArray: Sendable, Equatable {
    /// The array's dimensions; `[]` for a scalar.
    public var shape: [Int]
    /// The element type in the file (or the one to write).
    public var dtype: ElementType
    /// The elements in C order; `values.count` is the product of `shape`.
    public var values: [Double]

    /// - Precondition: `values.count` equals the product of `shape` (a programmer error otherwise).
    public init(shape: [Int], dtype: ElementType = .float64, values: [Double]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(
            values.count == shape.reduce(1, *),
            "\(values.count) values do not fill shape \(shape)")
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    /// A 2-D array holding a matrix, for writing features with a chosen dtype.
    public init(_ matrix: Matrix, dtype: ElementType = .float64) {
        self.init(shape: [matrix.rows, matrix.columns], dtype: dtype, values: matrix.storage)
    }

    /// A 1-D array, the usual shape of a label vector.
    public init(vector: [Double], dtype: ElementType = .float64) {
        self.init(shape: [vector.count], dtype: dtype, values: vector)
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// The array as a matrix: 1-D becomes a single column (N x 1), 2-D is kept,
    /// anything else is an error naming `path`.
    public func matrix(path: String = "array") throws -> Matrix {
        switch shape.count {
        case 1: return Matrix(rows: shape[0], columns: 1, storage: values)
        case 2: return Matrix(rows: shape[0], columns: shape[1], storage: values)
        default: throw FeatureIOError.wrongRank(path: path, shape: shape, expected: "a 1-D or 2-D array")
        }
    }
}
