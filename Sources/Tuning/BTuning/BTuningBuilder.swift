import Foundation
import Linalg
import Ranking
import Torch

/// Which of the two posterior-projection methods a term is built for: B-Tuning
/// (teachers weighted by softmax(LogME / t)) or its feature-alignment ablation
/// (the same target with uniform weights 1/K; no temperature).
package struct ProjectionMatchingVariant: Sendable, Equatable {
    /// The method's name, used in notes, warnings and errors.
    package let method: String
    /// The loss term's name (the log key).
    package let termName: String
    /// true: pi = softmax(LogME / t); false: pi = 1/K.
    package let logMEWeighting: Bool

    package static let btuning = ProjectionMatchingVariant(method: "btuning", termName: "btuning_mse", logMEWeighting: true)
    package static let featureAlignment = ProjectionMatchingVariant(
        method: "feature-alignment", termName: "feature_alignment_mse", logMEWeighting: false)
}

/// B-Tuning's hyper-parameters (`method_options`), with the paper's defaults.
package struct BTuningOptions: Sendable, Equatable {
    package enum ProjectionChoice: String, Sendable, CaseIterable {
        case frozen, learnable, auto
    }
    /// Teachers taken from the top of the LogME ranking.
    package var k = 3
    /// t in pi = softmax(score / t).
    package var temperature = 0.1
    /// Weight of the MSE term (lambda).
    package var lambda = 100.0
    /// Explicit teachers; empty means "rank the hub".
    package var teachers: [String] = []
    package var projection = ProjectionChoice.auto
    /// `ProjectionReach.requiredGrowth` above which m_s counts as degenerate.
    package var degenerateGrowth = ProjectionReach.defaultGrowthThreshold

    package init() {}

    /// Reads the options; `k` only when the teachers come from the ranking, so a `k`
    /// given together with explicit teachers is reported as unused; `temperature`
    /// only for B-Tuning (the uniform ablation has none, so giving it is an error).
    static func read(_ context: MethodContext, variant: ProjectionMatchingVariant = .btuning) throws -> BTuningOptions {
        let options = context.options
        let source = options.source
        var result = BTuningOptions()
        if variant.logMEWeighting {
            result.temperature = try options.double("temperature", default: result.temperature)
            guard result.temperature > 0 else {
                throw TuningError.invalidConfiguration(
                    file: source, field: "method_options.temperature", message: "expected a positive number, got \(result.temperature)")
            }
        }
        result.lambda = try options.double("lambda", default: result.lambda)
        guard result.lambda >= 0 else {
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.lambda", message: "expected a number >= 0, got \(result.lambda)")
        }
        let projection = try options.string(
            "projection", default: result.projection.rawValue,
            allowed: ProjectionChoice.allCases.map(\.rawValue))
        result.projection = ProjectionChoice(rawValue: projection)!
        result.degenerateGrowth = try options.double("degenerate_growth", default: result.degenerateGrowth)
        guard result.degenerateGrowth > 0 else {
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.degenerate_growth", message: "expected a positive number, got \(result.degenerateGrowth)")
        }
        result.teachers = try MethodRequirements.teacherList(options, context)
        if result.teachers.isEmpty {
            result.k = try options.int("k", default: result.k)
        }
        return result
    }
}

