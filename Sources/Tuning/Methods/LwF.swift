/// `lwf`: Learning without Forgetting (Li & Hoiem 2017): CE + lambda ·
/// KL(softmax(o/T) ‖ softmax(s/T)) between the student's source head and a frozen
/// copy of the pre-trained model's (recorded once per sample when not augmented).
/// Defaults from the paper: T 2, lambda 1 (λ_o). Needs a source head (card
/// `source_head`). lambda matters most.
package enum LwFMethod: TuningMethod {
    package static let name = "lwf"
    package static let summary = "learning without forgetting: keep the source head's outputs (Li & Hoiem 2017)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let lambda = try MethodRequirements.double(context, "lambda", default: 1, .nonNegative)
        let temperature = try MethodRequirements.double(context, "temperature", default: 2)
        let studentClasses = try MethodRequirements.requireSourceHead(context.student, role: "student", context)
        let original = try MethodRequirements.pretrainedStudent(context)
        let originalClasses = try MethodRequirements.requireSourceHead(original, role: "pre-trained copy of the student", context)
        guard studentClasses == originalClasses else {
            throw TuningError.incompatible(
                method: context.method,
                message: "the student's source head has \(studentClasses) classes but its pre-trained copy's \(originalClasses)")
        }
        return [LwFTerm(original: Teacher(original), temperature: temperature, weight: lambda)]
    }
}
