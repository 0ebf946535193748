import Foundation
import Linalg

/// LogME: the logarithm of the maximum evidence of a Bayesian linear model on a
/// pre-trained model's features (You et al., ICML 2021; JMLR 2022, "Ranking and
/// Tuning Pre-trained Models").
///
/// For every target column y (one-hot per class, each regression output, each
/// label of a multi-label target): y = F w + e with w ~ N(0, 1/alpha I) and
/// e ~ N(0, 1/beta I), no intercept and no centring (as in the paper). The evidence
/// p(y | F, alpha, beta) is maximised over (alpha, beta) and divided by N; the
/// score is the mean over columns. Higher is better.
///
/// Shapes: features N x D, targets N x K. Cost: one `dsyrk` (N·D²) and one
/// symmetric eigendecomposition (D³) when N > D, one thin SVD (N²·D) otherwise,
/// then O(min(N, D)) per iteration per column.
///
/// The estimator is its configuration; `fit` returns an immutable `LogMEFit`.
public struct LogME: Sendable, Codable, Hashable {
    /// Which iteration schedule to run.
    public enum Compatibility: String, Codable, Sendable, CaseIterable {
        /// Iterate to `tolerance` with the log-determinant over all D eigenvalues.
        case exact
        /// The published reference schedule, so published numbers can be matched.
        case paper
    }

