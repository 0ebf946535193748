/// `cotuning`: Co-Tuning (You et al. 2020): CE + lambda · CE(source head, r[y]) with
/// r = p(y_s | y_t) learnt by the paper's direct approach from the pre-trained
/// model's source probabilities on the training split (`CoTuningRelationship`).
/// Defaults: lambda 2.3 (the authors' trade-off), temperature 1 (the paper
/// calibrates with held-out source data, which a target run does not have).
/// Needs a source head (card `source_head`). lambda matters most.
package enum CoTuningMethod: TuningMethod {
    package static let name = "cotuning"
    package static let summary = "Co-Tuning: supervise the source head with the learnt target-to-source class relationship (You et al. 2020)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let lambda = try MethodRequirements.double(context, "lambda", default: 2.3, .nonNegative)
        let temperature = try MethodRequirements.double(context, "temperature", default: 1)
        let studentClasses = try MethodRequirements.requireSourceHead(context.student, role: "student", context)
        let pretrained = try MethodRequirements.pretrainedStudent(context)
        _ = try MethodRequirements.requireSourceHead(pretrained, role: "pre-trained copy of the student", context)
        guard let logits = try context.trainingOutputs(pretrained, .sourceLogits).sourceLogits else {
            throw TuningError.model(name: pretrained.name, message: "gave no source-head logits on the training split")
        }
        guard logits.rank == 2, logits.shape[1] == studentClasses else {
            throw TuningError.incompatible(
                method: context.method,
                message: "the pre-trained source logits have shape \(logits.shape) but the student's source head has \(studentClasses) classes")
        }
        let relationship = try CoTuningRelationship.direct(
            sourceLogits: logits, labels: context.trainingLabels,
            classCount: context.classCount, temperature: temperature)
        return [CoTuningTerm(relationship: relationship, weight: lambda)]
    }
}
