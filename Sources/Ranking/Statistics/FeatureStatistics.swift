import Foundation
import Linalg

/// Where a shard's rows came from, so that merging refuses the same rows twice.
public struct ShardOrigin: Sendable, Codable, Equatable {
    /// The feature file's name (no directory: shards are often computed elsewhere).
    public var file: String
    /// The feature file's size in bytes, when known.
    public var fileBytes: Int?
    /// Rows of the whole feature file.
    public var fileRows: Int
    /// First row of the shard (inclusive).
    public var start: Int
    /// End of the shard (exclusive).
    public var end: Int

    public init(file: String, fileBytes: Int?, fileRows: Int, rows: Range<Int>) {
        self.file = file
        self.fileBytes = fileBytes
        self.fileRows = fileRows
        start = rows.lowerBound
        end = rows.upperBound
    }

    public var rows: Range<Int> { start..<end }

    /// Same file (name, size and row count all equal where known).
    func isSameFile(as other: ShardOrigin) -> Bool {
        file == other.file && fileRows == other.fileRows && (fileBytes == nil || other.fileBytes == nil || fileBytes == other.fileBytes)
    }
}

/// The sufficient statistics of one model's features and the target, from which
/// LogME and every metric defined by first and second moments are computed exactly
/// without the samples (`StatisticsMetric`).
///
/// - N, feature sums Σf, the Gram matrix FᵀF (upper triangle), YᵀF and Σy² per
///   target column (`logme`, a `LogMEStatistics`): for one-hot targets YᵀF holds the
///   per-class feature sums and Σy² the class counts.
/// - YᵀY (K x K) for regression and multi-label targets.
/// - Σ‖f‖⁴ and Σ‖f‖² f: the fourth moment of the centred features that the
///   Ledoit-Wolf shrinkage needs, expanded around the mean (`centredFourthMomentSum`).
/// - Optionally the per-class Gram matrices F_cᵀF_c (C·D² numbers), for metrics that
///   need per-class covariances (TransRate, GBC).
///
/// Everything adds over disjoint sets of samples: chunks of one file (bounded memory)
/// and shards computed separately (`merge(_:)`).
///
/// Precision: covariances are formed as FᵀF/N − μμᵀ, which loses about
/// log10(‖μ‖²/λ) digits against centring first (λ the variance of a direction);
/// features whose mean is many orders of magnitude above their spread should be
/// shifted before extraction.
public struct FeatureStatistics: Sendable {
    /// Version of the statistics' content (bumped when a field changes meaning).
    public static let formatVersion = 1

    public let modelName: String
    public let task: TaskKind
    /// Classification: the original class id of each target column.
    public let classes: [Int]
    public let columnNames: [String]
    public private(set) var logme: LogMEStatistics
    /// YᵀY (K x K, full); diagonal class counts for one-hot targets.
    public private(set) var targetGram: Matrix
    /// Σ‖f_i‖⁴.
    public private(set) var normFourthSum: Double
    /// Σ‖f_i‖² f_i (D).
    public private(set) var normWeightedSums: [Double]
    /// F_cᵀF_c per class (upper triangles), when requested.
    public private(set) var classGramsUpper: [Matrix]?
    /// The row ranges accumulated, one per shard.
    public private(set) var origins: [ShardOrigin]

    public var sampleCount: Int { logme.sampleCount }
    public var featureDimension: Int { logme.featureDimension }
    public var targetCount: Int { logme.targetCount }
    public var hasClassGrams: Bool { classGramsUpper != nil }

    /// Empty statistics for `targets`' task and columns (their class list, so every
    /// shard built from the same labels file agrees on it).
    public init(modelName: String, featureDimension: Int, targets: EncodedTargets, classGrams: Bool = false) {
        self.init(
            modelName: modelName, task: targets.task, classes: targets.classes, columnNames: targets.columnNames,
            featureDimension: featureDimension, classGrams: classGrams)
    }

    public init(
        modelName: String, task: TaskKind, classes: [Int], columnNames: [String], featureDimension: Int,
        classGrams: Bool = false
    ) {
        self.modelName = modelName
        self.task = task
        self.classes = classes
        self.columnNames = columnNames
        let k = columnNames.count
        logme = LogMEStatistics(featureDimension: featureDimension, targetCount: k)
        targetGram = Matrix(rows: k, columns: k)
        normFourthSum = 0
        normWeightedSums = [Double](repeating: 0, count: featureDimension)
        classGramsUpper =
            classGrams && task == .classification
            ? Array(repeating: Matrix(rows: featureDimension, columns: featureDimension), count: classes.count) : nil
        origins = []
    }

