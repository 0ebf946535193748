import Foundation
import Linalg

/// Quantities of one model's features that several metrics need, computed once on
/// first use and then shared (H-score, shrinkage H-score, TransRate, GBC, SFDA, PARC
/// and N-LEEP all centre the features; several need the covariance, its
/// eigendecomposition or a PCA projection).
///
/// A reference type so that the metrics scoring one model share one cache; access
/// is serialised by a lock, so it may be shared across threads.
public final class FeatureAnalysis: @unchecked Sendable {
    // @unchecked: the lazily filled caches are only touched under `lock`.
    public let features: Matrix
    private let lock = NSLock()
    private var _mean: [Double]?
    private var _centered: Matrix?
    private var _covarianceEigen: SymmetricEigen?
    private var _covarianceFactorization: SymmetricEigenFactorization?
    private var _covariance: Matrix?
    private var _classStatistics: (labels: [Int], statistics: ClassStatistics)?

    public init(features: Matrix) { self.features = features }

    public var sampleCount: Int { features.rows }
    public var dimension: Int { features.columns }

    /// Column means (D).
    public var mean: [Double] {
        lock.withLock {
            if let m = _mean { return m }
            var m = [Double](repeating: 0, count: features.columns)
            let n = features.rows, d = features.columns
            features.storage.withUnsafeBufferPointer { f in
                for r in 0..<n { for j in 0..<d { m[j] += f[r * d + j] } }
            }
            for j in 0..<d { m[j] /= Double(max(n, 1)) }
            _mean = m
            return m
        }
    }

    /// The features minus their column means (N x D).
    public var centered: Matrix {
        let m = mean
        return lock.withLock {
            if let c = _centered { return c }
            var c = features
            let d = features.columns
            c.storage.withUnsafeMutableBufferPointer { buf in
                for r in 0..<features.rows { for j in 0..<d { buf[r * d + j] -= m[j] } }
            }
            _centered = c
            return c
        }
    }

    /// The biased covariance (1/N) Σ (f - mean)(f - mean)ᵀ (D x D, full symmetric).
    public var covariance: Matrix {
        let c = centered
        return lock.withLock {
            if let cov = _covariance { return cov }
            var cov = c.gram()
            let n = Double(max(features.rows, 1))
            for i in cov.storage.indices { cov.storage[i] /= n }
            _covariance = cov
            return cov
        }
    }

    /// Eigendecomposition of `covariance` (ascending eigenvalues; rows of `vectors`).
    public func covarianceEigen() throws -> SymmetricEigen {
        let cov = covariance
        return try lock.withLock {
            if let e = _covarianceEigen { return e }
            let e = try cov.symmetricEigen()
            _covarianceEigen = e
            return e
        }
    }

    /// The numerical rank of the centred features: the number of covariance
    /// eigenvalues above max eigenvalue x max(N, D) x machine epsilon. Directions
    /// below it (dead units' all-zero columns, collinear columns, D >= N) carry only
    /// rounding noise, which metrics must not rescale into signal.
    public func covarianceRank() throws -> Int {
        let values = try covarianceEigen().values
        let top = values.max() ?? 0
        guard top > 0 else { return 0 }
        let tolerance = top * Double(max(sampleCount, dimension)) * Double.ulpOfOne
        return values.filter { $0 > tolerance }.count
    }

    /// The centred features projected on the top `components` principal directions
    /// (N x components), from the shared covariance eigendecomposition.
    public func principalComponents(_ components: Int) throws -> Matrix {
        let e = try covarianceEigen()
        let k = max(1, min(components, dimension))
        let top = Array((dimension - k)..<dimension).reversed() // descending variance
        let directions = e.vectors.rows(at: Array(top))
        return try centered.multiplied(by: directions, transposingOther: true)
    }

    /// The centred features on the top `components` principal directions, each up to
    /// its sign, for metrics that do not depend on the signs (GBC's per-axis
    /// Gaussians). When no other metric has formed all D eigenvectors, only the
    /// `components` needed are formed (`SymmetricEigenFactorization`), which is most
    /// of the cost of a PCA to 64 dimensions of a 1024-dimensional feature.
    public func principalComponentsUpToSign(_ components: Int) throws -> Matrix {
        if lock.withLock({ _covarianceEigen }) != nil { return try principalComponents(components) }
        let cov = covariance
        let factorization = try lock.withLock { () throws -> SymmetricEigenFactorization in
            if let f = _covarianceFactorization { return f }
            let f = try SymmetricEigenFactorization(cov)
            _covarianceFactorization = f
            return f
        }
        let k = max(1, min(components, dimension))
        var selection = Matrix(rows: k, columns: dimension)
        for r in 0..<k { selection[r, dimension - 1 - r] = 1 } // descending variance
        let directions = try factorization.combine(selection)
        return try centered.multiplied(by: directions, transposingOther: true)
    }

    /// The number of principal components that keep at least `fraction` of the variance.
    public func componentsKeeping(varianceFraction fraction: Double) throws -> Int {
        let values = try covarianceEigen().values.reversed().map { max($0, 0) }
        let total = values.reduce(0, +)
        guard total > 0 else { return 1 }
        var running = 0.0
        for (i, v) in values.enumerated() {
            running += v
            if running >= fraction * total { return i + 1 }
        }
        return values.count
    }

    /// Per-class sample counts and means of the raw features for `labels` in
    /// `0..<classCount` (cached for the most recent labelling: every metric scoring
    /// one model sees the same labels). H-score, shrinkage H-score and SFDA use it.
    public func classStatistics(labels: [Int], classCount: Int) -> ClassStatistics {
        lock.withLock {
            if let cached = _classStatistics, cached.labels == labels, cached.statistics.counts.count == classCount {
                return cached.statistics
            }
            let stats = ClassStatistics(features: features, labels: labels, classCount: classCount)
            _classStatistics = (labels, stats)
            return stats
        }
    }
}

/// Per-class counts and means of a feature matrix.
public struct ClassStatistics: Sendable {
    /// Samples per class (C).
    public let counts: [Int]
    /// Row c is the mean of class c's rows (C x D); zero for an empty class.
    public let means: Matrix

    /// One pass over the rows. - Precondition: `labels.count == features.rows`,
    /// every label in `0..<classCount`.
    public init(features: Matrix, labels: [Int], classCount: Int) {
        precondition(labels.count == features.rows, "one label per row")
        let d = features.columns
        var counts = [Int](repeating: 0, count: classCount)
        var sums = Matrix(rows: classCount, columns: d)
        features.storage.withUnsafeBufferPointer { f in
            sums.storage.withUnsafeMutableBufferPointer { s in
                for (r, c) in labels.enumerated() {
                    counts[c] += 1
                    let src = r * d, dst = c * d
                    for j in 0..<d { s[dst + j] += f[src + j] }
                }
            }
        }
        for c in 0..<classCount where counts[c] > 0 {
            let inv = 1.0 / Double(counts[c])
            for j in 0..<d { sums.storage[c * d + j] *= inv }
        }
        self.counts = counts
        self.means = sums
    }
}
