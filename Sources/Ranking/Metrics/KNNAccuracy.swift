import Foundation
import Linalg

/// Leave-one-out k-nearest-neighbour accuracy of the features: each sample is
/// classified by a majority vote of its k nearest other samples, and the score is
/// the fraction classified correctly (in [0, 1]; higher is better). A simple,
/// assumption-light baseline used in the PARC paper's comparisons.
///
/// Distances come from one Gram matrix product per block of rows (`dgemm`), never
/// from O(N²·D) Swift loops:
/// - euclidean: ‖xᵢ‖² + ‖xⱼ‖² - 2 xᵢ·xⱼ (floored at 0);
/// - cosine: 1 - xᵢ·xⱼ / (‖xᵢ‖ ‖xⱼ‖); a zero row has similarity 0 to everything.
///
/// Ties are broken deterministically: among equally distant neighbours the lower
/// sample index is nearer; among classes with the same number of votes the class of
/// the nearest voting neighbour wins.
///
/// Cost: N²·D for the products, N² for the selection; memory one block of rows
/// (`blockRows` x N) at a time.
///
/// Deviations from the PARC repository's kNN baseline (docs/metrics/knn.md): its
/// default k is 1 and it reports a percentage; its vote for k > 1 drops the
/// query by position after sorting (wrong when a sample has an exact duplicate) and
/// breaks vote ties towards the smallest label. Here the query is excluded by index,
/// ties are broken as above, and the score is a fraction.
public struct KNNAccuracy: TransferabilityMetric {
    public enum Distance: String, Sendable, Codable, CaseIterable {
        case euclidean, cosine
    }

    public static let name = "knn"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Distances (Euclidean or cosine) are unchanged by zero columns and keep their order under a scale.
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections, .featureScale] }

    /// Neighbours per vote. 5 rather than the reference's 1: a single neighbour makes
    /// the score a noisy function of near-duplicates.
    public var k: Int
    public var distance: Distance
    /// Rows of the distance matrix held at once (further capped so a block stays
    /// under ~128 MB for large N).
    public var blockRows: Int

    public init(k: Int = 5, distance: Distance = .euclidean, blockRows: Int = 1024) {
        self.k = k
        self.distance = distance
        self.blockRows = blockRows
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (labels, classCount) = try input.requireClasses(for: name)
        let features = try input.requireFeatures(for: name)
        let n = labels.count
        guard k >= 1 else { throw MetricError.invalidParameter(metric: name, name: "k", value: "\(k)", expected: ">= 1") }
        guard blockRows >= 1 else { throw MetricError.invalidParameter(metric: name, name: "blockRows", value: "\(blockRows)", expected: ">= 1") }
        guard features.rows == n else {
            throw MetricError.shapeMismatch(metric: name, what: "features", expected: "\(n) rows", found: "\(features.rows) x \(features.columns)")
        }
        guard n >= 2 else { throw MetricError.degenerate(metric: name, reason: "leave-one-out needs at least 2 samples") }
        if let bad = features.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(bad.row), \(bad.column)) is not finite")
        }
        var warnings = [String]()
        let neighbours = min(k, n - 1)
        if neighbours < k { warnings.append("k = \(k) but only \(n - 1) other samples; using k = \(neighbours)") }
        let predictions = try Self.predict(
            features: features, labels: labels, classCount: classCount,
            k: neighbours, distance: distance, blockRows: blockRows)
        if distance == .cosine {
            let d = features.columns
            let zeroRows = (0..<n).filter { r in (0..<d).allSatisfy { features[r, $0] == 0 } }.count
            if zeroRows > 0 {
                warnings.append("\(zeroRows) all-zero feature row\(zeroRows == 1 ? "" : "s") (no cosine direction): similarity 0 to every sample")
            }
        }
        let correct = zip(predictions, labels).filter { $0 == $1 }.count
        return MetricResult(
            score: Double(correct) / Double(n),
            details: ["k": Double(neighbours), "correct": Double(correct)],
            warnings: warnings)
    }

    /// Leave-one-out predictions (class indices).
    static func predict(features: Matrix, labels: [Int], classCount: Int, k: Int, distance: Distance, blockRows: Int) throws -> [Int] {
        let n = features.rows, d = features.columns
        var norms = [Double](repeating: 0, count: n)
        features.storage.withUnsafeBufferPointer { f in
            for i in 0..<n { var s = 0.0; for j in 0..<d { s += f[i * d + j] * f[i * d + j] }; norms[i] = s }
        }
        let inverseLengths = norms.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        var predictions = [Int](repeating: 0, count: n)
        // At most ~128 MB of products at once, whatever blockRows says.
        let rowsPerBlock = max(1, min(blockRows, 16_777_216 / max(n, 1)))
        var start = 0
        // Per-query scratch: the current k best (distance, index), sorted ascending.
        var bestDistance = [Double](repeating: 0, count: k)
        var bestIndex = [Int](repeating: 0, count: k)
        var votes = [Int](repeating: 0, count: classCount)
        while start < n {
            let end = min(n, start + rowsPerBlock)
            let products = try features.rows(start..<end).multiplied(by: features, transposingOther: true)
            products.storage.withUnsafeBufferPointer { g in
                for i in start..<end {
                    let base = (i - start) * n
                    var count = 0
                    for j in 0..<n where j != i {
                        let dist: Double
                        switch distance {
                        case .euclidean: dist = max(0, norms[i] + norms[j] - 2 * g[base + j])
                        case .cosine: dist = 1 - g[base + j] * inverseLengths[i] * inverseLengths[j]
                        }
                        // Insert into the sorted list when strictly better than the
                        // worst kept (j increases, so equal distances keep the lower index).
                        if count < k {
                            var p = count
                            while p > 0, bestDistance[p - 1] > dist { bestDistance[p] = bestDistance[p - 1]; bestIndex[p] = bestIndex[p - 1]; p -= 1 }
                            bestDistance[p] = dist; bestIndex[p] = j
                            count += 1
                        } else if dist < bestDistance[k - 1] {
                            var p = k - 1
                            while p > 0, bestDistance[p - 1] > dist { bestDistance[p] = bestDistance[p - 1]; bestIndex[p] = bestIndex[p - 1]; p -= 1 }
                            bestDistance[p] = dist; bestIndex[p] = j
                        }
                    }
                    for c in 0..<classCount { votes[c] = 0 }
                    var top = 0
                    for p in 0..<count { votes[labels[bestIndex[p]]] += 1; top = max(top, votes[labels[bestIndex[p]]]) }
                    // The nearest neighbour whose class has the top vote count.
                    var winner = labels[bestIndex[0]]
                    for p in 0..<count where votes[labels[bestIndex[p]]] == top { winner = labels[bestIndex[p]]; break }
                    predictions[i] = winner
                }
            }
            start = end
        }
        return predictions
    }
}