/// Builds the B-Tuning term (or its uniform-weight ablation, `variant`) from a
/// method context: ranks the hub, fits LogME on the teachers and the student,
/// forms the target and checks the student's projection.
enum BTuningBuilder {
    static func build(_ context: MethodContext, variant: ProjectionMatchingVariant = .btuning) throws -> BTuningTerm {
        let options = try BTuningOptions.read(context, variant: variant)
        let label = variant.method
        let targets = try TeacherSelection.encodedTargets(context)
        var notes: [String] = []
        var warnings: [String] = targets.warnings.map { "\(label): training labels: \($0)" }

        // The student's pre-trained projection m_s.
        let studentFeatures = try TeacherSelection.trainingFeatures(of: context.student, context: context).features
        let student: LogMEScoredModel
        do {
            student = try LogMEScoredModel.fit(name: context.student.name, features: studentFeatures, targets: targets)
        } catch {
            throw TuningError.model(name: context.student.name, message: "LogME on its pre-trained training features failed: \(error)")
        }
        guard student.projection.featureDimension == context.student.featureDimension else {
            throw TuningError.model(
                name: context.student.name,
                message:
                    "training features have \(student.projection.featureDimension) columns but the model reports feature dimension \(context.student.featureDimension)"
            )
        }

        // Teachers: explicit, or the top k of the LogME ranking.
        let teachers: [ScoredTeacher]
        if !options.teachers.isEmpty {
            let names = try TeacherSelection.checkedNames(options.teachers, context: context, field: "method_options.teachers")
            teachers = try names.map { try TeacherSelection.score($0, context: context, targets: targets) }
            notes.append("\(label): teachers named by the run: \(TeacherSelection.describe(teachers.map { ($0.name, $0.score) }))")
        } else {
            let candidates = try TeacherSelection.candidates(context)
            let k = try TeacherSelection.checkedK(options.k, available: candidates, context: context)
            let ranking = TeacherSelection.rank(candidates, keep: k, context: context, targets: targets)
            warnings += ranking.skipped.map { "\(label): \($0)" }
            guard !ranking.selected.isEmpty else {
                throw TuningError.incompatible(
                    method: context.method,
                    message: "no hub model could be scored by LogME: \(ranking.skipped.joined(separator: "; "))")
            }
            if ranking.selected.count < k {
                warnings.append("\(label): only \(ranking.selected.count) of the \(k) teachers asked for could be scored")
            }
            notes.append("\(label): LogME ranking on the training split: \(TeacherSelection.describe(ranking.scores))")
            teachers = ranking.selected
        }
        let pi =
            variant.logMEWeighting
            ? TeacherWeights.softmax(scores: teachers.map(\.score), temperature: options.temperature)
            : Array(repeating: 1 / Double(teachers.count), count: teachers.count)
        let rule = variant.logMEWeighting ? "softmax(LogME / \(TeacherSelection.format(options.temperature)))" : "1/K (uniform)"
        notes.append(
            "\(label): teachers and weights pi = \(rule): "
                + zip(teachers, pi).map { "\($0.name) \(TeacherSelection.format($1, digits: 3))" }.joined(separator: ", "))

        // The target Σ pi_k f_k m_kᵀ on the training split, in float64.
        let target64 = try weightedTarget(teachers.map { ($0.features, $0.scored.projection) }, weights: pi)
        guard target64.shape == [context.trainingLabels.count, student.projection.classCount] else {
            throw TuningError.incompatible(
                method: context.method,
                message: "teachers' target has shape \(target64.shape), expected [\(context.trainingLabels.count), \(student.projection.classCount)]")
        }

        // Is the frozen projection degenerate?
        let reach = try ProjectionReach.measure(
            features: try studentFeatures.toMatrix(), posteriorMean: student.projection.mean,
            target: try target64.toMatrix())
        let degenerate = reach.isDegenerate(growthThreshold: options.degenerateGrowth)
        let projection: BTuningTerm.Projection
        switch options.projection {
        case .frozen: projection = .frozen
        case .learnable: projection = .learnable
        case .auto: projection = degenerate ? .learnable : .frozen
        }
        let measured = "student '\(context.student.name)' LogME \(TeacherSelection.format(student.score)); \(reach.summary)"
        if degenerate {
            let action: String
            switch options.projection {
            case .auto: action = "switching to a learnable projection initialised at m_s (projection: auto)"
            case .frozen: action = "keeping it frozen as asked (projection: frozen); a learnable projection avoids the blow-up"
            case .learnable: action = "using the learnable projection as asked"
            }
            warnings.append(
                "\(label): the student's LogME projection m_s is degenerate (\(measured); thresholds: growth \(TeacherSelection.format(options.degenerateGrowth)), unreachable share \(ProjectionReach.unreachableThreshold)): a frozen f_s m_sᵀ can only match the teachers by blowing up the features; \(action)"
            )
        } else {
            notes.append("\(label): \(measured); projection: \(projection.rawValue)")
        }

        // Cache the target when inputs are not augmented; otherwise keep the teachers.
        let cached: Tensor? = context.augmented ? nil : try target64.to(.float32)
        let live: [BTuningTerm.LiveTeacher] =
            context.augmented
            ? zip(teachers, pi).map { BTuningTerm.LiveTeacher(teacher: Teacher($0.runner), projection: $0.scored.projection, weight: $1) }
            : []
        let featureScale = try studentFeatures.to(.float64).square().sum(dim: 1).mean().sqrt().item()
        return try BTuningTerm(
            name: variant.termName, method: variant.method, weight: options.lambda, projection: projection, studentMean: student.projection,
            featureScale: featureScale,
            cachedTarget: cached, liveTeachers: live, teacherNames: teachers.map(\.name),
            teacherWeights: pi, reach: reach, notes: notes, warnings: warnings)
    }

    /// Σ_k weights_k · features_k m_kᵀ, each projection through `PosteriorProjection`, float64 [N, C].
    static func weightedTarget(_ parts: [(features: Tensor, projection: PosteriorProjection)], weights: [Double]) throws -> Tensor {
        precondition(parts.count == weights.count && !parts.isEmpty)
        var sum: Tensor?
        for (part, w) in zip(parts, weights) {
            guard part.projection.classCount == parts[0].projection.classCount else {
                throw TuningError.incompatible(method: "btuning", message: "teachers' LogME fits have different numbers of target columns")
            }
            let term = try part.projection(try part.features.to(.float64)) * w
            sum = try sum.map { try $0 + term } ?? term
        }
        return sum!
    }
}
