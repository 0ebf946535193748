/// Mean, spread and range of one quantity over seeds.
public struct SeedStatistics: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    /// The sample standard deviation (divides by n - 1, as `numpy.std(ddof=1)`):
    /// seeds are a sample of the runs one could have made. 0 for one seed.
    public var standardDeviation: Double
    public var minimum: Double
    public var maximum: Double

    /// nil for no values. Non-finite values are not left out: one diverged seed
    /// makes the mean non-finite, which the report shows as "n/a".
    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        // Two passes: the mean, then squared deviations from it (the one-pass
        // formula loses digits when the spread is small next to the mean).
        let mean = values.reduce(0, +) / Double(values.count)
        self.mean = mean
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        standardDeviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
        minimum = values.min()!
        maximum = values.max()!
    }
}

/// One curve averaged over seeds: at each x any seed logged, the mean and the
/// min-max range of the seeds that logged it.
public enum CurveAggregation {
    public static func aggregate(_ curves: [[(x: Double, y: Double)]]) -> [LineChart.Sample] {
        var byX = [Double: [Double]]()
        for curve in curves {
            // A seed that logged the same x twice (a resumed run) counts once, last value.
            var latest = [Double: Double]()
            for point in curve { latest[point.x] = point.y }
            for (x, y) in latest { byX[x, default: []].append(y) }
        }
        return byX.keys.sorted().map { x in
            let stats = SeedStatistics(byX[x]!)!
            return LineChart.Sample(x: x, y: stats.mean, low: stats.minimum, high: stats.maximum)
        }
    }
}