    /// Statistics read back from a file; shapes are checked against each other.
    public init(
        modelName: String, task: TaskKind, classes: [Int], columnNames: [String], logme: LogMEStatistics,
        targetGram: Matrix, normFourthSum: Double, normWeightedSums: [Double], classGramsUpper: [Matrix]?,
        origins: [ShardOrigin]
    ) throws {
        let k = logme.targetCount, d = logme.featureDimension
        func bad(_ what: String, _ found: String, _ expected: String) -> StatisticsError {
            .malformed(what: what, found: found, expected: expected)
        }
        guard columnNames.count == k else { throw bad("column names", "\(columnNames.count)", "\(k) (one per target column)") }
        if task == .classification, classes.count != k { throw bad("classes", "\(classes.count)", "\(k) (one per target column)") }
        guard targetGram.rows == k, targetGram.columns == k else { throw bad("YᵀY", "\(targetGram.rows) x \(targetGram.columns)", "\(k) x \(k)") }
        guard normWeightedSums.count == d else { throw bad("Σ‖f‖²f", "\(normWeightedSums.count) values", "\(d)") }
        if let grams = classGramsUpper {
            guard task == .classification, grams.count == classes.count,
                grams.allSatisfy({ $0.rows == d && $0.columns == d })
            else {
                throw bad("per-class Gram matrices", "\(grams.count)", "\(classes.count) matrices of \(d) x \(d) for a classification target")
            }
        }
        self.modelName = modelName
        self.task = task
        self.classes = classes
        self.columnNames = columnNames
        self.logme = logme
        self.targetGram = targetGram
        self.normFourthSum = normFourthSum
        self.normWeightedSums = normWeightedSums
        self.classGramsUpper = classGramsUpper
        self.origins = origins
    }

    /// The statistics of a whole in-memory matrix (one chunk).
    public init(modelName: String, features: Matrix, targets: EncodedTargets, classGrams: Bool = false) throws {
        self.init(modelName: modelName, featureDimension: features.columns, targets: targets, classGrams: classGrams)
        try accumulate(features: features, targets: targets, rows: 0..<features.rows)
    }

    /// Adds rows `rows` of the data: `features` holds exactly those rows (n x D),
    /// `targets` all N rows of the labels (the same encoding every shard uses).
    ///
    /// A chunk with a non-finite feature throws and leaves the statistics unchanged.
    public mutating func accumulate(features: Matrix, targets: EncodedTargets, rows: Range<Int>) throws {
        guard rows.count == features.rows, rows.lowerBound >= 0, rows.upperBound <= targets.sampleCount else {
            throw RankingError.lengthMismatch(features: features.rows, labels: rows.count)
        }
        guard targets.task == task, targets.columnCount == targetCount else {
            throw RankingError.invalidOption(
                name: "targets", value: "\(targets.task.rawValue), \(targets.columnCount) columns",
                expected: "\(task.rawValue), \(targetCount) columns")
        }
        let y = targets.matrix.rows(rows)
        let labels = task == .classification ? Array(targets.encodedLabels[rows]) : nil
        // Checked before anything is added, so a failed chunk leaves every sum bit for bit
        // as it was (undoing additions would not).
        if let bad = features.firstNonFinite() {
            throw RankingError.nonFiniteFeature(row: rows.lowerBound + bad.row, column: bad.column, value: features[bad.row, bad.column])
        }
        try logme.accumulate(
            features: features, targets: y, classIndices: labels, rowOffset: rows.lowerBound,
            checkFinite: false)
        accumulateMoments(features)
        if let labels {
            for (c, _) in classes.enumerated() { targetGram[c, c] = logme.targetSquares[c] }
            if classGramsUpper != nil { accumulateClassGrams(features, labels: labels) }
        } else {
            accumulateTargetGram(y)
        }
    }

    /// Records that rows of `origin` were accumulated (by the caller that read them).
    public mutating func recordOrigin(_ origin: ShardOrigin) { origins.append(origin) }

    private mutating func accumulateMoments(_ features: Matrix) {
        let n = features.rows, d = features.columns
        var fourth = 0.0
        features.storage.withUnsafeBufferPointer { f in
            normWeightedSums.withUnsafeMutableBufferPointer { w in
                for r in 0..<n {
                    let base = r * d
                    var a = 0.0
                    for j in 0..<d { a += f[base + j] * f[base + j] }
                    fourth += a * a
                    for j in 0..<d { w[j] += a * f[base + j] }
                }
            }
        }
        normFourthSum += fourth
    }

    private mutating func accumulateTargetGram(_ y: Matrix) {
        let k = y.columns
        y.storage.withUnsafeBufferPointer { v in
            targetGram.storage.withUnsafeMutableBufferPointer { g in
                for r in 0..<y.rows { for a in 0..<k { for b in 0..<k { g[a * k + b] += v[r * k + a] * v[r * k + b] } } }
            }
        }
    }

