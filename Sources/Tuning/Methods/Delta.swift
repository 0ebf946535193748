import Torch

/// `delta`: DELTA (Li et al. 2019): CE + weight · ½ Σ_l Σ_c w_lc ‖FM_lc - FM⁰_lc‖² between
/// the student's hint maps and a frozen copy of the pre-trained student's, summed
/// over the batch as the reference code does. Defaults (Transfer-Learning-Library's
/// DELTA): weight 0.01, attention "channel". `attention=channel` computes the
/// supervised channel attention on the representation (`DeltaAttention`) and
/// applies it to the hint maps with D channels (others uniform); `uniform` is the
/// attention-free feature-map distance. Needs hints (a card `hints` stage). The
/// weight matters most; the paper's head L2 (0.01) is the head's weight decay.
package enum DeltaMethod: TuningMethod {
    package static let name = "delta"
    package static let summary = "DELTA: keep hint feature maps near the pre-trained model's, channel-weighted (Li et al. 2019)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 0.01, .nonNegative)
        let attention = try context.options.string("attention", default: "channel", allowed: ["channel", "uniform"])
        let steps = attention == "channel" ? try MethodRequirements.int(context, "attention_steps", default: 100, minimum: 1) : 0
        try MethodRequirements.requireHints(context.student, role: "student", context)
        let pretrained = try MethodRequirements.pretrainedStudent(context)
        try MethodRequirements.requireHints(pretrained, role: "pre-trained copy of the student", context)
        var weights: Tensor? = nil
        if attention == "channel" {
            let features = try context.trainingOutputs(pretrained, []).features
            weights = try DeltaAttention.channelWeights(
                features: features, labels: context.trainingLabels,
                classCount: context.classCount, steps: steps)
        }
        return [DeltaTerm(pretrained: Teacher(pretrained), attention: weights, weight: weight)]
    }
}
