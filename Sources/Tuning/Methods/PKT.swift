/// `pkt`: probabilistic knowledge transfer (Passalis & Tefas 2018): CE + weight ·
/// KL between the cosine-similarity conditional distributions of the batch, on
/// the pooled features. Default weight 30000 (RepDistiller `-b 30000`). Feature
/// widths may differ.
package enum PKTMethod: TuningMethod {
    package static let name = "pkt"
    package static let summary = "probabilistic KT: match cosine-similarity distributions over the batch (Passalis & Tefas 2018)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 30000, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        return [
            FeatureRelationTerm(name: "pkt", teacher: teacher, weight: weight) {
                try FeatureDistillation.pkt(student: $0, teacher: $1)
            }
        ]
    }
}
