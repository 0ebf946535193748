import Torch

/// A runner that knows the shapes of its hint maps (per sample, without the batch)
/// without running a batch. The FitNet method sizes its regressor with it; runners
/// without it are probed with a dummy batch at their card's input size.
package protocol HintShapeReporting {
    func hintShapes() throws -> [[Int]]
}

/// A method whose paper weights the trainer's cross-entropy term itself (KD:
/// 0.1 · CE + 0.9 · KD). The trainer multiplies its "ce" term by this weight;
/// methods without it keep the cross-entropy at weight 1.
package protocol WeightsCrossEntropy: TuningMethod {
    static func crossEntropyWeight(_ options: MethodOptions) throws -> Double
}

/// Checks and option reads the methods share; every failure names the method, the
/// model and what was expected.
enum MethodRequirements {
    /// The teachers a multi-teacher method was given: `method_options.teachers` or
    /// the run's `--teachers` (one list; two different lists are an error). Empty
    /// means "choose by LogME".
    static func teacherList(_ options: MethodOptions, _ context: MethodContext) throws -> [String] {
        let optionTeachers = try options.strings("teachers")
        if !optionTeachers.isEmpty, !context.teacherNames.isEmpty, optionTeachers != context.teacherNames {
            throw TuningError.invalidConfiguration(
                file: options.source, field: "method_options.teachers",
                message:
                    "\(optionTeachers.joined(separator: ",")) differs from the run's teachers \(context.teacherNames.joined(separator: ",")); give one list"
            )
        }
        return optionTeachers.isEmpty ? context.teacherNames : optionTeachers
    }

    /// The one teacher a single-teacher method distils from, opened frozen.
    static func singleTeacher(_ context: MethodContext) throws -> Teacher {
        guard context.teacherNames.count == 1 else {
            let got = context.teacherNames.isEmpty ? "none" : "\(context.teacherNames.count) (\(context.teacherNames.joined(separator: ", ")))"
            throw TuningError.incompatible(
                method: context.method,
                message: "distils from exactly one teacher, got \(got); name it with --teacher")
        }
        return Teacher(try context.loadModel(context.teacherNames[0]))
    }

    /// A frozen copy of the pre-trained student (DELTA, LwF, Co-Tuning).
    static func pretrainedStudent(_ context: MethodContext) throws -> any ModelRunner {
        try context.loadModel(context.student.name)
    }

    static func requireHints(_ runner: any ModelRunner, role: String, _ context: MethodContext) throws {
        guard runner.supports(.hints) else {
            if runner.takesTexts {
                throw TuningError.incompatible(
                    method: context.method,
                    message:
                        "needs hint maps from the \(role) '\(runner.name)', a text model: its hidden states are per token of its own tokenizer, not feature maps (use a method on pooled features: finetune, l2sp, bss, btuning, rkd, pkt, sp, kd)"
                )
            }
            throw TuningError.incompatible(
                method: context.method,
                message: "needs hint maps from the \(role) '\(runner.name)', which has none; add a 'hints' stage to its model card")
        }
    }

    static func requireSourceHead(_ runner: any ModelRunner, role: String, _ context: MethodContext) throws -> Int {
        guard runner.supports(.sourceLogits), let classes = runner.sourceClasses else {
            throw TuningError.incompatible(
                method: context.method,
                message: "needs the source head of the \(role) '\(runner.name)', which has none; set 'source_head' in its model card")
        }
        return classes
    }

    /// Logit distillation compares the student's new head with the teacher's source
    /// head, so the teacher must have been fine-tuned on the target classes.
    static func requireTargetLogits(_ teacher: Teacher, _ context: MethodContext) throws {
        let classes = try requireSourceHead(teacher.runner, role: "teacher", context)
        guard classes == context.classCount else {
            throw TuningError.incompatible(
                method: context.method,
                message:
                    "compares logits, so teacher '\(teacher.name)' must output the \(context.classCount) target classes, but its source head has \(classes) (use a teacher fine-tuned on this target, such as one `hubminer tune` exported)"
            )
        }
    }

    static func double(
        _ context: MethodContext, _ key: String, default fallback: Double,
        _ rule: ValueRule = .positive
    ) throws -> Double {
        let value = try context.options.double(key, default: fallback)
        let ok: Bool
        switch rule {
        case .positive: ok = value > 0
        case .nonNegative: ok = value >= 0
        }
        guard ok else {
            throw TuningError.invalidConfiguration(
                file: context.options.source, field: "method_options.\(key)",
                message: "must be \(rule == .positive ? "positive" : "zero or positive"), got \(value)")
        }
        return value
    }

    static func int(_ context: MethodContext, _ key: String, default fallback: Int, minimum: Int) throws -> Int {
        let value = try context.options.int(key, default: fallback)
        guard value >= minimum else {
            throw TuningError.invalidConfiguration(
                file: context.options.source, field: "method_options.\(key)",
                message: "must be at least \(minimum), got \(value)")
        }
        return value
    }

    enum ValueRule { case positive, nonNegative }

    /// Per-sample hint shapes of `runner`: reported, or probed with a dummy batch of
    /// two at the student's card input size (values 0.5, as `hub inspect`), without
    /// gradient. Probing a frozen copy never touches the live student's statistics.
    static func hintShapes(_ runner: any ModelRunner, _ context: MethodContext) throws -> [[Int]] {
        if let reporting = runner as? HintShapeReporting { return try reporting.hintShapes() }
        guard let card = context.hub?.entry(named: context.student.name)?.card else {
            throw TuningError.incompatible(
                method: context.method,
                message: "sizing from hint shapes needs the student's model card (its input size), and '\(context.student.name)' has none in the hub")
        }
        guard card.input.kind != .tokens else {
            throw TuningError.incompatible(method: context.method, message: "hint probing supports image and tabular inputs, not tokens")
        }
        var probe = try Tensor.full([2] + card.input.sampleShape, value: 0.5)
        // On the runner's device (the student's, which teachers join).
        if let model = runner as? HubModel, model.device != .cpu { probe = try probe.to(model.device) }
        let hints = try withNoGrad { try runner.outputs(probe, needs: .hints).hints }
        return hints.map { Array($0.shape.dropFirst()) }
    }
}
