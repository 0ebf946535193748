/// `rkd`: relational KD (Park et al. 2019) on the pooled features:
/// CE + distance_weight · RKD-D + angle_weight · RKD-A, both smooth-L1. Defaults
/// from RepDistiller's `RKDLoss` (w_d 25, w_a 50, `-b 1`). Feature widths may
/// differ. Batches need at least 3 samples (angles); the angle term costs B²·D memory.
package enum RKDMethod: TuningMethod {
    package static let name = "rkd"
    package static let summary = "relational KD: match normalised pairwise distances and triplet angles (Park et al. 2019)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let distanceWeight = try MethodRequirements.double(context, "distance_weight", default: 25, .nonNegative)
        let angleWeight = try MethodRequirements.double(context, "angle_weight", default: 50, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        return [
            FeatureRelationTerm(name: "rkd_distance", teacher: teacher, weight: distanceWeight) {
                try FeatureDistillation.rkdDistance(student: $0, teacher: $1)
            },
            FeatureRelationTerm(name: "rkd_angle", teacher: teacher, weight: angleWeight) {
                try FeatureDistillation.rkdAngle(student: $0, teacher: $1)
            },
        ]
    }
}
