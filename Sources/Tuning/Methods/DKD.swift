/// `dkd`: decoupled knowledge distillation (Zhao et al. 2022) from one teacher
/// fine-tuned on the target classes. Loss: CE + w(epoch) · (alpha · TCKD + beta · NCKD),
/// w rising linearly to 1 over `warmup_epochs`. Defaults from mdistiller's CIFAR
/// configuration: alpha 1, beta 8, temperature 4, warm-up 20 epochs, CE weight 1.
/// beta (the non-target weight) matters most; the paper tunes it per teacher.
package enum DKDMethod: TuningMethod {
    package static let name = "dkd"
    package static let summary = "decoupled KD: target and non-target class KL weighted apart (Zhao et al. 2022)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let alpha = try MethodRequirements.double(context, "alpha", default: 1, .nonNegative)
        let beta = try MethodRequirements.double(context, "beta", default: 8, .nonNegative)
        let temperature = try MethodRequirements.double(context, "temperature", default: 4)
        let warmup = try MethodRequirements.int(context, "warmup_epochs", default: 20, minimum: 0)
        let weight = try MethodRequirements.double(context, "weight", default: 1, .nonNegative)
        guard context.classCount >= 2 else {
            throw TuningError.incompatible(method: context.method, message: "needs at least two target classes, got \(context.classCount)")
        }
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireTargetLogits(teacher, context)
        return [DKDTerm(teacher: teacher, alpha: alpha, beta: beta, temperature: temperature, warmupEpochs: warmup, weight: weight)]
    }
}
