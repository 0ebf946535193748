import Linalg

/// One flat float64 buffer per model's statistics, so processes holding disjoint
/// rows can add their statistics with a single all-reduce (a sum of buffers is the
/// buffer of the merged statistics). Symmetric matrices travel as their upper
/// triangles only: D(D+1)/2 numbers instead of D².
///
/// Layout: N, FᵀF (upper, row by row), YᵀF (K x D), Σy² (K), Σf (D), YᵀY (K x K),
/// Σ‖f‖⁴, Σ‖f‖²f (D), then per class F_cᵀF_c (upper) when present.
extension FeatureStatistics {
    /// Values in the flat buffer of statistics with these shapes.
    public static func flatLength(featureDimension d: Int, targetCount k: Int, classGramCount c: Int) -> Int {
        let triangle = d * (d + 1) / 2
        return 1 + triangle + k * d + k + d + k * k + 1 + d + c * triangle
    }

    /// This statistics' buffer length.
    public var flatLength: Int {
        Self.flatLength(featureDimension: featureDimension, targetCount: targetCount, classGramCount: classGramsUpper?.count ?? 0)
    }

    /// The statistics as one flat buffer (layout above).
    public func flattened() -> [Double] {
        var out = [Double]()
        out.reserveCapacity(flatLength)
        out.append(Double(sampleCount))
        Self.appendUpper(logme.gramUpper, to: &out)
        out += logme.targetFeatureProducts.storage
        out += logme.targetSquares
        out += logme.featureSums
        out += targetGram.storage
        out.append(normFourthSum)
        out += normWeightedSums
        for gram in classGramsUpper ?? [] { Self.appendUpper(gram, to: &out) }
        return out
    }

    /// Statistics with this one's model, task, classes, columns and shapes, and the
    /// values of `buffer` (typically the sum of every process's `flattened()`),
    /// recording `origins` as the rows they cover.
    ///
    /// - Throws: `StatisticsError.malformed` when the buffer's length does not fit
    ///   the shapes, or its sample count is not a whole non-negative number.
    public func replacingValues(with buffer: [Double], origins: [ShardOrigin]) throws -> FeatureStatistics {
        let d = featureDimension, k = targetCount
        guard buffer.count == flatLength else {
            throw StatisticsError.malformed(
                what: "flat statistics of \(modelName)", found: "\(buffer.count) values",
                expected: "\(flatLength) for D = \(d), K = \(k)")
        }
        let n = buffer[0]
        guard n >= 0, n == n.rounded(), n < 0x1p53 else {
            throw StatisticsError.malformed(what: "sample count of \(modelName)", found: "\(n)", expected: "a whole number >= 0")
        }
        var position = 1
        func take(_ count: Int) -> [Double] {
            defer { position += count }
            return Array(buffer[position..<position + count])
        }
        func takeUpper() -> Matrix {
            var m = Matrix(rows: d, columns: d)
            for i in 0..<d { for j in i..<d { m.storage[i * d + j] = buffer[position]; position += 1 } }
            return m
        }
        let gram = takeUpper()
        let products = Matrix(rows: k, columns: d, storage: take(k * d))
        let squares = take(k)
        let sums = take(d)
        let targetGram = Matrix(rows: k, columns: k, storage: take(k * k))
        let fourth = take(1)[0]
        let weighted = take(d)
        let classGrams = classGramsUpper.map { $0.map { _ in takeUpper() } }
        let logme = try LogMEStatistics(
            sampleCount: Int(n), gramUpper: gram, targetFeatureProducts: products,
            targetSquares: squares, featureSums: sums)
        return try FeatureStatistics(
            modelName: modelName, task: task, classes: classes, columnNames: columnNames, logme: logme,
            targetGram: targetGram, normFourthSum: fourth, normWeightedSums: weighted,
            classGramsUpper: classGrams, origins: origins)
    }

    private static func appendUpper(_ m: Matrix, to out: inout [Double]) {
        let d = m.columns
        m.storage.withUnsafeBufferPointer { s in
            for i in 0..<m.rows { out.append(contentsOf: s[(i * d + i)..<(i * d + d)]) }
        }
    }
}
