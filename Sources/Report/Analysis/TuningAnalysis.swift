import RunSchema

/// One tuning method's seeds summarised: final accuracies over seeds and the
/// training curves averaged over seeds.
public struct TuningAnalysis: Sendable {
    public var method: String
    public var seeds: Int
    /// Seeds with a result.json (finished runs).
    public var finished: [Int]
    public var bestTop1: SeedStatistics?
    public var lastTop1: SeedStatistics?
    public var bestTop5: SeedStatistics?
    public var bestEpoch: SeedStatistics?
    /// Test top-1 of each seed's chosen epoch (evaluated once, after selection on
    /// validation); nil unless every finished seed has one.
    public var testTop1: SeedStatistics?
    public var seconds: SeedStatistics?
    /// Loss term name -> mean/min/max over seeds per iteration ("total" first).
    public var lossCurves: [(term: String, samples: [LineChart.Sample])]
    /// Whether `lossCurves` run over iterations (step events) or epochs (the
    /// epoch events' train loss, when a log holds no step events).
    public var lossByIteration: Bool
    public var valTop1: [LineChart.Sample]
    public var trainTop1: [LineChart.Sample]
    /// Loss-term weights from result.json ("kd" -> 0.9), where one says.
    public var termWeights: [String: Double]
    public var incompleteLogs: Int

    public init(_ runs: TuningMethodRuns) {
        method = runs.method
        seeds = runs.seeds.count
        let results = runs.seeds.compactMap(\.result)
        finished = runs.seeds.filter { $0.result != nil }.map(\.seed)
        bestTop1 = SeedStatistics(results.map(\.best.top1))
        lastTop1 = SeedStatistics(results.map(\.last.top1))
        let top5 = results.compactMap(\.best.top5)
        bestTop5 = top5.count == results.count ? SeedStatistics(top5) : nil
        bestEpoch = SeedStatistics(results.map { Double($0.best.epoch) })
        let tests = results.compactMap { $0.test?.top1 }
        testTop1 = tests.count == results.count ? SeedStatistics(tests) : nil
        let seconds = results.compactMap(\.seconds)
        self.seconds = seconds.count == results.count ? SeedStatistics(seconds) : nil
        termWeights = [:]
        for term in results.first?.terms ?? [] { termWeights[term.name] = term.weight }

        let logs = runs.seeds.compactMap(\.log)
        incompleteLogs = logs.filter(\.incompleteLastLine).count
        let lossByIteration = logs.contains { !$0.steps.isEmpty }
        self.lossByIteration = lossByIteration
        let lossPoints: [[(x: Double, loss: [String: Double])]] = logs.map { log in
            lossByIteration
                ? log.steps.map { (Double($0.iteration), $0.loss) }
                : log.epochs.map { (Double($0.epoch), $0.train?.loss ?? [:]) }
        }
        let terms = Set(lossPoints.flatMap { $0.flatMap(\.loss.keys) })
        // "total" first, then the terms by name; with a single term the total is
        // that term (times its weight) and would only hide it.
        let parts = terms.subtracting(["total"]).sorted()
        let ordered = (terms.contains("total") && parts.count != 1 ? ["total"] : []) + parts
        lossCurves = ordered.map { term in
            (term, CurveAggregation.aggregate(lossPoints.map { seed in seed.compactMap { p in p.loss[term].map { (p.x, $0) } } }))
        }
        valTop1 = CurveAggregation.aggregate(logs.map { $0.epochs.map { (Double($0.epoch), $0.metrics.top1) } })
        trainTop1 = CurveAggregation.aggregate(logs.map { $0.epochs.compactMap { e in e.train?.top1.map { (Double(e.epoch), $0) } } })
    }

    /// Methods in display order: the fine-tuning baseline first, the rest by name.
    public static func ordered(_ runs: [TuningMethodRuns], baseline: String) -> [TuningAnalysis] {
        runs.sorted { a, b in
            if (a.method == baseline) != (b.method == baseline) { return a.method == baseline }
            return a.method < b.method
        }.map(TuningAnalysis.init)
    }
}