    private mutating func accumulateClassGrams(_ features: Matrix, labels: [Int]) {
        let groups = classIndices(labels, classCount: classes.count)
        for (c, members) in groups.enumerated() where !members.isEmpty {
            features.rows(at: members).accumulateGram(into: &classGramsUpper![c])
        }
    }

    /// Adds the statistics of a disjoint set of samples of the same model and target.
    ///
    /// - Throws: `StatisticsError.incompatible` when the model, task, classes, target
    ///   columns, feature dimension or per-class Gram option differ, or when both
    ///   hold rows of the same feature file that overlap (the same shard twice).
    public mutating func merge(_ other: FeatureStatistics) throws {
        func refuse(_ reason: String) -> StatisticsError { .incompatible(reason: reason) }
        guard other.modelName == modelName else { throw refuse("model '\(other.modelName)' vs '\(modelName)'") }
        guard other.task == task else { throw refuse("task \(other.task.rawValue) vs \(task.rawValue)") }
        guard other.featureDimension == featureDimension else {
            throw refuse("feature dimension \(other.featureDimension) vs \(featureDimension)")
        }
        guard other.classes == classes else {
            throw refuse("class ids \(Self.list(other.classes)) vs \(Self.list(classes)); compute every shard's statistics with the same labels file")
        }
        guard other.columnNames == columnNames else { throw refuse("target columns \(other.columnNames.count) vs \(columnNames.count)") }
        guard other.hasClassGrams == hasClassGrams else {
            throw refuse("one shard has per-class Gram matrices and the other not; compute every shard with the same --class-grams setting")
        }
        for a in origins {
            for b in other.origins where a.isSameFile(as: b) && a.rows.overlaps(b.rows) {
                throw refuse(
                    "both hold rows \(Swift.max(a.start, b.start))..<\(Swift.min(a.end, b.end)) of \(a.file) (the same shard twice, or overlapping --rows)"
                )
            }
        }
        try logme.merge(other.logme)
        for i in targetGram.storage.indices { targetGram.storage[i] += other.targetGram.storage[i] }
        normFourthSum += other.normFourthSum
        for j in normWeightedSums.indices { normWeightedSums[j] += other.normWeightedSums[j] }
        if var grams = classGramsUpper, let others = other.classGramsUpper {
            for c in grams.indices { for i in grams[c].storage.indices { grams[c].storage[i] += others[c].storage[i] } }
            classGramsUpper = grams
        }
        origins += other.origins
    }

