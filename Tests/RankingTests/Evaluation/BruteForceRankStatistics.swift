import Foundation
import Numerics
import Testing

/// Textbook O(n²) definitions of the statistics, written independently of the
/// production code so the two can check each other. Nothing here is clever:
/// every pair is visited and classified directly from the definition.
enum BruteForceRankStatistics {

    /// Weighted tau as scipy defines it with its defaults: for each of the two
    /// rankings (decreasing lexicographic by (x, y) and by (y, x); items equal
    /// in both keys ordered by decreasing index, as reversing scipy's stable
    /// ascending sort does), every pair {i, j} weighs
    /// `weigher(r_i) + weigher(r_j)`, contributes its weight times
    /// sgn(Δx)·sgn(Δy) to the numerator, and its weight to the x-part of the
    /// denominator unless tied in x, and to the y-part unless tied in y. The
    /// result is the mean of the two rankings' values.
    static func weightedTau(
        _ x: [Double], _ y: [Double],
        weigher: (Int) -> Double = { 1 / Double($0 + 1) }
    ) -> Double? {
        guard let byX = weightedTau(x, y, rankedBy: x, then: y, weigher: weigher),
            let byY = weightedTau(x, y, rankedBy: y, then: x, weigher: weigher)
        else { return nil }
        return (byX + byY) / 2
    }

    /// Weighted tau for one ranking, given by the two sort keys.
    static func weightedTau(
        _ x: [Double], _ y: [Double],
        rankedBy primary: [Double], then secondary: [Double],
        weigher: (Int) -> Double
    ) -> Double? {
        let n = x.count
        let order = (0..<n).sorted {
            (primary[$0], secondary[$0], $0) > (primary[$1], secondary[$1], $1)
        }
        var rank = [Int](repeating: 0, count: n)
        for (position, item) in order.enumerated() { rank[item] = position }

        var numerator = 0.0, untiedInX = 0.0, untiedInY = 0.0
        for i in 0..<n {
            for j in (i + 1)..<n {
                let weight = weigher(rank[i]) + weigher(rank[j])
                let sx = sign(x[i], x[j]), sy = sign(y[i], y[j])
                numerator += weight * Double(sx * sy)
                if sx != 0 { untiedInX += weight }
                if sy != 0 { untiedInY += weight }
            }
        }
        guard untiedInX > 0, untiedInY > 0 else { return nil }
        return min(1, max(-1, numerator / (untiedInX * untiedInY).squareRoot()))
    }

    /// Kendall's tau-b from integer pair counts:
    /// (C − D) / sqrt((n0 − n1)(n0 − n2)).
    static func kendallTauB(_ x: [Double], _ y: [Double]) -> Double? {
        let n = x.count
        var concordant = 0, discordant = 0, tiedX = 0, tiedY = 0
        for i in 0..<n {
            for j in (i + 1)..<n {
                let product = sign(x[i], x[j]) * sign(y[i], y[j])
                if product > 0 { concordant += 1 }
                if product < 0 { discordant += 1 }
                if x[i] == x[j] { tiedX += 1 }
                if y[i] == y[j] { tiedY += 1 }
            }
        }
        let pairs = n * (n - 1) / 2
        guard tiedX < pairs, tiedY < pairs else { return nil }
        let denominator = (Double(pairs - tiedX) * Double(pairs - tiedY)).squareRoot()
        return min(1, max(-1, Double(concordant - discordant) / denominator))
    }

    /// Spearman as the Pearson correlation of average ranks, with the average
    /// rank counted directly: 1 + #smaller + #equal-others / 2.
    static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        pearson(averageRanks(x), averageRanks(y))
    }

    static func averageRanks(_ values: [Double]) -> [Double] {
        values.indices.map { i in
            let smaller = values.filter { $0 < values[i] }.count
            let equalOthers = values.filter { $0 == values[i] }.count - 1
            return 1 + Double(smaller) + Double(equalOthers) / 2
        }
    }

    /// Two-pass textbook Pearson; fine for the well-scaled test data.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return min(1, max(-1, sxy / (sxx * syy).squareRoot()))
    }

    private static func sign(_ a: Double, _ b: Double) -> Int {
        a > b ? 1 : (a < b ? -1 : 0)
    }
}

/// Deterministic random numbers (SplitMix64), so a failing random case can be
/// reproduced from its seed.
struct EvaluationTestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` values from `levels` distinct integers (many ties) or, with
    /// `levels == nil`, continuous values (ties unlikely).
    mutating func sample(count: Int, levels: Int?) -> [Double] {
        (0..<count).map { _ in
            if let levels { return Double(Int.random(in: 0..<levels, using: &self)) }
            return Double.random(in: -1...1, using: &self)
        }
    }
}

/// Loads JSON fixtures copied into the test bundle.
enum EvaluationFixtures {
    static func load<T: Decodable>(_ type: T.Type, named name: String) throws -> T {
        guard
            let url = Bundle.module.url(
                forResource: name, withExtension: "json",
                subdirectory: "Fixtures")
        else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Fixtures/\(name).json"])
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// Shared comparison for optional statistics: both `nil`, or both present and
/// within `tolerance` of each other (absolute; the statistics lie in [−1, 1],
/// so a relative tolerance would only loosen the check near ±1).
enum EvaluationCheck {
    static func close(
        _ actual: Double?, _ expected: Double?, tolerance: Double,
        _ context: @autoclosure () -> String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch (actual, expected) {
        case (nil, nil):
            return
        case let (actual?, expected?):
            #expect(
                actual.isApproximatelyEqual(
                    to: expected, absoluteTolerance: tolerance,
                    relativeTolerance: 0),
                "\(context()): got \(actual), expected \(expected) (tolerance \(tolerance))",
                sourceLocation: sourceLocation)
        default:
            Issue.record(
                "\(context()): got \(String(describing: actual)), expected \(String(describing: expected))",
                sourceLocation: sourceLocation)
        }
    }
}
