/// `sp`: similarity-preserving KD (Tung & Mori 2019): CE + weight · ‖G_t - G_s‖²_F / B²
/// with row-normalised batch Gram matrices of the pooled features (RepDistiller
/// uses the last feature map before pooling; the pooled features are the
/// representation both models expose). Default weight 3000 (RepDistiller `-b 3000`).
/// Feature widths may differ.
package enum SPMethod: TuningMethod {
    package static let name = "sp"
    package static let summary = "similarity-preserving KD: match batch similarity matrices (Tung & Mori 2019)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 3000, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        return [
            FeatureRelationTerm(name: "sp", teacher: teacher, weight: weight) {
                try FeatureDistillation.similarityPreserving(student: $0, teacher: $1)
            }
        ]
    }
}