    /// Rows of each feature file the merged shards do not cover (a shard left out,
    /// `--rows` ranges with a hole), in file order: file name, its row count, the gaps.
    /// Empty when every file is covered whole or no origin is recorded.
    public func uncoveredRows() -> [(file: String, fileRows: Int, gaps: [Range<Int>])] {
        var byFile = [String: (fileRows: Int, rows: [Range<Int>])]()
        var order = [String]()
        for origin in origins {
            if byFile[origin.file] == nil { order.append(origin.file) }
            byFile[origin.file, default: (origin.fileRows, [])].rows.append(origin.rows)
        }
        var out = [(file: String, fileRows: Int, gaps: [Range<Int>])]()
        for file in order {
            let (fileRows, rows) = byFile[file]!
            var gaps = [Range<Int>]()
            var next = 0
            for r in rows.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if r.lowerBound > next { gaps.append(next..<r.lowerBound) }
                next = Swift.max(next, r.upperBound)
            }
            if next < fileRows { gaps.append(next..<fileRows) }
            if !gaps.isEmpty { out.append((file, fileRows, gaps)) }
        }
        return out
    }

    /// Merges named shards in order; an error names the two shards that disagree.
    public static func merged(_ shards: [(name: String, statistics: FeatureStatistics)]) throws -> FeatureStatistics {
        guard var total = shards.first?.statistics else { throw StatisticsError.noShards }
        for (i, shard) in shards.enumerated().dropFirst() {
            do { try total.merge(shard.statistics) } catch let StatisticsError.incompatible(reason) {
                // Name the earlier shard the conflict is with (the first one otherwise).
                let other = shards[..<i].last { !Self.mergeable($0.statistics, shard.statistics) }?.name ?? shards[0].name
                throw StatisticsError.incompatibleShards(first: other, second: shard.name, reason: reason)
            }
        }
        return total
    }

    private static func mergeable(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Bool {
        var copy = a
        do { try copy.merge(b); return true } catch { return false }
    }

    private static func list(_ ids: [Int]) -> String {
        ids.count <= 10
            ? "[\(ids.map(String.init).joined(separator: ", "))]" : "[\(ids.prefix(10).map(String.init).joined(separator: ", ")), ...] (\(ids.count))"
    }

    // MARK: - Derived moments

    /// Column means μ (D).
    public var mean: [Double] {
        let n = Double(Swift.max(sampleCount, 1))
        return logme.featureSums.map { $0 / n }
    }

    /// FᵀF as a full symmetric matrix.
    public var gram: Matrix {
        var g = logme.gramUpper
        g.symmetrizeFromUpper()
        return g
    }

    /// The biased covariance FᵀF/N − μμᵀ (D x D, full).
    public var covariance: Matrix {
        var cov = gram
        let n = Double(Swift.max(sampleCount, 1)), m = mean, d = featureDimension
        for i in 0..<d { for j in 0..<d { cov.storage[i * d + j] = cov.storage[i * d + j] / n - m[i] * m[j] } }
        return cov
    }

    /// Samples per class (classification).
    public var classCounts: [Int] { logme.targetSquares.map { Int($0.rounded()) } }

    /// Per-class feature sums (C x D, classification): YᵀF for one-hot targets.
    public var classSums: Matrix { logme.targetFeatureProducts }

    /// Per-class means (C x D), zero rows for empty classes.
    public var classMeans: Matrix {
        var means = classSums
        let d = featureDimension
        for (c, count) in classCounts.enumerated() where count > 0 {
            for j in 0..<d { means.storage[c * d + j] /= Double(count) }
        }
        return means
    }

    /// Σ_i ‖f_i − μ‖⁴, from Σ‖f‖⁴, Σ‖f‖²f, FᵀF and Σf without the samples:
    /// with a = ‖f‖², b = f·μ, m = ‖μ‖²,
    /// Σ(a − 2b + m)² = Σa² + 4 μᵀFᵀFμ − 4 μ·Σaf + 2m tr(FᵀF) − 3N m²  (Σb = N m).
    public var centredFourthMomentSum: Double {
        let mu = mean, d = featureDimension, n = Double(sampleCount)
        let g = logme.gramUpper
        var quadratic = 0.0, trace = 0.0
        for i in 0..<d {
            trace += g[i, i]
            quadratic += g[i, i] * mu[i] * mu[i]
            for j in (i + 1)..<Swift.max(i + 1, d) { quadratic += 2 * g[i, j] * mu[i] * mu[j] }
        }
        let m = dot(mu, mu)
        return normFourthSum + 4 * quadratic - 4 * dot(mu, normWeightedSums) + 2 * m * trace - 3 * n * m * m
    }

    /// Σ_{i in c} (f_i − μ)(f_i − μ)ᵀ for class c around the global mean (full D x D).
    public func classScatterAroundGlobalMean(_ c: Int) throws -> Matrix {
        guard let grams = classGramsUpper else { throw StatisticsError.missingClassGrams(metric: "per-class scatter") }
        var s = grams[c]
        s.symmetrizeFromUpper()
        let mu = mean, d = featureDimension, nc = Double(classCounts[c])
        let sums = classSums
        for i in 0..<d {
            for j in 0..<d {
                s.storage[i * d + j] += -sums[c, i] * mu[j] - mu[i] * sums[c, j] + nc * mu[i] * mu[j]
            }
        }
        return s
    }

    /// cov_c = F_cᵀF_c/n_c − μ_cμ_cᵀ (full D x D).
    public func classCovariance(_ c: Int) throws -> Matrix {
        guard let grams = classGramsUpper else { throw StatisticsError.missingClassGrams(metric: "per-class covariance") }
        var s = grams[c]
        s.symmetrizeFromUpper()
        let d = featureDimension, nc = Double(Swift.max(classCounts[c], 1))
        let means = classMeans
        for i in 0..<d { for j in 0..<d { s.storage[i * d + j] = s.storage[i * d + j] / nc - means[c, i] * means[c, j] } }
        return s
    }
}

/// Problems with sufficient statistics: their content, their merging, or a metric
/// that cannot be computed from them.
public enum StatisticsError: Error, CustomStringConvertible, Equatable, Sendable {
    case noShards
    case incompatible(reason: String)
    case incompatibleShards(first: String, second: String, reason: String)
    case malformed(what: String, found: String, expected: String)
    case missingClassGrams(metric: String)
    case unsupportedMetric(name: String, reason: String)

    public var description: String {
        switch self {
        case .noShards: return "no statistics shards given"
        case let .incompatible(reason): return "statistics cannot be merged: \(reason)"
        case let .incompatibleShards(first, second, reason):
            return "statistics \(second) cannot be merged with \(first): \(reason)"
        case let .malformed(what, found, expected): return "statistics: \(what) is \(found), expected \(expected)"
        case let .missingClassGrams(metric):
            return "\(metric) needs per-class Gram matrices: compute the statistics with `hubminer stats --class-grams`"
        case let .unsupportedMetric(name, reason):
            return "\(name) cannot be computed from sufficient statistics: \(reason)"
        }
    }
}
