import Foundation
import Linalg
import Support

/// PARC: Pairwise Annotation Representation Comparison (Bolya, Mittapalli, Hoffman,
/// "Scalable Diverse Model Selection for Accessible Transfer Learning", NeurIPS 2021).
///
/// Features are reduced by PCA to `dimensions` (32, the reference's setting; fewer
/// when the centred features have lower numerical rank: null components are left
/// out, see below) and each reduced column standardised (the reference's
/// `StandardScaler`). Then
///
///     F_ij = 1 - pearson(fᵢ, fⱼ)     (rows of the reduced features)
///     Y_ij = 1 - pearson(yᵢ, yⱼ)     (one-hot label rows)
///     PARC = 100 · spearman(upper(F), upper(Y))
///
/// over the N(N-1)/2 pairs i < j. Higher is better. The ×100 is the reference's
/// scale, kept so scores compare with published ones.
///
/// For one-hot labels Y_ij takes two values: 0 for a same-class pair and C/(C-1)
/// otherwise. Spearman's coefficient is Pearson's on (tie-averaged) ranks and is
/// invariant to an increasing map of either side, so the label side reduces to the
/// indicator "different class" and the score is the point-biserial correlation of
/// the feature-distance ranks with it: only the feature distances are ranked, by
/// sorting the same-class and different-class distances separately and merging.
///
/// Cost: O(N²·d) for the pair correlations (one `dgemm` per row block), O(N² log N)
/// for the ranks, N²/2 doubles of memory (N = 10 000: 400 MB). Above `maxSamples`
/// a seeded, class-stratified subsample is scored and a warning says so.
///
/// Deviations from the public reference (docs/metrics/parc.md):
/// - PCA is the exact one from the shared covariance eigendecomposition (the
///   reference uses a randomised PCA with one power iteration), with
///   scikit-learn's sign convention for the components (PARC depends on it);
/// - PCA components of zero variance (up to rounding) are not kept: standardising
///   them turns rounding noise into unit-variance signal (the score then changes
///   with the features' scale and column order). This makes PARC ignore null
///   directions such as dead units' zero columns;
/// - a reduced sample whose row is constant has no Pearson correlation (NaN in the
///   reference, which makes the score NaN): it is given correlation 0 (distance 1)
///   with every other sample and a warning.
public struct PARC: TransferabilityMetric {
    public static let name = "parc"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Null directions: components of zero variance are left out of the PCA. Scale: every component is standardised. Sample order: exact up to `maxSamples` (the subsample above it is seeded by index).
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections, .featureScale] }

    /// PCA dimension (nil: no reduction, the features are only standardised).
    public var dimensions: Int?
    /// Largest N scored exactly; larger inputs are subsampled (memory is O(N²)).
    public var maxSamples: Int
    /// Seed of the subsample.
    public var seed: UInt64

    public init(dimensions: Int? = 32, maxSamples: Int = 10_000, seed: UInt64 = 0) {
        self.dimensions = dimensions
        self.maxSamples = maxSamples
        self.seed = seed
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (allLabels, classCount) = try input.requireClasses(for: name)
        let analysis = try input.requireAnalysis(for: name)
        if let dimensions, dimensions < 1 {
            throw MetricError.invalidParameter(metric: name, name: "dimensions", value: "\(dimensions)", expected: ">= 1 or none")
        }
        guard maxSamples >= 2 else {
            throw MetricError.invalidParameter(metric: name, name: "maxSamples", value: "\(maxSamples)", expected: ">= 2")
        }
        guard analysis.sampleCount == allLabels.count else {
            throw MetricError.shapeMismatch(
                metric: name, what: "features", expected: "\(allLabels.count) rows", found: "\(analysis.sampleCount) x \(analysis.dimension)")
        }
        if let bad = analysis.features.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(bad.row), \(bad.column)) is not finite")
        }
        var warnings = [String]()
        var reduced: Matrix
        if let dimensions {
            // Always project when a dimension is set, even to D components: the
            // per-column standardisation that follows is not rotation invariant.
            // Only components of non-zero variance: a null component (dead units,
            // rank below min(D, N)) is rounding noise that the standardisation below
            // would blow up to unit variance, making the score depend on the noise
            // (on the features' scale and column order). The reference's data has none.
            let rank = try analysis.covarianceRank()
            guard rank >= 1 else {
                throw MetricError.degenerate(metric: name, reason: "every feature column is constant; there is no principal component")
            }
            let k = min(dimensions, analysis.dimension, analysis.sampleCount, rank)
            reduced = try analysis.principalComponents(k)
            try Self.applySignConvention(&reduced, eigen: analysis.covarianceEigen())
        } else {
            reduced = analysis.centered
        }
        var labels = allLabels
        if labels.count > maxSamples {
            let keep = Self.stratifiedSubsample(labels: labels, classCount: classCount, size: maxSamples, seed: seed)
            reduced = reduced.rows(at: keep)
            labels = keep.map { allLabels[$0] }
            warnings.append("PARC needs O(N²) memory: scored a seeded class-stratified subsample of \(maxSamples) of the \(allLabels.count) samples")
        }
        Self.standardizeColumns(&reduced)
        let constantRows = Self.normalizeRows(&reduced)
        if constantRows > 0 {
            warnings.append(
                "\(constantRows) sample\(constantRows == 1 ? " has" : "s have") a constant reduced feature row (no Pearson correlation); treated as uncorrelated with every other sample"
            )
        }
        guard let value = try Self.rankCorrelation(normalizedRows: reduced, labels: labels) else {
            throw MetricError.degenerate(
                metric: name,
                reason:
                    "the pair distances or the label pairs are all equal (every pair in the same class, every pair in different classes, or identical features); Spearman's correlation is undefined"
            )
        }
        return MetricResult(
            score: 100 * value,
            details: ["pca_components": Double(reduced.columns), "samples_scored": Double(labels.count)],
            warnings: warnings)
    }

    /// Gives each principal component scikit-learn's sign (`svd_flip` on the
    /// directions: the largest-magnitude entry of each direction is positive).
    /// Eigenvectors have arbitrary signs, and PARC is not invariant to them: a row's
    /// Pearson correlation centres it across columns, and flipping one column moves
    /// that mean.
    static func applySignConvention(_ reduced: inout Matrix, eigen: SymmetricEigen) {
        let d = eigen.vectors.columns, k = reduced.columns
        for c in 0..<k {
            let direction = d - 1 - c // components are in descending variance
            var best = 0.0
            for j in 0..<d where abs(eigen.vectors[direction, j]) > abs(best) { best = eigen.vectors[direction, j] }
            if best < 0 { for i in 0..<reduced.rows { reduced[i, c] = -reduced[i, c] } }
        }
    }

    /// Centres every column and scales it to unit (population) variance; constant
    /// columns stay zero, as scikit-learn's `StandardScaler`.
    static func standardizeColumns(_ m: inout Matrix) {
        let n = m.rows, d = m.columns
        guard n > 0 else { return }
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        m.storage.withUnsafeMutableBufferPointer { s in
            for i in 0..<n { for j in 0..<d { mean[j] += s[i * d + j] } }
            for j in 0..<d { mean[j] /= Double(n) }
            for i in 0..<n { for j in 0..<d { let t = s[i * d + j] - mean[j]; s[i * d + j] = t; sq[j] += t * t } }
            for j in 0..<d {
                let sd = (sq[j] / Double(n)).squareRoot()
                sq[j] = sd > 0 ? 1 / sd : 1
            }
            for i in 0..<n { for j in 0..<d { s[i * d + j] *= sq[j] } }
        }
    }

    /// Centres every row and scales it to unit norm, so the inner product of two rows
    /// is their Pearson correlation. Returns how many rows were constant (left zero).
    static func normalizeRows(_ m: inout Matrix) -> Int {
        let n = m.rows, d = m.columns
        var constant = 0
        m.storage.withUnsafeMutableBufferPointer { s in
            for i in 0..<n {
                let row = i * d
                var mean = 0.0
                for j in 0..<d { mean += s[row + j] }
                mean /= Double(max(d, 1))
                var norm = 0.0
                for j in 0..<d { let t = s[row + j] - mean; s[row + j] = t; norm += t * t }
                norm = norm.squareRoot()
                // A row that is constant up to rounding has no meaningful direction.
                var scale = 0.0
                for j in 0..<d { scale = max(scale, abs(s[row + j] + mean)) }
                if norm <= 1e-12 * max(scale, Double.leastNormalMagnitude) * Double(d) || norm == 0 {
                    for j in 0..<d { s[row + j] = 0 }
                    constant += 1
                } else {
                    for j in 0..<d { s[row + j] /= norm }
                }
            }
        }
        return constant
    }

    /// Spearman's correlation between the pair distances 1 - <zᵢ, zⱼ> (i < j) and the
    /// different-class indicator, or nil when either side is constant.
    static func rankCorrelation(normalizedRows z: Matrix, labels: [Int]) throws -> Double? {
        let n = z.rows
        var same = [Double](), different = [Double]()
        let pairs = n * (n - 1) / 2
        var sameCount = 0
        var counts = [Int: Int]()
        for y in labels { counts[y, default: 0] += 1 }
        for (_, c) in counts { sameCount += c * (c - 1) / 2 }
        same.reserveCapacity(sameCount)
        different.reserveCapacity(pairs - sameCount)
        // Row blocks of the correlation matrix, one dgemm each: bounded extra memory.
        let block = 256
        var start = 0
        while start < n {
            let end = min(n, start + block)
            let rows = z.rows(start..<end)
            let corr = try rows.multiplied(by: z, transposingOther: true)
            corr.storage.withUnsafeBufferPointer { c in
                for i in start..<end {
                    let yi = labels[i]
                    let base = (i - start) * n
                    for j in (i + 1)..<max(i + 1, n) {
                        let distance = 1 - c[base + j]
                        if labels[j] == yi { same.append(distance) } else { different.append(distance) }
                    }
                }
            }
            start = end
        }
        return pointBiserialRankCorrelation(low: &same, high: &different)
    }

    /// Pearson's correlation between the tie-averaged ranks of all values and the
    /// indicator "value came from `high`". Sorts both arrays in place.
    static func pointBiserialRankCorrelation(low: inout [Double], high: inout [Double]) -> Double? {
        let total = low.count + high.count
        guard !low.isEmpty, !high.isEmpty else { return nil }
        low.sort()
        high.sort()
        var a = 0, b = 0
        var position = 0.0 // ranks assigned so far
        var sumHighRanks = 0.0
        var sumSquaredRanks = 0.0
        while a < low.count || b < high.count {
            let v: Double
            if a < low.count, b < high.count { v = min(low[a], high[b]) } else if a < low.count { v = low[a] } else { v = high[b] }
            var ta = 0, tb = 0
            while a < low.count, low[a] == v { a += 1; ta += 1 }
            while b < high.count, high[b] == v { b += 1; tb += 1 }
            let t = Double(ta + tb)
            let rank = position + (t + 1) / 2
            sumHighRanks += Double(tb) * rank
            sumSquaredRanks += t * rank * rank
            position += t
        }
        let m = Double(total)
        let meanRank = (m + 1) / 2
        let rankVariance = sumSquaredRanks / m - meanRank * meanRank
        let p = Double(high.count) / m
        let covariance = sumHighRanks / m - meanRank * p
        let denominator = (rankVariance * p * (1 - p)).squareRoot()
        guard rankVariance > 1e-12 * meanRank * meanRank, denominator > 0 else { return nil }
        return max(-1, min(1, covariance / denominator))
    }

    /// A seeded subsample of `size` indices keeping each class's share (at least one
    /// sample per class), in increasing index order.
    static func stratifiedSubsample(labels: [Int], classCount: Int, size: Int, seed: UInt64) -> [Int] {
        let n = Double(labels.count)
        var chosen = [Int]()
        for members in SeededGenerator.classMembersInRandomOrder(labels: labels, classCount: classCount, seed: seed) where !members.isEmpty {
            let take = max(1, Int((Double(members.count) * Double(size) / n).rounded()))
            chosen.append(contentsOf: members.prefix(take))
        }
        return chosen.sorted()
    }
}
