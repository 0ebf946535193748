/// B-Tuning (You et al., JMLR 2022, "Ranking and Tuning Pre-trained Models"): the
/// student's LogME posterior-predictive output is pulled towards the LogME-weighted
/// outputs of the hub's best-ranked models, which may have any architecture and
/// feature dimension. Loss: CE + lambda · MSE(f_s m_sᵀ, Σ_k pi_k f_k m_kᵀ), pi =
/// softmax(LogME / t). See docs/tuning/btuning.md.
package enum BTuningMethod: TuningMethod {
    package static let name = "btuning"
    package static let summary =
        "B-Tuning: match the student's LogME projection to the LogME-weighted projections of the top-K hub models (any architecture)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        [try BTuningBuilder.build(context)]
    }
}
