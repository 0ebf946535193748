import Foundation
import Ranking
import Torch

/// A model chosen as a teacher: its frozen runner, its training-split features and
/// its LogME fit on them.
package struct ScoredTeacher {
    package let runner: any ModelRunner
    /// [N, D] float32 features on the training split, in dataset order, no gradient.
    package let features: Tensor
    package let scored: LogMEScoredModel
    package var name: String { scored.name }
    package var score: Double { scored.score }
}

/// The LogME ranking of a hub's models on the target's training split.
package struct TeacherRanking {
    /// The best `k` models, best first.
    package var selected: [ScoredTeacher]
    /// Every model that was scored, best first (for the log).
    package var scores: [(name: String, score: Double)]
    /// Models left out, one line each with the reason (load failure, LogME failure, filter).
    package var skipped: [String]
}

/// Ranks hub models by LogME and picks teachers; shared by B-Tuning and multi-teacher KD.
package enum TeacherSelection {
    /// The training labels encoded as LogME's targets (one-hot over the classes present).
    package static func encodedTargets(_ context: MethodContext) throws -> EncodedTargets {
        do {
            return try TargetEncoder.encodeClasses(context.trainingLabels)
        } catch {
            throw TuningError.incompatible(method: context.method, message: "training labels cannot be scored by LogME: \(error)")
        }
    }

    /// A model's training features [N, D] as float32 without gradient, checked against the labels.
    package static func trainingFeatures(
        of runner: any ModelRunner, context: MethodContext,
        needs: OutputNeeds = []
    ) throws -> ModelOutputs {
        var outputs = try context.trainingOutputs(runner, needs)
        let shape = outputs.features.shape
        guard shape.count == 2, shape[0] == context.trainingLabels.count else {
            throw TuningError.model(
                name: runner.name,
                message: "training features have shape \(shape); expected [\(context.trainingLabels.count), D] (one row per training label)")
        }
        outputs.features = try outputs.features.detach().to(.float32)
        outputs.sourceLogits = try outputs.sourceLogits?.detach().to(.float32)
        return outputs
    }

    /// Loads `name`, extracts its training features and fits LogME on them.
    package static func score(_ name: String, context: MethodContext, targets: EncodedTargets) throws -> ScoredTeacher {
        let runner = try context.loadModel(name)
        return try score(runner, context: context, targets: targets)
    }

    package static func score(_ runner: any ModelRunner, context: MethodContext, targets: EncodedTargets) throws -> ScoredTeacher {
        let features = try trainingFeatures(of: runner, context: context).features
        do {
            let scored = try LogMEScoredModel.fit(name: runner.name, features: features, targets: targets)
            return ScoredTeacher(runner: runner, features: features, scored: scored)
        } catch let error as TuningError {
            throw error
        } catch {
            throw TuningError.model(name: runner.name, message: "LogME on its training features failed: \(error)")
        }
    }

    /// The hub's models other than the student, in the hub's (name) order.
    package static func candidates(_ context: MethodContext) throws -> [String] {
        guard let hub = context.hub else {
            throw TuningError.incompatible(
                method: context.method,
                message: "no hub to rank teachers from; name the teachers explicitly (method_options.teachers or --teachers)")
        }
        return hub.entries.map(\.name).filter { $0 != context.student.name }
    }

    /// Checks K against the models available and returns it.
    package static func checkedK(_ k: Int, available: [String], context: MethodContext, field: String = "k") throws -> Int {
        let source = context.options.source
        guard k >= 1 else {
            throw TuningError.invalidConfiguration(file: source, field: "method_options.\(field)", message: "expected at least 1 teacher, got \(k)")
        }
        guard k <= available.count else {
            let listed = available.isEmpty ? "none" : available.joined(separator: ", ")
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.\(field)",
                message:
                    "\(k) teachers asked for, but the hub has only \(available.count) model\(available.count == 1 ? "" : "s") besides the target '\(context.student.name)' (\(listed))"
            )
        }
        return k
    }

    /// Scores every candidate and keeps the best `k`, best first. Only the current
    /// best `k` models' features and runners are held at any time, so a large hub
    /// costs the memory of k + 1 models' features. A model that fails to load, to
    /// produce features or to fit, or that `reject` turns down (returning the
    /// reason), is skipped and listed in `skipped`.
    package static func rank(
        _ candidates: [String], keep k: Int, context: MethodContext, targets: EncodedTargets,
        reject: (any ModelRunner) -> String? = { _ in nil }
    ) -> TeacherRanking {
        var best: [ScoredTeacher] = []
        var scores: [(name: String, score: Double)] = []
        var skipped: [String] = []
        for name in candidates {
            do {
                let runner = try context.loadModel(name)
                if let reason = reject(runner) {
                    skipped.append("model '\(name)' skipped: \(reason)")
                    continue
                }
                let teacher = try score(runner, context: context, targets: targets)
                scores.append((name, teacher.score))
                best.append(teacher)
                // Stable: ties keep the hub's order.
                best = best.enumerated().sorted { a, b in
                    a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
                }.map(\.element)
                if best.count > k { best.removeLast() }
            } catch {
                skipped.append("model '\(name)' skipped: \(error)")
            }
        }
        let ordered = scores.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        return TeacherRanking(selected: best, scores: ordered, skipped: skipped)
    }

    /// Explicitly named teachers: distinct, not the student; each must load and fit
    /// (a model the user named is never skipped silently).
    package static func checkedNames(_ names: [String], context: MethodContext, field: String) throws -> [String] {
        var seen = Set<String>()
        for name in names {
            guard name != context.student.name else {
                throw TuningError.invalidConfiguration(
                    file: context.options.source, field: field,
                    message: "'\(name)' is the model being tuned; it cannot be its own teacher")
            }
            guard seen.insert(name).inserted else {
                throw TuningError.invalidConfiguration(file: context.options.source, field: field, message: "'\(name)' is named twice")
            }
        }
        return names
    }

    /// "a (0.123), b (-0.456)" for the log.
    static func describe(_ scores: [(name: String, score: Double)]) -> String {
        scores.map { "\($0.name) (\(format($0.score)))" }.joined(separator: ", ")
    }

    static func format(_ x: Double, digits: Int = 4) -> String {
        guard x.isFinite else { return "\(x)" }
        return String(format: "%.\(digits)g", x)
    }
}
