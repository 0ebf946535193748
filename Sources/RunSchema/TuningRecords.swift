import Foundation

// The files of one tuning run (`OUT/` of `hubminer tune`, `tuning/<method>/seed-<n>/`
// of a run directory): the trainer writes these types, the report reads them.

/// Accuracy (and loss) of the head on the validation split after an epoch, as
/// fractions in 0...1.
public struct ValidationMetrics: Codable, Sendable, Equatable {
    /// Mean cross-entropy of the head's logits.
    public var loss: Double?
    public var top1: Double
    /// Only with more than 5 classes.
    public var top5: Double?
    /// Mean over the classes present of the per-class top-1 accuracy (when asked for).
    public var meanClass: Double?

    enum CodingKeys: String, CodingKey {
        case loss, top1, top5, meanClass = "mean_class"
    }

    public init(loss: Double? = nil, top1: Double, top5: Double? = nil, meanClass: Double? = nil) {
        self.loss = loss
        self.top1 = top1
        self.top5 = top5
        self.meanClass = meanClass
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loss = try c.decodeIfPresent(Double.self, forKey: .loss)
        top1 = try c.require(.top1)
        top5 = try c.decodeIfPresent(Double.self, forKey: .top5)
        meanClass = try c.decodeIfPresent(Double.self, forKey: .meanClass)
    }
}

/// One `{"event":"step",...}` line of `log.jsonl`.
public struct StepRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var iteration: Int
    public var learningRate: Double?
    /// `total` and every loss term's unweighted value, by name.
    public var loss: [String: Double]
    /// Training seconds so far.
    public var seconds: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, iteration, learningRate = "lr", loss, seconds
    }

    public init(epoch: Int, iteration: Int, learningRate: Double?, loss: [String: Double], seconds: Double?) {
        self.epoch = epoch
        self.iteration = iteration
        self.learningRate = learningRate
        self.loss = loss
        self.seconds = seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.require(.epoch)
        iteration = try c.require(.iteration)
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate)
        loss = try c.require(.loss)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
    }
}

/// One `{"event":"epoch",...}` line of `log.jsonl`: the evaluation after an epoch.
/// Checkpoints keep the best and the last one, and `hubminer tune` reports them.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// The epoch's training loss (sample-weighted mean of `total` and of each term)
    /// and accuracy.
    public struct Training: Codable, Sendable, Equatable {
        public var loss: [String: Double]
        public var top1: Double?

        public init(loss: [String: Double], top1: Double?) {
            self.loss = loss
            self.top1 = top1
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            loss = try c.decodeIfPresent([String: Double].self, forKey: .loss) ?? [:]
            top1 = try c.decodeIfPresent(Double.self, forKey: .top1)
        }
    }

    /// Counted from 1.
    public var epoch: Int
    public var iteration: Int
    public var train: Training?
    /// The validation result (written as "val").
    public var metrics: ValidationMetrics
    public var seconds: Double?

    enum CodingKeys: String, CodingKey {
        case epoch, iteration, train, metrics = "val", seconds
    }

    public init(epoch: Int, iteration: Int, train: Training?, metrics: ValidationMetrics, seconds: Double?) {
        self.epoch = epoch
        self.iteration = iteration
        self.train = train
        self.metrics = metrics
        self.seconds = seconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.require(.epoch)
        iteration = try c.require(.iteration)
        train = try c.decodeIfPresent(Training.self, forKey: .train)
        metrics = try c.require(.metrics)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
    }
}

/// A line of `log.jsonl`: a record tagged with its event ("step", "epoch").
public enum TuningLogLine: Sendable, Equatable {
    case step(StepRecord)
    case epoch(EpochRecord)
    /// An event this version does not know (later versions may add some).
    case other(event: String)

    enum Key: String, CodingKey { case event }

    /// The line's bytes, without the newline.
    public func encoded() throws -> Data {
        try RunJSON.encodeLine(Tagged(line: self))
    }

    /// Reads one line (`file` and `line` name it in errors).
    public static func decode(_ data: Data, file: String, line: Int) throws -> TuningLogLine {
        struct Event: Decodable {
            let event: String
            init(from decoder: any Decoder) throws { event = try decoder.container(keyedBy: Key.self).require(.event) }
        }
        switch try RunJSON.decode(Event.self, from: data, file: file, line: line).event {
        case "step": return .step(try RunJSON.decode(StepRecord.self, from: data, file: file, line: line))
        case "epoch": return .epoch(try RunJSON.decode(EpochRecord.self, from: data, file: file, line: line))
        case let other: return .other(event: other)
        }
    }

    private struct Tagged: Encodable {
        let line: TuningLogLine
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            switch line {
            case .step(let record):
                try c.encode("step", forKey: .event)
                try record.encode(to: encoder)
            case .epoch(let record):
                try c.encode("epoch", forKey: .event)
                try record.encode(to: encoder)
            case .other(let event):
                try c.encode(event, forKey: .event)
            }
        }
    }
}

/// A tuning run's `log.jsonl`, read back.
public struct TuningLog: Sendable, Equatable {
    public var steps: [StepRecord] = []
    public var epochs: [EpochRecord] = []
    /// The last line had no newline and did not parse: the run was still writing
    /// it. It is left out rather than failing the report of a live run.
    public var incompleteLastLine = false

    public init(steps: [StepRecord] = [], epochs: [EpochRecord] = [], incompleteLastLine: Bool = false) {
        self.steps = steps
        self.epochs = epochs
        self.incompleteLastLine = incompleteLastLine
    }

