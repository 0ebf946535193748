import Foundation

/// Command-line options that override a configuration file (nil: keep the file's value).
package struct TuneOverrides: Sendable, Equatable {
    package var hub: String?
    package var data: String?
    package var target: String?
    package var method: String?
    /// Replaces the file's teachers when not empty.
    package var teachers: [String] = []
    /// `--option key=value`, applied over the file's `method_options` in order.
    package var options: [(key: String, value: String)] = []
    package var epochs: Int?
    package var iterations: Int?
    package var batchSize: Int?
    package var lr: Double?
    package var optimizer: String?
    package var seed: Int?
    package var augment: Bool?
    package var evalCrop: String?
    package var out: String?

    package init() {}

    package static func == (a: TuneOverrides, b: TuneOverrides) -> Bool {
        a.hub == b.hub && a.data == b.data && a.target == b.target && a.method == b.method && a.teachers == b.teachers
            && a.options.map(\.key) == b.options.map(\.key) && a.options.map(\.value) == b.options.map(\.value)
            && a.epochs == b.epochs && a.iterations == b.iterations && a.batchSize == b.batchSize && a.lr == b.lr
            && a.optimizer == b.optimizer && a.seed == b.seed && a.augment == b.augment && a.evalCrop == b.evalCrop
            && a.out == b.out
    }
}

extension TuneConfiguration {
    /// The configuration with command-line values applied. `--epochs` clears the
    /// file's `iterations` and vice versa (the command line chooses how to stop).
    package func applying(_ o: TuneOverrides) -> TuneConfiguration {
        var c = self
        if let v = o.hub { c.hub = v }
        if let v = o.data { c.data = v }
        if let v = o.target { c.target = v }
        if let v = o.method { c.method = v }
        if !o.teachers.isEmpty { c.teachers = o.teachers }
        for (key, value) in o.options { c.methodOptions[key] = OptionValue(parsing: value) }
        if let v = o.epochs { c.epochs = v; c.iterations = nil }
        if let v = o.iterations { c.iterations = v; c.epochs = nil }
        if let v = o.batchSize { c.batchSize = v }
        if let v = o.lr { c.optimizer.lr = v }
        if let v = o.optimizer { c.optimizer.name = v }
        if let v = o.seed { c.seed = v }
        if let v = o.augment { c.augment = v }
        if let v = o.evalCrop { c.evalCrop = v }
        if let v = o.out { c.out = v }
        return c
    }

    package static let optimizers = ["sgd", "adamw"]
    package static let schedules = ["cosine", "step", "constant"]

