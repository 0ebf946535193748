/// The weighted rank correlation of Vigna (2015), computed the way scipy's
/// `_weightedrankedtau` does with `additive=True`, on validated finite input.
///
/// Reference: S. Vigna, "A weighted correlation index for rankings with ties",
/// Proceedings of WWW 2015, pp. 1166-1176; the O(n log n) exchange counting
/// follows Knight's merge-sort method for Kendall's tau (JASA 61, 1966).
enum WeightedTau {

    /// scipy's default weigher: rank `r` (0 = most important) weighs `1/(r+1)`.
    static func hyperbolic(_ rank: Int) -> Double {
        1 / Double(rank + 1)
    }

    /// scipy's `rank=True`: the mean of the statistic ranked by (x, y) and by
    /// (y, x). `nil` when either side is constant (scipy returns NaN).
    static func averagedHyperbolic(_ x: [Double], _ y: [Double]) -> Double? {
        guard let byX = ranked(primary: x, secondary: y, weigher: hyperbolic),
            let byY = ranked(primary: y, secondary: x, weigher: hyperbolic)
        else { return nil }
        return (byX + byY) / 2
    }

    /// The statistic for the ranking given by decreasing lexicographic order
    /// on (`primary`, `secondary`, index), with additive pair weights
    /// `weigher(r_i) + weigher(r_j)`.
    ///
    /// Pairs fall into: concordant (C), discordant (D), tied in `primary` only,
    /// tied in `secondary` only, tied in both. With `tot` the weight of all
    /// pairs, `u` of pairs tied in `primary`, `v` of pairs tied in `secondary`
    /// and `t` of joint ties, C = tot − (u + v − t) − D, and the result is
    /// (C − D) / sqrt((tot − u)(tot − v)), clipped to [−1, 1].
    ///
    /// - Returns: `nil` when `primary` or `secondary` is constant, where the
    ///   denominator is zero.
    static func ranked(
        primary x: [Double], secondary y: [Double],
        weigher: (Int) -> Double
    ) -> Double? {
        let n = x.count
        precondition(n == y.count && n >= 2, "validated by the public entry points")
        // A constant side makes one factor of the denominator zero.
        guard x.contains(where: { $0 != x[0] }), y.contains(where: { $0 != y[0] }) else {
            return nil
        }

        // Ascending by (x, y, index): scipy's `np.lexsort((y, x))`, which is
        // stable. The most important item (rank 0) is the last one.
        var perm = Array(0..<n)
        perm.sort { a, b in
            if x[a] != x[b] { return x[a] < x[b] }
            if y[a] != y[b] { return y[a] < y[b] }
            return a < b
        }
        var weight = [Double](repeating: 0, count: n)
        for (position, item) in perm.enumerated() {
            weight[item] = weigher(n - 1 - position)
        }

        // Within a run of k equal items whose weights sum to s, each item is
        // in k − 1 pairs of the run, so the run's pairs weigh s · (k − 1).
        func tiedPairWeight(_ sameRun: (Int, Int) -> Bool) -> Double {
            var total = 0.0
            var runStart = 0
            var runWeight = 0.0
            for position in 0..<n {
                if position > runStart && !sameRun(perm[runStart], perm[position]) {
                    total += runWeight * Double(position - runStart - 1)
                    runStart = position
                    runWeight = 0
                }
                runWeight += weight[perm[position]]
            }
            return total + runWeight * Double(n - runStart - 1)
        }

        let jointTies = tiedPairWeight { x[$0] == x[$1] && y[$0] == y[$1] }
        let primaryTies = tiedPairWeight { x[$0] == x[$1] }
        let allPairs = weight.reduce(0, +) * Double(n - 1)

        // Sorting `perm` by y with a stable merge sort visits every discordant
        // pair exactly once: an item taken from the right half jumps over the
        // items still left in the left half, each of which has a strictly
        // larger y and (by the initial order) a smaller or equal x. Ties in x
        // are already sorted by y, so they never jump.
        var discordant = 0.0
        var buffer = [Int](repeating: 0, count: n)
        func mergeSort(_ range: Range<Int>) {
            guard range.count > 1 else { return }
            let middle = range.lowerBound + range.count / 2
            mergeSort(range.lowerBound..<middle)
            mergeSort(middle..<range.upperBound)
            if y[perm[middle - 1]] <= y[perm[middle]] { return }

            var leftWeight = 0.0
            for position in range.lowerBound..<middle { leftWeight += weight[perm[position]] }
            var left = range.lowerBound, right = middle, out = range.lowerBound
            while left < middle && right < range.upperBound {
                if y[perm[left]] <= y[perm[right]] {
                    leftWeight -= weight[perm[left]]
                    buffer[out] = perm[left]
                    left += 1
                } else {
                    let jumped = Double(middle - left)
                    discordant += weight[perm[right]] * jumped + leftWeight
                    buffer[out] = perm[right]
                    right += 1
                }
                out += 1
            }
            while left < middle { buffer[out] = perm[left]; left += 1; out += 1 }
            while right < range.upperBound { buffer[out] = perm[right]; right += 1; out += 1 }
            for position in range { perm[position] = buffer[position] }
        }
        mergeSort(0..<n)

        // `perm` is now sorted by y, so runs of equal y are contiguous.
        let secondaryTies = tiedPairWeight { y[$0] == y[$1] }

        let numerator = allPairs - (primaryTies + secondaryTies - jointTies) - 2 * discordant
        // scipy divides by the two square roots in turn; one root of the
        // product differs by an ulp at most and makes equal orderings give
        // exactly ±1, because sqrt(fl(a·a)) == a.
        let tau = numerator / ((allPairs - primaryTies) * (allPairs - secondaryTies)).squareRoot()
        return min(1, max(-1, tau))
    }
}
