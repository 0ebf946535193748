/// Teachers named for a multi-teacher method (`--teachers` or
/// `method_options.teachers`): at least two, distinct, not the student, each with a
/// source head over the target classes. Opened frozen.
func targetSpaceTeachers(_ context: MethodContext) throws -> [Teacher] {
    let names = try TeacherSelection.checkedNames(
        try MethodRequirements.teacherList(context.options, context), context: context, field: "teachers")
    guard names.count >= 2 else {
        throw TuningError.invalidConfiguration(
            file: context.options.source, field: "teachers",
            message:
                "\(context.method) needs at least 2 teachers, got \(names.count)\(names.isEmpty ? "" : " (\(names.joined(separator: ", ")))"); name them with --teachers a,b (use kd for one teacher)"
        )
    }
    return try names.map { name in
        let runner = try context.loadModel(name)
        if let reason = MultiKDBuilder.incompatibility(runner, classCount: context.classCount) {
            throw TuningError.incompatible(method: context.method, message: "teacher '\(name)': \(reason)")
        }
        return Teacher(runner)
    }
}

/// `aekd`: Adaptive Ensemble Knowledge Distillation in gradient space (Du et al.,
/// NeurIPS 2020). CE + alpha · Σ_k w_k T² KL_k, the teacher weights of each batch the
/// min-norm point, over the simplex with every weight at most C, of the teachers' KD
/// gradients with respect to the student's logits. Defaults from the authors' code:
/// C 0.6 (`-C`), alpha 0.9 (`-a`), cross-entropy weight 1 (`-r`), T 4 (`--kd_T`),
/// no gradient normalisation (`--svm_norm` off). See docs/tuning/aekd.md.
package enum AEKDMethod: TuningMethod {
    package static let name = "aekd"
    package static let summary =
        "AE-KD: per-batch teacher weights from a min-norm problem on the teachers' KD gradients, each capped at C (Du et al. 2020)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let temperature = try MethodRequirements.double(context, "temperature", default: 4)
        let alpha = try MethodRequirements.double(context, "alpha", default: 0.9, .nonNegative)
        let cap = try MethodRequirements.double(context, "c", default: 0.6)
        let normalize = try context.options.bool("normalize", default: false)
        let teachers = try targetSpaceTeachers(context)
        guard cap <= 1, cap * Double(teachers.count) >= 1 else {
            throw TuningError.invalidConfiguration(
                file: context.options.source, field: "method_options.c",
                message:
                    "must be in [1/K, 1] so that weights of at most C can sum to one; with K = \(teachers.count) teachers that is [\(TeacherSelection.format(1 / Double(teachers.count))), 1], got \(cap)"
            )
        }
        return [
            AEKDTerm(
                teachers: teachers, temperature: temperature, cap: cap, normalize: normalize, weight: alpha,
                notes: [
                    "aekd: \(teachers.count) teachers (\(teachers.map(\.name).joined(separator: ", "))), C = \(TeacherSelection.format(cap)), T = \(TeacherSelection.format(temperature)), alpha = \(TeacherSelection.format(alpha))"
                ])
        ]
    }
}

/// `relsim`: learning from multiple teacher networks (You et al., KDD 2017). CE +
/// alpha · T² KL(mean of the teachers' softened outputs ‖ student) + beta · the voted
/// relative-dissimilarity triplet loss on pooled features. Defaults: T 4, alpha 1,
/// beta 0.1, margin 0.1 (ours: the paper's values could not be read; beta 0.1 is the
/// weight chosen on validation in benchmarks/distillation/RELSIM_SWEEP.md, where 1
/// hurt; see docs/tuning/relsim.md).
package enum RelativeSimilarityMethod: TuningMethod {
    package static let name = "relsim"
    package static let summary = "multi-teacher relative similarity: averaged softened outputs + voted triplet ranking of features (You et al. 2017)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let temperature = try MethodRequirements.double(context, "temperature", default: 4)
        let alpha = try MethodRequirements.double(context, "alpha", default: 1, .nonNegative)
        let beta = try MethodRequirements.double(context, "beta", default: 0.1, .nonNegative)
        let margin = try MethodRequirements.double(context, "margin", default: 0.1, .nonNegative)
        let teachers = try targetSpaceTeachers(context)
        return [
            AveragedSoftKDTerm(
                teachers: teachers, temperature: temperature, weight: alpha,
                notes: [
                    "relsim: \(teachers.count) teachers (\(teachers.map(\.name).joined(separator: ", "))), T = \(TeacherSelection.format(temperature)), alpha = \(TeacherSelection.format(alpha)), beta = \(TeacherSelection.format(beta)), margin = \(TeacherSelection.format(margin))"
                ]),
            RelativeSimilarityTerm(teachers: teachers, margin: margin, weight: beta),
        ]
    }
}

