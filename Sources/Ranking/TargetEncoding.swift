/// What kind of target the labels describe.
public enum TaskKind: String, Codable, Sendable, CaseIterable {
    /// One integer class id per sample; scored one-vs-rest per class.
    case classification
    /// One or more real-valued outputs per sample.
    case regression
    /// A 0/1 indicator per label per sample.
    case multilabel
}

/// Labels turned into the N x K matrix of target columns the estimators fit.
///
/// Classification ids are re-encoded once: the sorted distinct ids map to
/// `0..<C` and `classes` keeps the originals, so a gap in the ids (a class with no
/// sample) never becomes a silent empty column.
public struct EncodedTargets: Sendable {
    public let task: TaskKind
    /// N x K: one-hot for classification, the outputs for regression, the
    /// indicators for multi-label.
    public let matrix: Matrix
    /// A readable name per column, for diagnostics ("class 3", "output 0", "label 2").
    public let columnNames: [String]
    /// For classification: the original class id of each column.
    public let classes: [Int]
    /// For classification: each sample's column index in `0..<classes.count`.
    public let encodedLabels: [Int]
    /// Documented handling of unusual labels (gaps, dropped columns, constant targets).
    public let warnings: [String]

    public var sampleCount: Int { matrix.rows }
    public var columnCount: Int { matrix.columns }
}

import Linalg

/// Builds `EncodedTargets` from raw label values, checking them for the task.
public enum TargetEncoder {
    /// Encodes labels given as row-major `values` with `shape` (as read from a file).
    ///
    /// - Throws: `RankingError` for non-finite values, non-integer class ids,
    ///   non-binary multi-label entries, a single class, a shape that does not fit.
    public static func encode(values: [Double], shape: [Int], task: TaskKind) throws -> EncodedTargets {
        precondition(shape.reduce(1, *) == values.count, "values do not fill the shape")
        for (i, v) in values.enumerated() where !v.isFinite {
            throw RankingError.nonFiniteLabel(index: i, value: v)
        }
        switch task {
        case .classification: return try encodeClasses(values: values, shape: shape)
        case .regression: return try encodeRegression(values: values, shape: shape)
        case .multilabel: return try encodeMultilabel(values: values, shape: shape)
        }
    }

    /// Encodes integer class ids (one per sample).
    public static func encodeClasses(_ labels: [Int]) throws -> EncodedTargets {
        try encodeClasses(values: labels.map(Double.init), shape: [labels.count])
    }

    static func encodeClasses(values: [Double], shape: [Int]) throws -> EncodedTargets {
        guard shape.count == 1 || (shape.count == 2 && shape[1] == 1) else {
            throw RankingError.labelShape(
                task: .classification, shape: shape,
                expected: "a vector of N integer class ids (for N x K targets use --task regression or --task multilabel)")
        }
        var ids = [Int]()
        ids.reserveCapacity(values.count)
        for (i, v) in values.enumerated() {
            guard v == v.rounded(), abs(v) < 9.0e15 else { throw RankingError.nonIntegerLabel(index: i, value: v) }
            ids.append(Int(v))
        }
        let classes = Array(Set(ids)).sorted()
        if classes.count == 1 { throw RankingError.singleClass(label: classes[0]) }
        guard classes.count >= 1 else { throw RankingError.tooFewSamples(count: 0, minimum: 2) }
        var index = [Int: Int]()
        for (k, c) in classes.enumerated() { index[c] = k }
        let encoded = ids.map { index[$0]! }
        var onehot = Matrix(rows: ids.count, columns: classes.count)
        for (r, k) in encoded.enumerated() { onehot.storage[r * classes.count + k] = 1 }

        var warnings = [String]()
        // Ids that look like an index range 0...max with holes: the holes are classes
        // with no sample. They are not scored (an all-zero one-hot column has no
        // evidence maximum); say so rather than silently shift the meaning of ids.
        // The holes are found between consecutive present ids, never by walking 0...max:
        // one stray id of 1e9 must not cost a billion steps.
        if let lo = classes.first, let hi = classes.last, lo >= 0, hi + 1 > classes.count {
            let missingCount = hi + 1 - classes.count
            var shown = [Int]()
            var previous = -1
            for c in classes where shown.count < 10 {
                var id = previous + 1
                while id < c, shown.count < 10 {
                    shown.append(id)
                    id += 1
                }
                previous = c
            }
            let list = shown.map(String.init).joined(separator: ", ")
            warnings.append(
                "class id\(missingCount == 1 ? "" : "s") \(list)\(missingCount > 10 ? ", ... (\(missingCount) in all)" : "") \(missingCount == 1 ? "has" : "have") no sample; scoring the \(classes.count) classes present"
            )
        }
        var counts = [Int](repeating: 0, count: classes.count)
        for k in encoded { counts[k] += 1 }
        let singletons = zip(classes, counts).filter { $0.1 == 1 }.map { $0.0 }
        if !singletons.isEmpty {
            warnings.append("\(singletons.count) class\(singletons.count == 1 ? "" : "es") with a single sample (e.g. \(singletons[0]))")
        }
        return EncodedTargets(
            task: .classification, matrix: onehot,
            columnNames: classes.map { "class \($0)" }, classes: classes,
            encodedLabels: encoded, warnings: warnings)
    }

