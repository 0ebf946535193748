import Foundation

// The files of `hubminer auto --out OUT`: `OUT/trials.json` (the trial ledger, one
// record per trial, rewritten atomically after each) and `OUT/auto.json` (the whole
// search: ranking, plan, trials, the choice and its one test evaluation). The job
// writes these types and the report and the summary table read them.

/// One trial of `auto`'s search: a `tune` run in `OUT/trials/<id>/`.
public struct AutoTrial: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case finished, failed
    }

    /// "c03-r1": configuration 3 at rung 1 (the directory's name).
    public var id: String
    public var configuration: Int
    public var rung: Int
    public var model: String
    public var method: String
    public var teachers: [String]
    /// The head's learning rate.
    public var learningRate: Double
    /// The method options the search set (the others keep their defaults).
    public var options: [String: Double]
    public var epochs: Int
    public var status: Status
    /// Best validation top-1 over the trial's epochs (nil when it failed).
    public var validationTop1: Double?
    public var bestEpoch: Int?
    /// Wall-clock seconds of the trial, set-up included (a resumed trial: at least
    /// its training seconds over every session).
    public var seconds: Double?
    /// Why it failed, in one line.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case id, configuration, rung, model, method, teachers, learningRate = "lr", options, epochs, status
        case validationTop1 = "validation_top1", bestEpoch = "best_epoch", seconds, error
    }

    public init(
        id: String, configuration: Int, rung: Int, model: String, method: String, teachers: [String], learningRate: Double,
        options: [String: Double], epochs: Int, status: Status, validationTop1: Double? = nil, bestEpoch: Int? = nil,
        seconds: Double? = nil, error: String? = nil
    ) {
        self.id = id
        self.configuration = configuration
        self.rung = rung
        self.model = model
        self.method = method
        self.teachers = teachers
        self.learningRate = learningRate
        self.options = options
        self.epochs = epochs
        self.status = status
        self.validationTop1 = validationTop1
        self.bestEpoch = bestEpoch
        self.seconds = seconds
        self.error = error
    }

    /// "lr=0.01 lambda=10" (options in name order).
    public var settings: String {
        func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(format: "%g", x) }
        return (["lr=\(text(learningRate))"] + options.keys.sorted().map { "\($0)=\(text(options[$0]!))" }).joined(separator: " ")
    }
}

/// `OUT/trials.json`.
public struct AutoLedger: Codable, Sendable, Equatable {
    public var trials: [AutoTrial]
    /// Wall-clock seconds of the search so far, over every session (the budget counts them).
    public var seconds: Double?

    public init(trials: [AutoTrial], seconds: Double? = nil) {
        self.trials = trials
        self.seconds = seconds
    }

    public static func load(_ data: Data, file: String) throws -> AutoLedger {
        try RunJSON.decode(AutoLedger.self, from: data, file: file)
    }
}

/// `OUT/auto.json`: what `auto` did and chose.
public struct AutoRecord: Codable, Sendable, Equatable {
    /// A hub model's LogME score on the target (the ranking `auto` started from).
    public struct Ranked: Codable, Sendable, Equatable {
        public var model: String
        public var logme: Double
        /// Whether it was tuned (one of the top candidates).
        public var candidate: Bool

        public init(model: String, logme: Double, candidate: Bool) {
            self.model = model
            self.logme = logme
            self.candidate = candidate
        }
    }

    /// The winner and why.
    public struct Choice: Codable, Sendable, Equatable {
        public var trial: String
        public var model: String
        public var method: String
        public var settings: String
        public var epochs: Int
        public var validationTop1: Double
        /// The sentence saying why this trial won.
        public var reason: String
        /// The chosen model's test result (evaluated once, after selection on
        /// validation); nil when the data has no test split.
        public var test: TuningResult.TestEvaluation?
        /// The exported hub entry's directory.
        public var exportedModel: String?

        enum CodingKeys: String, CodingKey {
            case trial, model, method, settings, epochs, validationTop1 = "validation_top1", reason, test
            case exportedModel = "exported_model"
        }

        public init(
            trial: String, model: String, method: String, settings: String, epochs: Int, validationTop1: Double, reason: String,
            test: TuningResult.TestEvaluation?, exportedModel: String?
        ) {
            self.trial = trial
            self.model = model
            self.method = method
            self.settings = settings
            self.epochs = epochs
            self.validationTop1 = validationTop1
            self.reason = reason
            self.test = test
            self.exportedModel = exportedModel
        }
    }

    public var hub: String
    public var data: String
    /// How validation was made: "validation" (the dataset's own split) or "held-out".
    public var validation: String
    public var seed: Int
    public var budgetSeconds: Double?
    public var eta: Int
    public var rungEpochs: [Int]
    public var rungSizes: [Int]
    public var ranking: [Ranked]
    /// Methods skipped and why, budget stops, and other things worth knowing.
    public var notes: [String]
    public var trials: [AutoTrial]
    /// True when the budget stopped the search before its schedule ended.
    public var stoppedByBudget: Bool
    public var choice: Choice?
    /// Wall-clock seconds of the whole command (all sessions of a resumed run).
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case hub, data, validation, seed, budgetSeconds = "budget_seconds", eta, rungEpochs = "rung_epochs"
        case rungSizes = "rung_sizes", ranking, notes, trials, stoppedByBudget = "stopped_by_budget", choice, seconds
    }

    public init(
        hub: String, data: String, validation: String, seed: Int, budgetSeconds: Double?, eta: Int, rungEpochs: [Int],
        rungSizes: [Int], ranking: [Ranked], notes: [String], trials: [AutoTrial], stoppedByBudget: Bool, choice: Choice?,
        seconds: Double
    ) {
        self.hub = hub
        self.data = data
        self.validation = validation
        self.seed = seed
        self.budgetSeconds = budgetSeconds
        self.eta = eta
        self.rungEpochs = rungEpochs
        self.rungSizes = rungSizes
        self.ranking = ranking
        self.notes = notes
        self.trials = trials
        self.stoppedByBudget = stoppedByBudget
        self.choice = choice
        self.seconds = seconds
    }

    public static func load(_ data: Data, file: String) throws -> AutoRecord {
        try RunJSON.decode(AutoRecord.self, from: data, file: file)
    }
}