    /// Every value checked, optional ones filled in with their effective defaults.
    /// `source` names the file (or "command line") in errors.
    package func resolved(source: String) throws -> TuneConfiguration {
        func fail(_ field: String, _ message: String) -> TuningError {
            .invalidConfiguration(file: source, field: field, message: message)
        }
        var c = self
        for (field, value) in [("hub", hub), ("data", data), ("target", target)] where (value ?? "").isEmpty {
            throw fail(field, "required (give --\(field) or set '\(field)' in the config file)")
        }
        if c.method.isEmpty { throw fail("method", "required (give --method)") }
        if epochs != nil && iterations != nil { throw fail("iterations", "give either epochs or iterations, not both") }
        if let e = epochs, e < 1 { throw fail("epochs", "must be at least 1, got \(e)") }
        if let i = iterations, i < 1 { throw fail("iterations", "must be at least 1, got \(i)") }
        if epochs == nil && iterations == nil { c.epochs = 10 }
        if batchSize < 1 { throw fail("batch_size", "must be at least 1, got \(batchSize)") }
        if seed < 0 { throw fail("seed", "must be non-negative, got \(seed)") }
        if workers < 1 { throw fail("workers", "must be at least 1, got \(workers)") }
        if logEvery < 1 { throw fail("log_every", "must be at least 1, got \(logEvery)") }
        if let k = checkpointEvery, k < 1 { throw fail("checkpoint_every", "must be at least 1, got \(k)") }
        if augmentPadding < 0 { throw fail("augment_padding", "must be non-negative, got \(augmentPadding)") }
        if !(0..<1).contains(labelSmoothing) { throw fail("label_smoothing", "must be in [0, 1), got \(labelSmoothing)") }
        if !(ceWeight >= 0) || !ceWeight.isFinite { throw fail("ce_weight", "must be a finite non-negative number, got \(ceWeight)") }
        if out.isEmpty { throw fail("out", "empty path") }
        guard EvaluationCrop(rawValue: evalCrop) != nil else {
            throw fail("eval_crop", "'\(evalCrop)' is not one of \(EvaluationCrop.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        // Optimiser.
        guard Self.optimizers.contains(optimizer.name) else {
            throw fail("optimizer.name", "'\(optimizer.name)' is not one of \(Self.optimizers.joined(separator: ", "))")
        }
        let adamw = optimizer.name == "adamw"
        c.optimizer.lr = optimizer.lr ?? (adamw ? 1e-3 : 1e-2)
        c.optimizer.weightDecay = optimizer.weightDecay ?? (adamw ? 1e-2 : 5e-4)
        if let lr = c.optimizer.lr, !(lr > 0) || !lr.isFinite { throw fail("optimizer.lr", "must be a positive number, got \(lr)") }
        if let wd = c.optimizer.weightDecay, !(wd >= 0) || !wd.isFinite { throw fail("optimizer.weight_decay", "must be non-negative, got \(wd)") }
        let mult = optimizer.backboneLrMultiplier
        if !(mult >= 0) || !mult.isFinite {
            throw fail("optimizer.backbone_lr_multiplier", "must be non-negative (0 freezes the backbone), got \(mult)")
        }
        if !(0..<1).contains(optimizer.momentum) { throw fail("optimizer.momentum", "must be in [0, 1), got \(optimizer.momentum)") }
        if !adamw && optimizer.nesterov && optimizer.momentum == 0 {
            throw fail("optimizer.nesterov", "Nesterov momentum needs optimizer.momentum > 0")
        }
        if !(0..<1).contains(optimizer.beta1) { throw fail("optimizer.beta1", "must be in [0, 1), got \(optimizer.beta1)") }
        if !(0..<1).contains(optimizer.beta2) { throw fail("optimizer.beta2", "must be in [0, 1), got \(optimizer.beta2)") }
        if !(optimizer.eps > 0) { throw fail("optimizer.eps", "must be positive, got \(optimizer.eps)") }

        // Schedule.
        guard Self.schedules.contains(schedule.name) else {
            throw fail("schedule.name", "'\(schedule.name)' is not one of \(Self.schedules.joined(separator: ", "))")
        }
        if !(schedule.warmupEpochs >= 0) { throw fail("schedule.warmup_epochs", "must be non-negative, got \(schedule.warmupEpochs)") }
        if !(schedule.minLr >= 0) { throw fail("schedule.min_lr", "must be non-negative, got \(schedule.minLr)") }
        if !(schedule.gamma > 0) { throw fail("schedule.gamma", "must be positive, got \(schedule.gamma)") }
        if let s = schedule.stepEpochs, !(s > 0) { throw fail("schedule.step_epochs", "must be positive, got \(s)") }
        if schedule.name == "step" && schedule.stepEpochs == nil {
            c.schedule.stepEpochs = Swift.max(1, Double(c.epochs ?? 3) / 3).rounded(.down)
        }

        if !(split.validationFraction > 0 && split.validationFraction < 1) {
            throw fail("split.validation_fraction", "must be strictly between 0 and 1, got \(split.validationFraction)")
        }
        if split.seed < 0 { throw fail("split.seed", "must be non-negative, got \(split.seed)") }
        if let n = split.trainPerClass, n < 1 { throw fail("split.train_per_class", "must be at least 1, got \(n)") }
        guard ["best", "last"].contains(export.weights) else { throw fail("export.weights", "'\(export.weights)' is not one of best, last") }
        if let name = export.name, name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw fail("export.name", "'\(name)' is not usable as a model name (no '/', not empty, not starting with '.')")
        }
        return c
    }

    /// The resolved configuration as written to `OUT/config.json` (pretty, sorted keys),
    /// with the method options as the method read them (defaults included) and how
    /// the data was split.
    package func resolvedJSON(methodOptions resolvedOptions: [String: MethodOptions.Value], dataSplit: DataSplitRecord) throws -> Data {
        var c = self
        for (key, value) in resolvedOptions { c.methodOptions[key] = OptionValue(value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(ResolvedConfiguration(config: c, dataSplit: dataSplit))
    }
}

/// config.json: the configuration's fields plus `data_split`, in one object.
private struct ResolvedConfiguration: Encodable {
    var config: TuneConfiguration
    var dataSplit: DataSplitRecord

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        try config.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(dataSplit, forKey: Key(stringValue: "data_split"))
    }
}

/// How training and validation samples were chosen, recorded in config.json.
package struct DataSplitRecord: Codable, Sendable, Equatable {
    /// "dataset" (the dataset's own splits) or "seeded" (a stratified seeded split).
    package var kind: String
    /// The dataset split trained on ("train", or "all" when the dataset has none).
    package var train: String
    /// The split evaluated on: "validation" (the dataset's own) or "held-out" (seeded
    /// from the training data); never the test split.
    package var validation: String
    package var trainSamples: Int
    package var validationSamples: Int
    /// Seeded splits: the held-out fraction and the seed.
    package var validationFraction: Double?
    package var seed: Int?
    /// Few-data runs: the training samples kept per class (`split.train_per_class`).
    package var trainPerClass: Int?

    enum CodingKeys: String, CodingKey {
        case kind, train, validation, trainSamples = "train_samples", validationSamples = "validation_samples"
        case validationFraction = "validation_fraction", seed, trainPerClass = "train_per_class"
    }
}
