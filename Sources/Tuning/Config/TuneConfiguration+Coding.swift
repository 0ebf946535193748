import FeatureIO
import Foundation
import Support

// Decoding: every key optional (absent means the default), unknown keys rejected
// with their dotted path, so a misspelt field never silently falls back to a
// default. Encoding writes every field in snake_case (the resolved config.json).

extension KeyedDecodingContainer {
    fileprivate func value<T: Decodable>(_ key: Key, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }

    /// Integers are read as numbers and checked, so 2.5 is reported as "expected an
    /// integer" at its field (Foundation's decoder reports it as invalid JSON).
    fileprivate func integer(_ key: Key) throws -> Int? {
        guard let x = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard x == x.rounded(), Swift.abs(x) < 1e15 else {
            throw DecodingError.typeMismatch(Int.self, DecodingError.Context(codingPath: codingPath + [key], debugDescription: "not an integer"))
        }
        return Int(x)
    }

    fileprivate func integer(_ key: Key, _ fallback: Int) throws -> Int { try integer(key) ?? fallback }
}

extension TuneConfiguration {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case hub, data, target, method, teachers, methodOptions = "method_options", out, seed, epochs, iterations
        case batchSize = "batch_size", dropLast = "drop_last", optimizer, schedule, augment
        case augmentPadding = "augment_padding", labelSmoothing = "label_smoothing", ceWeight = "ce_weight"
        case evalCrop = "eval_crop"
        case meanClass = "mean_class", logEvery = "log_every", checkpointEvery = "checkpoint_every", split, workers, export
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TuneConfiguration()
        hub = try c.decodeIfPresent(String.self, forKey: .hub)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        target = try c.decodeIfPresent(String.self, forKey: .target)
        method = try c.value(.method, d.method)
        teachers = try c.value(.teachers, d.teachers)
        methodOptions = try c.value(.methodOptions, d.methodOptions)
        out = try c.value(.out, d.out)
        seed = try c.integer(.seed, d.seed)
        epochs = try c.integer(.epochs)
        iterations = try c.integer(.iterations)
        batchSize = try c.integer(.batchSize, d.batchSize)
        dropLast = try c.value(.dropLast, d.dropLast)
        optimizer = try c.value(.optimizer, d.optimizer)
        schedule = try c.value(.schedule, d.schedule)
        augment = try c.value(.augment, d.augment)
        augmentPadding = try c.integer(.augmentPadding, d.augmentPadding)
        labelSmoothing = try c.value(.labelSmoothing, d.labelSmoothing)
        ceWeight = try c.value(.ceWeight, d.ceWeight)
        evalCrop = try c.value(.evalCrop, d.evalCrop)
        meanClass = try c.value(.meanClass, d.meanClass)
        logEvery = try c.integer(.logEvery, d.logEvery)
        checkpointEvery = try c.integer(.checkpointEvery)
        split = try c.value(.split, d.split)
        workers = try c.integer(.workers, d.workers)
        export = try c.value(.export, d.export)
    }
}

extension TuneConfiguration.OptimizerSettings {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, lr, backboneLrMultiplier = "backbone_lr_multiplier", weightDecay = "weight_decay"
        case momentum, nesterov, beta1, beta2, eps
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        name = try c.value(.name, d.name)
        lr = try c.decodeIfPresent(Double.self, forKey: .lr)
        backboneLrMultiplier = try c.value(.backboneLrMultiplier, d.backboneLrMultiplier)
        weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay)
        momentum = try c.value(.momentum, d.momentum)
        nesterov = try c.value(.nesterov, d.nesterov)
        beta1 = try c.value(.beta1, d.beta1)
        beta2 = try c.value(.beta2, d.beta2)
        eps = try c.value(.eps, d.eps)
    }
}

extension TuneConfiguration.ScheduleSettings {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, warmupEpochs = "warmup_epochs", minLr = "min_lr", stepEpochs = "step_epochs", gamma
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        name = try c.value(.name, d.name)
        warmupEpochs = try c.value(.warmupEpochs, d.warmupEpochs)
        minLr = try c.value(.minLr, d.minLr)
        stepEpochs = try c.decodeIfPresent(Double.self, forKey: .stepEpochs)
        gamma = try c.value(.gamma, d.gamma)
    }
}

extension TuneConfiguration.SplitSettings {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case validationFraction = "validation_fraction", seed, trainPerClass = "train_per_class"
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        validationFraction = try c.value(.validationFraction, d.validationFraction)
        seed = try c.integer(.seed, d.seed)
        trainPerClass = try c.integer(.trainPerClass)
    }
}

extension TuneConfiguration.ExportSettings {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, weights, name
    }

    package init(from decoder: any Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = Self()
        enabled = try c.value(.enabled, d.enabled)
        weights = try c.value(.weights, d.weights)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }
}