    /// Reads a whole log: `step` and `epoch` events; other events and blank lines
    /// are skipped.
    public static func load(_ data: Data, file: String) throws -> TuningLog {
        var log = TuningLog()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        for (index, bytes) in lines.enumerated() {
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let line: TuningLogLine
            do { line = try TuningLogLine.decode(Data(bytes), file: file, line: index + 1) } catch RunDirectoryError.invalidJSON(
                let file, let number, let reason)
            {
                if index == lines.count - 1 && !endsWithNewline {
                    log.incompleteLastLine = true
                    break
                }
                throw RunDirectoryError.invalidJSON(file: file, line: number, reason: reason)
            }
            switch line {
            case .step(let record): log.steps.append(record)
            case .epoch(let record): log.epochs.append(record)
            case .other: continue
            }
        }
        return log
    }
}

/// A tuning run's `result.json`: what `hubminer tune` reports.
public struct TuningResult: Codable, Sendable, Equatable {
    /// One epoch's validation result.
    public struct Snapshot: Codable, Sendable, Equatable {
        /// Counted from 1.
        public var epoch: Int
        public var top1: Double
        public var top5: Double?
        public var meanClass: Double?

        enum CodingKeys: String, CodingKey {
            case epoch, top1, top5, meanClass = "mean_class"
        }

        public init(epoch: Int, top1: Double, top5: Double? = nil, meanClass: Double? = nil) {
            self.epoch = epoch
            self.top1 = top1
            self.top5 = top5
            self.meanClass = meanClass
        }

        /// The validation result of an epoch record.
        public init(_ record: EpochRecord) {
            self.init(epoch: record.epoch, top1: record.metrics.top1, top5: record.metrics.top5, meanClass: record.metrics.meanClass)
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            epoch = try c.require(.epoch)
            top1 = try c.require(.top1)
            top5 = try c.decodeIfPresent(Double.self, forKey: .top5)
            meanClass = try c.decodeIfPresent(Double.self, forKey: .meanClass)
        }
    }

    /// A loss term and its weight in the total.
    public struct Term: Codable, Sendable, Equatable {
        public var name: String
        public var weight: Double

        public init(name: String, weight: Double) {
            self.name = name
            self.weight = weight
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.require(.name)
            weight = try c.require(.weight)
        }
    }

    /// The test split's result for the chosen model: the weights of the epoch
    /// chosen on validation, evaluated once, after training (nothing is selected on it).
    public struct TestEvaluation: Codable, Sendable, Equatable {
        /// What the number is, in words, for anyone reading the file.
        public static let protocolText = "evaluated once, after selection on validation"

        /// The epoch whose weights were evaluated (the one chosen on validation).
        public var epoch: Int
        public var top1: Double
        public var top5: Double?
        public var meanClass: Double?
        public var loss: Double?
        /// Test samples read.
        public var samples: Int
        /// `protocolText`.
        public var evaluation: String

        enum CodingKeys: String, CodingKey {
            case epoch, top1, top5, meanClass = "mean_class", loss, samples, evaluation
        }

        public init(
            epoch: Int, top1: Double, top5: Double? = nil, meanClass: Double? = nil, loss: Double? = nil, samples: Int,
            evaluation: String = TestEvaluation.protocolText
        ) {
            self.epoch = epoch
            self.top1 = top1
            self.top5 = top5
            self.meanClass = meanClass
            self.loss = loss
            self.samples = samples
            self.evaluation = evaluation
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            epoch = try c.require(.epoch)
            top1 = try c.require(.top1)
            top5 = try c.decodeIfPresent(Double.self, forKey: .top5)
            meanClass = try c.decodeIfPresent(Double.self, forKey: .meanClass)
            loss = try c.decodeIfPresent(Double.self, forKey: .loss)
            samples = try c.require(.samples)
            evaluation = try c.decodeIfPresent(String.self, forKey: .evaluation) ?? Self.protocolText
        }
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
    /// The test split's result for the chosen epoch (nil: the dataset has no test
    /// split, or the run was not asked to read it, as `auto`'s trials are not).
    public var test: TestEvaluation?

    public init(
        method: String, model: String, seed: Int, classes: Int?, epochs: Int?, iterations: Int?, best: Snapshot, last: Snapshot,
        seconds: Double?, terms: [Term], test: TestEvaluation? = nil
    ) {
        self.method = method
        self.model = model
        self.seed = seed
        self.classes = classes
        self.epochs = epochs
        self.iterations = iterations
        self.best = best
        self.last = last
        self.seconds = seconds
        self.terms = terms
        self.test = test
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.require(.method)
        model = try c.require(.model)
        seed = try c.require(.seed)
        classes = try c.decodeIfPresent(Int.self, forKey: .classes)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs)
        iterations = try c.decodeIfPresent(Int.self, forKey: .iterations)
        best = try c.require(.best)
        last = try c.require(.last)
        seconds = try c.decodeIfPresent(Double.self, forKey: .seconds)
        terms = try c.decodeIfPresent([Term].self, forKey: .terms) ?? []
        test = try c.decodeIfPresent(TestEvaluation.self, forKey: .test)
    }

    /// Reads `result.json` (`file` names it in errors).
    public static func load(_ data: Data, file: String) throws -> TuningResult {
        try RunJSON.decode(TuningResult.self, from: data, file: file)
    }
}
