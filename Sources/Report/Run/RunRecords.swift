/// `run.json`: what the run was, how it was configured, how long its stages took.
public struct RunInfo: Sendable, Equatable {
    public struct StageTiming: Sendable, Equatable {
        public var stage: String
        public var seconds: Double
    }

    public var title: String
    public var created: String?
    public var hub: String?
    public var task: String?
    public var config: JSONValue?
    public var timings: [StageTiming]

    init(_ r: FieldReader) throws {
        title = try r.string("title")
        created = try r.optionalString("created")
        hub = try r.optionalString("hub")
        task = try r.optionalString("task")
        config = r.optional("config")
        if let config, case .object = config {
        } else if let config {
            throw r.error("config", expected: "an object", found: config)
        }
        timings = try r.objects("timings", required: false).map {
            StageTiming(stage: try $0.string("stage"), seconds: try $0.double("seconds"))
        }
    }
}

/// `ground_truth.json`: each model's accuracy when fine-tuned on the target.
public struct GroundTruth: Sendable, Equatable {
    /// What the values measure ("top1").
    public var metric: String
    public var models: [String: Double]

    public init(metric: String, models: [String: Double]) {
        self.metric = metric
        self.models = models
    }

    init(_ r: FieldReader) throws {
        metric = try r.string("metric")
        models = try r.numbers("models")
    }
}

/// One `{"event":"step",...}` line of a tuning log.
public struct StepRecord: Sendable, Equatable {
    public var epoch: Int
    public var iteration: Int
    public var learningRate: Double?
    /// `total` and every loss term's unweighted value, by name.
    public var loss: [String: Double]
    public var seconds: Double?

    init(_ r: FieldReader) throws {
        epoch = try r.int("epoch")
        iteration = try r.int("iteration")
        learningRate = try r.optionalDouble("lr")
        loss = try r.numbers("loss")
        seconds = try r.optionalDouble("seconds")
    }
}

/// One `{"event":"epoch",...}` line of a tuning log: the evaluation after an epoch.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var iteration: Int
    public var trainLoss: [String: Double]
    public var trainTop1: Double?
    public var valLoss: Double?
    public var valTop1: Double
    public var valTop5: Double?
    public var valMeanClass: Double?
    public var seconds: Double?

    init(_ r: FieldReader) throws {
        epoch = try r.int("epoch")
        iteration = try r.int("iteration")
        if let train = try r.optionalObject("train") {
            trainLoss = train.optional("loss") == nil ? [:] : try train.numbers("loss")
            trainTop1 = try train.optionalDouble("top1")
        } else {
            trainLoss = [:]
            trainTop1 = nil
        }
        let val = try r.object("val")
        valLoss = try val.optionalDouble("loss")
        valTop1 = try val.double("top1")
        valTop5 = try val.optionalDouble("top5")
        valMeanClass = try val.optionalDouble("mean_class")
        seconds = try r.optionalDouble("seconds")
    }
}

/// A tuning run's `log.jsonl`.
public struct TuningLog: Sendable, Equatable {
    public var steps: [StepRecord] = []
    public var epochs: [EpochRecord] = []
    /// The last line had no newline and did not parse: the run was still writing
    /// it. It is left out rather than failing the report of a live run.
    public var incompleteLastLine = false
}

/// A tuning run's `result.json`.
public struct TuningResult: Sendable, Equatable {
    public struct Snapshot: Sendable, Equatable {
        public var epoch: Int
        public var top1: Double
        public var top5: Double?
        public var meanClass: Double?

        init(_ r: FieldReader) throws {
            epoch = try r.int("epoch")
            top1 = try r.double("top1")
            top5 = try r.optionalDouble("top5")
            meanClass = try r.optionalDouble("mean_class")
        }
    }

    public struct Term: Sendable, Equatable {
        public var name: String
        public var weight: Double
    }

    public var method: String
    public var model: String
    public var seed: Int
    public var classes: Int?
    public var epochs: Int?
    public var iterations: Int?
    public var best: Snapshot
    public var last: Snapshot
    public var seconds: Double?
    public var terms: [Term]

    init(_ r: FieldReader) throws {
        method = try r.string("method")
        model = try r.string("model")
        seed = try r.int("seed")
        classes = try r.optionalInt("classes")
        epochs = try r.optionalInt("epochs")
        iterations = try r.optionalInt("iterations")
        best = try Snapshot(try r.object("best"))
        last = try Snapshot(try r.object("last"))
        seconds = try r.optionalDouble("seconds")
        terms = try r.objects("terms", required: false).map { Term(name: try $0.string("name"), weight: try $0.double("weight")) }
    }
}

/// One seed of one tuning method: `tuning/<method>/seed-<n>/`.
public struct TuningSeedRun: Sendable, Equatable {
    public var seed: Int
    public var config: JSONValue?
    public var log: TuningLog?
    public var result: TuningResult?
}

/// Every seed of one tuning method, by increasing seed.
public struct TuningMethodRuns: Sendable, Equatable {
    public var method: String
    public var seeds: [TuningSeedRun]
}
