/// Plain fine-tuning: the whole target network and a new head, trained with the
/// trainer's cross-entropy alone (the backbone at `backbone_lr_multiplier` times
/// the head's learning rate). The baseline every other method adds terms to.
package enum Finetune: TuningMethod {
    package static let name = "finetune"
    package static let summary = "plain fine-tuning of the target model with a new head (cross-entropy only)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        []
    }
}
