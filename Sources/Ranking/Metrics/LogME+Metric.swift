/// LogME as one metric of the suite. `RankJob` calls `fit` directly when it also
/// wants LogME's per-column diagnostics; this conformance serves generic callers.
extension LogME: TransferabilityMetric {
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { TaskKind.allCases }
    /// Exact schedule: the log-determinant runs over all D eigenvalues, so a null direction adds log alpha - log alpha; the evidence maximised over alpha is unchanged when F is scaled (alpha absorbs the scale). `--compat paper` (not the registered default) is neither: its fixed start and 1e-5 terms are not scale free.
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections, .featureScale] }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let fit = try self.fit(features: input.requireFeatures(for: name), targets: input.targets)
        let converged = fit.columns.filter { $0.status == .converged }.count
        return MetricResult(
            score: fit.score,
            details: [
                "columns": Double(fit.columns.count), "converged_columns": Double(converged),
                "rank": Double(fit.rank),
            ],
            warnings: fit.warnings)
    }
}
