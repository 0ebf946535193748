/// Multi-teacher knowledge distillation: softened KL (T²-scaled) from several
/// teachers in the target's output space, weighted uniformly, by LogME (B-Tuning's
/// softmax), by prediction entropy (EBKD) or by confidence on the true label
/// (CA-MKD). See docs/tuning/multikd.md.
package enum MultiKDMethod: TuningMethod {
    package static let name = "multikd"
    package static let summary = "multi-teacher KD: weighted softened KL from >= 2 teachers (uniform, logme, entropy/EBKD, confidence/CA-MKD)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        [try MultiKDBuilder.build(context)]
    }
}
