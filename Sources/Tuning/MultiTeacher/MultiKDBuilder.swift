import Foundation
import Ranking
import Torch

/// Multi-teacher KD's hyper-parameters (`method_options`).
///
/// Defaults follow the CA-MKD authors' code, which also runs the averaged loss and
/// EBKD: T = 4 (`kd_T`), distillation weight 1 (`-a 1`) beside a cross-entropy
/// weight of 1 (`-r 1`, the trainer's own "ce"). `logme_temperature` is B-Tuning's
/// t = 0.1 and `k` B-Tuning's K = 3.
package struct MultiKDOptions: Sendable, Equatable {
    package var weighting = TeacherWeighting.uniform
    package var temperature = 4.0
    /// Weight of the distillation term.
    package var alpha = 1.0
    package var logmeTemperature = 0.1
    package var k = 3
    package var teachers: [String] = []

    package init() {}

    static func read(_ context: MethodContext) throws -> MultiKDOptions {
        let options = context.options
        let source = options.source
        var result = MultiKDOptions()
        let weighting = try options.string(
            "weighting", default: result.weighting.rawValue,
            allowed: TeacherWeighting.allCases.map(\.rawValue))
        result.weighting = TeacherWeighting(rawValue: weighting)!
        result.temperature = try options.double("temperature", default: result.temperature)
        guard result.temperature > 0 else {
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.temperature", message: "expected a positive number, got \(result.temperature)")
        }
        result.alpha = try options.double("alpha", default: result.alpha)
        guard result.alpha >= 0 else {
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.alpha", message: "expected a number >= 0, got \(result.alpha)")
        }
        if result.weighting == .logme {
            result.logmeTemperature = try options.double("logme_temperature", default: result.logmeTemperature)
            guard result.logmeTemperature > 0 else {
                throw TuningError.invalidConfiguration(
                    file: source, field: "method_options.logme_temperature", message: "expected a positive number, got \(result.logmeTemperature)")
            }
        }
        result.teachers = try MethodRequirements.teacherList(options, context)
        if result.teachers.isEmpty {
            result.k = try options.int("k", default: result.k)
            guard result.k >= 2 else {
                throw TuningError.invalidConfiguration(
                    file: source, field: "method_options.k",
                    message: "multikd needs at least 2 teachers, got k = \(result.k); use kd for one teacher")
            }
        } else if result.teachers.count < 2 {
            throw TuningError.invalidConfiguration(
                file: source, field: "teachers",
                message:
                    "multikd needs at least 2 teachers, got \(result.teachers.count) (\(result.teachers.joined(separator: ", "))); use kd for one teacher"
            )
        }
        return result
    }
}

enum MultiKDBuilder {
    /// Why `runner` cannot teach in the target's output space, or nil when it can.
    static func incompatibility(_ runner: any ModelRunner, classCount: Int) -> String? {
        guard let classes = runner.sourceClasses, runner.supports(.sourceLogits) else {
            return "it has no source head (logits), so it cannot give the target's \(classCount) class scores"
        }
        guard classes == classCount else {
            return
                "its logits have \(classes) classes but the target has \(classCount); multikd needs teachers in the target's output space (for example models fine-tuned on the target)"
        }
        return nil
    }

    static func build(_ context: MethodContext) throws -> MultiKDTerm {
        let options = try MultiKDOptions.read(context)
        var notes: [String] = []
        var warnings: [String] = []
        var runners: [any ModelRunner]
        var scores: [Double]? = nil

        if !options.teachers.isEmpty {
            let names = try TeacherSelection.checkedNames(options.teachers, context: context, field: "teachers")
            runners = try names.map { try context.loadModel($0) }
            for runner in runners {
                if let reason = incompatibility(runner, classCount: context.classCount) {
                    throw TuningError.incompatible(method: context.method, message: "teacher '\(runner.name)': \(reason)")
                }
            }
            if options.weighting == .logme {
                let targets = try TeacherSelection.encodedTargets(context)
                scores = try runners.map { try TeacherSelection.score($0, context: context, targets: targets).score }
            }
            notes.append("multikd: teachers named by the run: \(names.joined(separator: ", "))")
        } else {
            let candidates = try TeacherSelection.candidates(context)
            let k = try TeacherSelection.checkedK(options.k, available: candidates, context: context)
            let targets = try TeacherSelection.encodedTargets(context)
            let ranking = TeacherSelection.rank(candidates, keep: k, context: context, targets: targets) {
                incompatibility($0, classCount: context.classCount)
            }
            warnings += ranking.skipped.map { "multikd: \($0)" }
            guard ranking.selected.count >= 2 else {
                throw TuningError.incompatible(
                    method: context.method,
                    message:
                        "fewer than 2 hub models can teach in the target's output space (\(context.classCount) classes): \(ranking.selected.map(\.name).joined(separator: ", "))\(ranking.skipped.isEmpty ? "" : "; " + ranking.skipped.joined(separator: "; "))"
                )
            }
            notes.append("multikd: LogME ranking of the compatible models: \(TeacherSelection.describe(ranking.scores))")
            runners = ranking.selected.map(\.runner)
            scores = ranking.selected.map(\.score)
        }

        let fixed: [Double]?
        switch options.weighting {
        case .uniform: fixed = Array(repeating: 1.0 / Double(runners.count), count: runners.count)
        case .logme: fixed = TeacherWeights.softmax(scores: scores!, temperature: options.logmeTemperature)
        case .entropy, .confidence: fixed = nil
        }
        let described =
            fixed.map { w in zip(runners, w).map { "\($0.name) \(TeacherSelection.format($1, digits: 3))" }.joined(separator: ", ") }
            ?? "per sample (\(options.weighting.rawValue))"
        notes.append(
            "multikd: \(runners.count) teachers, weighting \(options.weighting.rawValue): \(described); T = \(TeacherSelection.format(options.temperature)), alpha = \(TeacherSelection.format(options.alpha))"
        )
        return MultiKDTerm(
            weight: options.alpha, temperature: options.temperature, weighting: options.weighting,
            teachers: runners.map { Teacher($0) }, fixedWeights: fixed, notes: notes, warnings: warnings)
    }
}
