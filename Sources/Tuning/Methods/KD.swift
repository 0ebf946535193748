/// `kd`: Hinton et al. 2015 knowledge distillation from one teacher fine-tuned on
/// the target classes. Loss: beta · CE + alpha · T² · KL(softmax(t/T) ‖ softmax(s/T)).
/// Defaults from RepDistiller's KD runs (`-r 0.1 -a 0.9`, `--kd_T 4`): alpha 0.9,
/// beta 0.1, temperature 4. alpha and T matter most; beta is the cross-entropy
/// weight, applied by the trainer through `WeightsCrossEntropy`.
package enum KDMethod: WeightsCrossEntropy {
    package static let name = "kd"
    package static let summary = "knowledge distillation: softened KL to a target-tuned teacher's logits (Hinton et al. 2015)"

    package static func crossEntropyWeight(_ options: MethodOptions) throws -> Double {
        let beta = try options.double("beta", default: 0.1)
        guard beta >= 0 else {
            throw TuningError.invalidConfiguration(
                file: options.source, field: "method_options.beta", message: "must be zero or positive, got \(beta)")
        }
        return beta
    }

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let temperature = try MethodRequirements.double(context, "temperature", default: 4)
        let alpha = try MethodRequirements.double(context, "alpha", default: 0.9, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireTargetLogits(teacher, context)
        return [KDTerm(teacher: teacher, temperature: temperature, weight: alpha)]
    }
}