/// `lcc`: local correlation consistency (Li et al., ECCV 2020). CE + weight · Σ over
/// hint pairs of [intra-instance + inter_weight · inter-instance (same part) +
/// cross_weight · inter-instance (different parts)] mean squared differences of the
/// correlations between local parts (a grid × grid partition of each map into
/// blocks). Defaults: weight 10, grid 4 (the paper's CIFAR-100 value), inter_weight 1,
/// cross_weight 1 (see docs/tuning/lcc.md).
/// Needs [B, C, H, W] hint maps from student and teacher.
package enum LCCMethod: TuningMethod {
    package static let name = "lcc"
    package static let summary =
        "local correlation consistency: match correlations of local feature-map parts within and across samples (Li et al. 2020)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 10, .nonNegative)
        let grid = try MethodRequirements.int(context, "grid", default: 4, minimum: 1)
        let interWeight = try MethodRequirements.double(context, "inter_weight", default: 1, .nonNegative)
        let crossWeight = try MethodRequirements.double(context, "cross_weight", default: 1, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireHints(context.student, role: "student", context)
        try MethodRequirements.requireHints(teacher.runner, role: "teacher", context)
        // Refuse before training what the term would refuse at its first step: maps
        // that are not [C, H, W] per sample, or counts that do not pair one to one.
        let studentProbe: any ModelRunner =
            context.student is HintShapeReporting ? context.student : try MethodRequirements.pretrainedStudent(context)
        let studentShapes = try MethodRequirements.hintShapes(studentProbe, context)
        let teacherShapes = try MethodRequirements.hintShapes(teacher.runner, context)
        guard studentShapes.count == teacherShapes.count, !studentShapes.isEmpty else {
            throw TuningError.incompatible(
                method: context.method,
                message:
                    "the student gives \(studentShapes.count) hint maps and teacher '\(teacher.name)' \(teacherShapes.count); local correlation consistency pairs them one to one"
            )
        }
        for (i, (s, t)) in zip(studentShapes, teacherShapes).enumerated() where s.count != 3 || t.count != 3 {
            throw TuningError.incompatible(
                method: context.method,
                message:
                    "hint \(i) must be [B, C, H, W] feature maps to cut into local parts; student [B, \(s.map(String.init).joined(separator: ", "))], teacher '\(teacher.name)' [B, \(t.map(String.init).joined(separator: ", "))] (a model giving vectors or token sequences has no local parts)"
            )
        }
        return [LocalCorrelationTerm(teacher: teacher, grid: grid, interWeight: interWeight, crossWeight: crossWeight, weight: weight)]
    }
}

/// `fewdata`: learning student networks with few data (Kong et al., AAAI 2020). CE +
/// alpha · KD on the labelled batch + lambda · KD on worst-case samples near it
/// (Wasserstein-robust surrogate: `steps` ascent steps of size `step_size` with
/// transport penalty `gamma`), the teacher's soft outputs supervising both. Defaults:
/// T 4, alpha 0.9, lambda 1, gamma 1, steps 5, step_size 0.1 (see docs/tuning/fewdata.md;
/// `split.train_per_class` makes the few-data setting).
package enum FewDataMethod: TuningMethod {
    package static let name = "fewdata"
    package static let summary =
        "students from few data: KD on the labelled set and on worst-case samples near it that the teacher labels (Kong et al. 2020)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let temperature = try MethodRequirements.double(context, "temperature", default: 4)
        let alpha = try MethodRequirements.double(context, "alpha", default: 0.9, .nonNegative)
        let lambda = try MethodRequirements.double(context, "lambda", default: 1, .nonNegative)
        let gamma = try MethodRequirements.double(context, "gamma", default: 1, .nonNegative)
        let steps = try MethodRequirements.int(context, "steps", default: 5, minimum: 0)
        let stepSize = try MethodRequirements.double(context, "step_size", default: 0.1, .nonNegative)
        if context.student.takesTexts {
            throw TuningError.incompatible(
                method: context.method,
                message:
                    "makes new samples by moving the student's inputs, and '\(context.student.name)' is a text model (tokens cannot be moved); use kd"
            )
        }
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireTargetLogits(teacher, context)
        return [
            KDTerm(teacher: teacher, temperature: temperature, weight: alpha),
            FewDataTerm(teacher: teacher, temperature: temperature, gamma: gamma, steps: steps, stepSize: stepSize, weight: lambda),
        ]
    }
}
