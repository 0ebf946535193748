import Torch

/// `l2sp`: L2-SP (Li, Grandvalet & Davoine 2018): CE + alpha · ½ Σ ‖w - w⁰‖² over the
/// trainable backbone parameters, w⁰ = `context.initialParameters` (the pre-trained
/// point). Default alpha 0.01. The paper's second part, beta/2 ‖w_head‖² (beta
/// 0.01), is weight decay on the new head: set it in the optimiser, and no weight
/// decay on the backbone (it would pull towards 0 instead of w⁰). alpha matters.
package enum L2SPMethod: TuningMethod {
    package static let name = "l2sp"
    package static let summary = "L2-SP: pull backbone weights towards their pre-trained values (Li et al. 2018)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let alpha = try MethodRequirements.double(context, "alpha", default: 0.01, .nonNegative)
        var parameters: [Tensor] = []
        var initial: [Tensor] = []
        for (name, tensor) in context.studentParameters where tensor.requiresGrad {
            guard let start = context.initialParameters[name] else {
                throw TuningError.incompatible(
                    method: context.method,
                    message: "no pre-trained value for parameter '\(name)' of '\(context.student.name)'")
            }
            parameters.append(tensor)
            initial.append(start)
        }
        guard !parameters.isEmpty else {
            throw TuningError.incompatible(
                method: context.method,
                message: "'\(context.student.name)' has no trainable backbone parameters to regularise")
        }
        return [L2SPTerm(parameters: parameters, initial: initial, weight: alpha)]
    }
}
