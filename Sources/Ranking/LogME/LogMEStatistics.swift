import Linalg

/// The sufficient statistics of LogME for samples with more rows than features:
/// everything the evidence needs is in `FᵀF`, `YᵀF`, `Σ y²` and `N`.
///
/// They add up over disjoint sets of samples, so a feature file can be read in row
/// chunks with bounded memory, and shards computed on different machines merge by
/// addition (`merge(_:)`).
public struct LogMEStatistics: Sendable {
    /// N: samples accumulated so far.
    public private(set) var sampleCount: Int = 0
    /// D: feature dimension.
    public let featureDimension: Int
    /// K: number of target columns.
    public let targetCount: Int
    /// `FᵀF` (D x D). Only the upper triangle is maintained (the eigensolver reads
    /// no more); call `Matrix.symmetrizeFromUpper()` on a copy for the full matrix.
    public private(set) var gramUpper: Matrix
    /// `YᵀF` (K x D): row k is `Fᵀ y_k`.
    public private(set) var targetFeatureProducts: Matrix
    /// `Σ y_k²` per target column (K).
    public private(set) var targetSquares: [Double]
    /// Column sums of F (D), for constant-feature diagnostics.
    public private(set) var featureSums: [Double]

    public init(featureDimension: Int, targetCount: Int) {
        self.featureDimension = featureDimension
        self.targetCount = targetCount
        gramUpper = Matrix(rows: featureDimension, columns: featureDimension)
        targetFeatureProducts = Matrix(rows: targetCount, columns: featureDimension)
        targetSquares = [Double](repeating: 0, count: targetCount)
        featureSums = [Double](repeating: 0, count: featureDimension)
    }

    /// Statistics read back from a file (see `FeatureStatistics`); every shape is checked.
    public init(
        sampleCount: Int, gramUpper: Matrix, targetFeatureProducts: Matrix, targetSquares: [Double],
        featureSums: [Double]
    ) throws {
        let d = gramUpper.rows, k = targetFeatureProducts.rows
        func bad(_ name: String, _ found: String, _ expected: String) -> RankingError {
            .invalidOption(name: name, value: found, expected: expected)
        }
        guard sampleCount >= 0 else { throw bad("sample count", "\(sampleCount)", "a count >= 0") }
        guard gramUpper.columns == d else { throw bad("Gram matrix", "\(gramUpper.rows) x \(gramUpper.columns)", "a square matrix") }
        guard targetFeatureProducts.columns == d else {
            throw bad("YᵀF", "\(k) x \(targetFeatureProducts.columns)", "\(k) x \(d) (one column per feature)")
        }
        guard targetSquares.count == k else { throw bad("Σy²", "\(targetSquares.count) values", "\(k) (one per target column)") }
        guard featureSums.count == d else { throw bad("feature sums", "\(featureSums.count) values", "\(d) (one per feature)") }
        self.featureDimension = d
        self.targetCount = k
        self.sampleCount = sampleCount
        self.gramUpper = gramUpper
        self.targetFeatureProducts = targetFeatureProducts
        self.targetSquares = targetSquares
        self.featureSums = featureSums
    }

    /// Adds a chunk of samples: `features` (n x D) and their `targets` (n x K).
    ///
    /// - Parameter classIndices: for one-hot targets, each row's class column. With
    ///   it `YᵀF` is a sum of rows per class (N·D additions instead of N·D·K
    ///   multiply-adds); the result is the same.
    /// - Throws: `RankingError` on a shape mismatch or a non-finite feature.
    /// - Parameter checkFinite: false only when the caller has already checked.
    public mutating func accumulate(
        features: Matrix, targets: Matrix, classIndices: [Int]? = nil, rowOffset: Int = 0,
        checkFinite: Bool = true
    ) throws {
        guard features.columns == featureDimension else { throw RankingError.dimensionMismatch(expected: featureDimension, found: features.columns) }
        guard targets.rows == features.rows else { throw RankingError.lengthMismatch(features: features.rows, labels: targets.rows) }
        guard targets.columns == targetCount else {
            throw RankingError.invalidOption(name: "targets", value: "\(targets.columns) columns", expected: "\(targetCount) columns")
        }
        let n = features.rows, d = featureDimension
        guard n > 0 else { return }
        // One pass over the chunk for everything but FᵀF: the finite check, the column
        // sums and (for one-hot targets) the per-class sums of rows. The chunk is far
        // larger than the caches, so separate passes would each stream it from memory.
        var badIndex: Int?
        let sumRows = classIndices
        features.storage.withUnsafeBufferPointer { f in
            featureSums.withUnsafeMutableBufferPointer { sums in
                targetFeatureProducts.storage.withUnsafeMutableBufferPointer { out in
                    for r in 0..<n {
                        let src = r * d
                        if checkFinite, let bad = (0..<d).first(where: { !f[src + $0].isFinite }) {
                            badIndex = src + bad
                            // Undo this chunk's earlier rows, so a failed chunk leaves the
                            // statistics exactly as the previous chunks made them.
                            for undo in 0..<r {
                                let u = undo * d
                                for j in 0..<d { sums[j] -= f[u + j] }
                                if let sumRows { let base = sumRows[undo] * d; for j in 0..<d { out[base + j] -= f[u + j] } }
                            }
                            return
                        }
                        for j in 0..<d { sums[j] += f[src + j] }
                        if let sumRows {
                            let base = sumRows[r] * d
                            for j in 0..<d { out[base + j] += f[src + j] }
                        }
                    }
                }
            }
        }
        if let k = badIndex {
            // Nothing of this chunk is kept: the statistics stay those of the earlier chunks.
            throw RankingError.nonFiniteFeature(row: rowOffset + k / d, column: k % d, value: features.storage[k])
        }
        features.accumulateGram(into: &gramUpper)
        if classIndices == nil {
            accumulateProduct(targets, features, into: &targetFeatureProducts, transposingLeft: true)
        }
        targets.storage.withUnsafeBufferPointer { y in
            let k = targetCount
            for r in 0..<n { for j in 0..<k { targetSquares[j] += y[r * k + j] * y[r * k + j] } }
        }
        sampleCount += n
    }

    /// Adds the statistics of a disjoint set of samples.
    public mutating func merge(_ other: LogMEStatistics) throws {
        guard other.featureDimension == featureDimension else {
            throw RankingError.dimensionMismatch(expected: featureDimension, found: other.featureDimension)
        }
        guard other.targetCount == targetCount else {
            throw RankingError.invalidOption(name: "targets", value: "\(other.targetCount) columns", expected: "\(targetCount) columns")
        }
        for i in gramUpper.storage.indices { gramUpper.storage[i] += other.gramUpper.storage[i] }
        for i in targetFeatureProducts.storage.indices { targetFeatureProducts.storage[i] += other.targetFeatureProducts.storage[i] }
        for i in targetSquares.indices { targetSquares[i] += other.targetSquares[i] }
        for i in featureSums.indices { featureSums[i] += other.featureSums[i] }
        sampleCount += other.sampleCount
    }

    /// Feature columns whose values are the same for every sample (variance zero up
    /// to rounding), read off the diagonal of `FᵀF` and the column sums.
    public func constantFeatureColumns() -> [Int] {
        guard sampleCount > 0 else { return [] }
        let n = Double(sampleCount)
        var out = [Int]()
        for j in 0..<featureDimension {
            let sumSquares = gramUpper[j, j], mean = featureSums[j] / n
            let variance = sumSquares / n - mean * mean
            if variance <= 1e-12 * Swift.max(sumSquares / n, .leastNormalMagnitude) { out.append(j) }
        }
        return out
    }
}
