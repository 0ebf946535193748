import Foundation
import Linalg
import Testing
@testable import Ranking

/// Penultimate features of four small ReLU networks trained on scikit-learn's digits
/// (`scripts/fixtures/make_real_features.py`), with dead units, and the golden values
/// of `scripts/fixtures/make_real_feature_goldens.py`.
struct RealFeatures: Decodable {
    struct Model: Decodable {
        let name: String, rows: Int, columns: Int, dead_columns: Int
        let features: [Double]
        var matrix: Matrix { Matrix(rows: rows, columns: columns, storage: features) }
    }
    let labels: [Int]
    let models: [Model]

    static func load() throws -> RealFeatures {
        let url = try #require(Bundle.module.url(forResource: "real_features", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(RealFeatures.self, from: Data(contentsOf: url))
    }
}

struct RealFeatureGoldens: Decodable {
    struct NCTITerms: Decodable { let seli: Double, ncc: Double, vc: Double }
    struct Model: Decodable {
        let name: String, rank: Int
        let logme_paper: Double, logme_paper_zero_columns: Double
        let logme_paper_small: Double, logme_paper_small_zero_columns: Double
        let parc_components: Int, parc: Double, parc_reference_as_is: Double
        let ncti_components: Int, ncti: NCTITerms
    }
    let zero_columns: Int
    let small_n: Int
    let models: [Model]

    static func load() throws -> RealFeatureGoldens {
        let url = try #require(Bundle.module.url(forResource: "real_features_golden", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(RealFeatureGoldens.self, from: Data(contentsOf: url))
    }
}

extension Matrix {
    /// This matrix with `count` all-zero columns appended (dead units).
    func appendingZeroColumns(_ count: Int) -> Matrix {
        var out = Matrix(rows: rows, columns: columns + count)
        for i in 0..<rows { for j in 0..<columns { out[i, j] = self[i, j] } }
        return out
    }

    /// The columns in reverse order.
    func reversingColumns() -> Matrix {
        var out = Matrix(rows: rows, columns: columns)
        for i in 0..<rows { for j in 0..<columns { out[i, columns - 1 - j] = self[i, j] } }
        return out
    }

    func scaled(by factor: Double) -> Matrix {
        Matrix(rows: rows, columns: columns, storage: storage.map { $0 * factor })
    }
}
