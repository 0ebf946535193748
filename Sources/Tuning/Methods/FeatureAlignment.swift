/// The feature-alignment ablation of B-Tuning (the "FeatureAlignment" baseline of
/// the B-Tuning paper's code base, tllib): the student's LogME posterior-predictive
/// output is pulled towards the teachers' outputs averaged with equal weights,
/// without B-Tuning's evidence weighting. Loss: CE + lambda · MSE(f_s m_sᵀ,
/// (1/K) Σ_k f_k m_kᵀ), the same teachers (top K by LogME, or named), projections
/// and options as B-Tuning except the temperature. Run beside `btuning`, it shows
/// whether the LogME weights are what helps. See docs/tuning/feature-alignment.md.
package enum FeatureAlignmentMethod: TuningMethod {
    package static let name = "feature-alignment"
    package static let summary =
        "B-Tuning's ablation: match the student's LogME projection to the top-K hub models' projections averaged uniformly (no LogME weighting)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        [try BTuningBuilder.build(context, variant: .featureAlignment)]
    }
}