    static func encodeRegression(values: [Double], shape: [Int]) throws -> EncodedTargets {
        let (n, k): (Int, Int)
        switch shape.count {
        case 1: (n, k) = (shape[0], 1)
        case 2: (n, k) = (shape[0], shape[1])
        default: throw RankingError.labelShape(task: .regression, shape: shape, expected: "N or N x K real-valued targets")
        }
        guard k >= 1 else { throw RankingError.labelShape(task: .regression, shape: shape, expected: "at least one target column") }
        let y = Matrix(rows: n, columns: k, storage: values)
        var warnings = [String]()
        var keep = [Int]()
        for j in 0..<k {
            let col = y.column(j)
            if col.allSatisfy({ $0 == 0 }) {
                warnings.append("output \(j) is zero for every sample; it carries no information and is left out of the mean")
                continue
            }
            if let first = col.first, col.allSatisfy({ $0 == first }) {
                warnings.append("output \(j) is constant (\(first)); its evidence measures only how well the features reproduce a constant")
            }
            keep.append(j)
        }
        guard !keep.isEmpty else { throw RankingError.noUsableTargets(reason: "every regression output is zero for all samples") }
        let matrix = keep.count == k ? y : y.columns(at: keep)
        return EncodedTargets(
            task: .regression, matrix: matrix, columnNames: keep.map { "output \($0)" },
            classes: [], encodedLabels: [], warnings: warnings)
    }

    static func encodeMultilabel(values: [Double], shape: [Int]) throws -> EncodedTargets {
        guard shape.count == 2, shape[1] >= 1 else {
            throw RankingError.labelShape(task: .multilabel, shape: shape, expected: "N x C indicators (0 or 1)")
        }
        let (n, c) = (shape[0], shape[1])
        for (i, v) in values.enumerated() where v != 0 && v != 1 {
            throw RankingError.nonBinaryLabel(row: i / c, column: i % c, value: v)
        }
        let y = Matrix(rows: n, columns: c, storage: values)
        var warnings = [String]()
        var keep = [Int]()
        var empty = [Int]()
        for j in 0..<c {
            let positives = (0..<n).reduce(0) { $0 + (y[$1, j] == 1 ? 1 : 0) }
            if positives == 0 { empty.append(j); continue }
            if positives == n { warnings.append("label \(j) is positive for every sample") }
            keep.append(j)
        }
        if !empty.isEmpty {
            let shown = empty.prefix(10).map(String.init).joined(separator: ", ")
            warnings.append("label\(empty.count == 1 ? "" : "s") \(shown)\(empty.count > 10 ? ", ..." : "") never positive; left out of the mean")
        }
        guard !keep.isEmpty else { throw RankingError.noUsableTargets(reason: "no label is positive for any sample") }
        let matrix = keep.count == c ? y : y.columns(at: keep)
        return EncodedTargets(
            task: .multilabel, matrix: matrix, columnNames: keep.map { "label \($0)" },
            classes: [], encodedLabels: [], warnings: warnings)
    }
}