    /// Relative tolerance on alpha/beta between iterations.
    public var tolerance: Double
    /// Iteration cap per column.
    public var maxIterations: Int
    public var compatibility: Compatibility
    public init(
        tolerance: Double = 1e-8, maxIterations: Int = 10_000,
        compatibility: Compatibility = .exact
    ) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.compatibility = compatibility
    }

    public static let name = "logme"

    /// Fits LogME on features (N x D) and encoded targets (N x K).
    ///
    /// Uses FᵀF and its eigendecomposition when N > D, and a thin SVD of F otherwise.
    /// - Throws: `RankingError` for mismatched lengths, fewer than 2 samples, no
    ///   features, non-finite features; `LinalgError` if LAPACK fails.
    public func fit(features: Matrix, targets: EncodedTargets) throws -> LogMEFit {
        try validateOptions()
        try validate(features: features, targets: targets)
        if features.rows > features.columns {
            // The matrix is already in memory: one pass over it, no row copies (chunked
            // accumulation is for data read in pieces, through `LogMEStatistics`).
            var stats = LogMEStatistics(featureDimension: features.columns, targetCount: targets.columnCount)
            try stats.accumulate(
                features: features, targets: targets.matrix,
                classIndices: targets.task == .classification ? targets.encodedLabels : nil,
                checkFinite: false)
            return try fit(statistics: stats, columnNames: targets.columnNames, warnings: targets.warnings)
        }
        return try fitBySVD(features: features, targets: targets)
    }

    /// Fits LogME from accumulated sufficient statistics (the Gram route; exact for
    /// any N, and the only route for data seen in chunks or shards).
    public func fit(statistics: LogMEStatistics, columnNames: [String]? = nil, warnings: [String] = []) throws -> LogMEFit {
        try validateOptions()
        guard statistics.sampleCount >= 2 else { throw RankingError.tooFewSamples(count: statistics.sampleCount, minimum: 2) }
        guard statistics.featureDimension >= 1 else { throw RankingError.noFeatures }
        let d = statistics.featureDimension
        // Factored form: only the C target columns and the C posterior means ever meet
        // the eigenvectors, so V is never formed (see SymmetricEigenFactorization).
        let eigen = try SymmetricEigenFactorization(statistics.gramUpper)
        // Row k of Z holds the projections of Fᵀy_k on the eigenvectors.
        let z = try eigen.project(statistics.targetFeatureProducts)
        let s = eigen.values.map { Swift.max($0, 0) }
        // Numerical rank: eigenvalues of a computed Gram matrix are only known to about
        // D·eps·s_max, so smaller ones are treated as exact zeros.
        let rankTolerance = (s.max() ?? 0) * Double(Swift.max(d, statistics.sampleCount)) * Double.ulpOfOne
        var notes = warnings
        let constant = statistics.constantFeatureColumns()
        if !constant.isEmpty { notes.append(Self.describeConstantColumns(constant, dimension: d)) }
        return try solve(
            eigenvalues: s, projections: z, basis: .factorization(eigen), rankTolerance: rankTolerance,
            targetSquares: statistics.targetSquares, sampleCount: statistics.sampleCount,
            dimension: d, columnNames: columnNames, notes: notes, route: .gram)
    }

    // MARK: - Implementation

    private func fitBySVD(features: Matrix, targets: EncodedTargets) throws -> LogMEFit {
        let n = features.rows, d = features.columns
        let svd = try features.thinSVD()
        // z_k = Vᵀ Fᵀ y_k = diag(σ) Uᵀ y_k  →  Z = (Yᵀ U) diag(σ)   (K x r)
        var z = try targets.matrix.multiplied(by: svd.left, transposingSelf: true)
        let r = svd.singularValues.count
        for k in 0..<z.rows { for i in 0..<r { z[k, i] *= svd.singularValues[i] } }
        let s = svd.singularValues.map { $0 * $0 }
        let sigmaTolerance = (svd.singularValues.first ?? 0) * Double(Swift.max(n, d)) * Double.ulpOfOne
        var squares = [Double](repeating: 0, count: targets.columnCount)
        for row in 0..<n { for k in 0..<targets.columnCount { squares[k] += targets.matrix[row, k] * targets.matrix[row, k] } }
        var notes = targets.warnings
        let constant = Self.constantColumns(of: features)
        if !constant.isEmpty { notes.append(Self.describeConstantColumns(constant, dimension: d)) }
        notes.append("N = \(n) <= D = \(d): thin SVD route; \(d - r) eigenvalues of FᵀF are zero and enter the log-determinant")
        return try solve(
            eigenvalues: s, projections: z, basis: .rows(svd.rightTransposed),
            rankTolerance: sigmaTolerance * sigmaTolerance, targetSquares: squares,
            sampleCount: n, dimension: d, columnNames: targets.columnNames, notes: notes, route: .svd)
    }

    private func solve(
        eigenvalues s: [Double], projections z: Matrix, basis: SpectralBasis, rankTolerance: Double,
        targetSquares: [Double], sampleCount: Int, dimension: Int,
        columnNames: [String]?, notes: [String], route: LogMEFit.Route
    ) throws -> LogMEFit {
        let k = z.rows
        let rank = s.filter { $0 > rankTolerance }.count
        let kept = s.map { $0 > rankTolerance ? $0 : 0 }
        let maximizer = EvidenceMaximizer(
            tolerance: tolerance, maxIterations: maxIterations,
            scan: compatibility == .exact ? ProfileScan(eigenvalues: kept) : nil)
        var columns = [ColumnEvidence]()
        columns.reserveCapacity(k)
        for col in 0..<k {
            var zc = z.row(col)
            var sc = s
            var residual = 0.0
            // Directions below the numerical rank are null: their computed eigenvalues
            // and projections are rounding noise, so both schedules treat them as exact
            // zeros (the paper schedule still counts them in its log-determinant).
            for i in sc.indices where sc[i] <= rankTolerance { sc[i] = 0; zc[i] = 0 }
            if compatibility == .exact {
                residual = Self.leastSquaresResidual(
                    s: sc, z: zc, targetSquares: targetSquares[col],
                    fullRowRank: route == .svd && rank == sampleCount)
            }
            let problem = SpectralProblem(
                s: sc, z: zc, targetSquares: targetSquares[col], residual: residual,
                sampleCount: sampleCount, dimension: dimension)
            columns.append(compatibility == .paper ? maximizer.maximizePaperSchedule(problem) : maximizer.maximize(problem))
        }
        // Posterior means back in feature space: M = T · basis   (K x D)
        let t = Matrix(rows: k, columns: s.count, storage: columns.flatMap { $0.t })
        let means = try basis.combine(t)
        return LogMEFit(
            score: columns.map(\.evidencePerSample).reduce(0, +) / Double(Swift.max(k, 1)),
            columns: zip(columns.indices, columns).map { i, c in
                LogMEFit.Column(
                    name: columnNames?[i] ?? "column \(i)", evidence: c.evidencePerSample, alpha: c.alpha,
                    beta: c.beta, iterations: c.iterations, status: c.status, refinedBySearch: c.refinedBySearch)
            },
            posteriorMean: means, sampleCount: sampleCount, dimension: dimension, rank: rank,
            eigenvalues: s, basis: basis, route: route, compatibility: compatibility, notes: notes)
    }

    /// Relative size below which the least-squares residual counts as an exact fit;
    /// the residual is computed as yᵀy - Σ z²/s, which cancels to rounding noise then.
    static let exactFitThreshold = 1e-10

    /// |y - F F⁺ y|²: exactly zero when F has rank N (its columns span every sample
    /// direction), otherwise yᵀy - Σ z_i²/s_i with rounding-level values set to zero.
    static func leastSquaresResidual(s: [Double], z: [Double], targetSquares: Double, fullRowRank: Bool) -> Double {
        if fullRowRank { return 0 }
        var projected = 0.0
        for i in s.indices where s[i] > 0 { projected += z[i] * z[i] / s[i] }
        let residual = targetSquares - projected
        return residual <= exactFitThreshold * targetSquares ? 0 : residual
    }

    private func validateOptions() throws {
        guard tolerance > 0, tolerance.isFinite else {
            throw RankingError.invalidOption(name: "tolerance", value: "\(tolerance)", expected: "a positive number")
        }
        guard maxIterations >= 1 else {
            throw RankingError.invalidOption(name: "max-iterations", value: "\(maxIterations)", expected: "at least 1")
        }
    }

    private func validate(features: Matrix, targets: EncodedTargets) throws {
        guard features.rows == targets.sampleCount else {
            throw RankingError.lengthMismatch(features: features.rows, labels: targets.sampleCount)
        }
        guard features.rows >= 2 else { throw RankingError.tooFewSamples(count: features.rows, minimum: 2) }
        guard features.columns >= 1 else { throw RankingError.noFeatures }
        if let bad = features.firstNonFinite() {
            throw RankingError.nonFiniteFeature(row: bad.row, column: bad.column, value: features[bad.row, bad.column])
        }
    }

    static func constantColumns(of features: Matrix) -> [Int] {
        let n = features.rows, d = features.columns
        var out = [Int]()
        for j in 0..<d {
            let first = features.storage[j]
            var constant = true
            for r in 1..<n where features.storage[r * d + j] != first { constant = false; break }
            if constant { out.append(j) }
        }
        return out
    }

    static func describeConstantColumns(_ columns: [Int], dimension: Int) -> String {
        let shown = columns.prefix(8).map(String.init).joined(separator: ", ")
        return
            "\(columns.count) of \(dimension) feature columns are constant (\(shown)\(columns.count > 8 ? ", ..." : "")); they act as an intercept or, when zero, add nothing"
    }
}
