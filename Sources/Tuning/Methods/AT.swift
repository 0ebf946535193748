/// `at`: attention transfer (Zagoruyko & Komodakis 2017) as RepDistiller:
/// CE + weight · Σ_pairs mean((a_s - a_t)²), a = L2-normalised channel mean of f²
/// per sample. Defaults from RepDistiller: weight 1000 (`-b 1000`), p 2. Every hint
/// pair is used (the i-th student hint with the i-th teacher hint); counts must
/// match, channels may differ, and a larger map is average-pooled to the smaller
/// spatial size. The weight matters most.
package enum ATMethod: TuningMethod {
    package static let name = "at"
    package static let summary = "attention transfer: match spatial attention maps of hint layers (Zagoruyko & Komodakis 2017)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 1000, .nonNegative)
        let p = try MethodRequirements.double(context, "p", default: 2)
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireHints(context.student, role: "student", context)
        try MethodRequirements.requireHints(teacher.runner, role: "teacher", context)
        return [AttentionTransferTerm(teacher: teacher, p: p, weight: weight)]
    }
}
