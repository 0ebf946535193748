import Torch

/// `fitnet`: FitNets hints (Romero et al. 2015) as RepDistiller trains them in one
/// stage: CE + weight · MSE(regressor(student hint), teacher hint). Defaults from
/// RepDistiller (`-b 100`, `--hint_layer 2` of its five feature maps, i.e. the
/// middle): weight 100, hint_layer = the middle of the hints both models give
/// ((count - 1) / 2 of the shorter list). The regressor (`HintRegressor`) is
/// trained with the head. Needs hints from student and teacher; the hint index
/// and the weight matter.
package enum FitNetMethod: TuningMethod {
    package static let name = "fitnet"
    package static let summary = "FitNets: regress a student hint map onto the teacher's (Romero et al. 2015)"

    package static func makeTerms(_ context: MethodContext) throws -> [any LossTerm] {
        let weight = try MethodRequirements.double(context, "weight", default: 100, .nonNegative)
        let teacher = try MethodRequirements.singleTeacher(context)
        try MethodRequirements.requireHints(context.student, role: "student", context)
        try MethodRequirements.requireHints(teacher.runner, role: "teacher", context)
        // The live student may be in training mode: probe a frozen copy instead.
        let studentProbe: any ModelRunner =
            context.student is HintShapeReporting
            ? context.student : try MethodRequirements.pretrainedStudent(context)
        let studentShapes = try MethodRequirements.hintShapes(studentProbe, context)
        let teacherShapes = try MethodRequirements.hintShapes(teacher.runner, context)
        let count = Swift.min(studentShapes.count, teacherShapes.count)
        guard count > 0 else {
            throw TuningError.incompatible(method: context.method, message: "the student or teacher '\(teacher.name)' gave no hint maps")
        }
        let index = try context.options.int("hint_layer", default: (count - 1) / 2)
        guard (0..<count).contains(index) else {
            throw TuningError.invalidConfiguration(
                file: context.options.source, field: "method_options.hint_layer",
                message:
                    "must be in 0..<\(count) (the student gives \(studentShapes.count) hints, teacher '\(teacher.name)' \(teacherShapes.count)), got \(index)"
            )
        }
        let seed = try MethodRequirements.int(context, "seed", default: 0, minimum: 0)
        let regressor = try HintRegressor(student: studentShapes[index], teacher: teacherShapes[index], generator: Generator(seed: UInt64(seed)))
        return [FitNetTerm(teacher: teacher, hintIndex: index, regressor: regressor, weight: weight)]
    }
}
