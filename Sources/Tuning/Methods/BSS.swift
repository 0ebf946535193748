/// `bss`: batch spectral shrinkage (Chen et al. 2019): CE + eta · Σ_{i≤k} σ²_{-i}, the
/// k smallest squared singular values of the batch's pooled student features.
/// Defaults from the paper: eta 0.001, k 1. Needs nothing beyond features; k must
/// not exceed min(batch, D) (a smaller last batch shrinks what it has).
package enum BSSMethod: TuningMethod {
    package static let name = "bss"
    package static let summary = "BSS: shrink the smallest singular values of batch features (Chen et al. 2019)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let eta = try MethodRequirements.double(context, "eta", default: 0.001, .nonNegative)
        let k = try MethodRequirements.int(context, "k", default: 1, minimum: 1)
        guard k <= context.student.featureDimension else {
            throw TuningError.invalidConfiguration(
                file: context.options.source, field: "method_options.k",
                message: "must be at most the feature dimension \(context.student.featureDimension), got \(k)")
        }
        return [BSSTerm(k: k, weight: eta)]
    }
}
