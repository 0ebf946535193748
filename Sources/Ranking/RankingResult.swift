/// Per-model diagnostics of a LogME fit, as reported by `hubminer rank`.
public struct LogMEDiagnostics: Codable, Sendable, Equatable {
    /// N.
    public var samples: Int
    /// D.
    public var dimension: Int
    /// Numerical rank of the feature matrix.
    public var rank: Int
    /// "gram" (eigendecomposition of FᵀF) or "svd" (thin SVD of F).
    public var route: String
    /// "exact" or "paper".
    public var compatibility: String
    /// Number of target columns scored.
    public var columns: Int
    /// Columns per outcome ("converged", "not_converged", "interpolates", ...).
    public var statuses: [String: Int]
    /// Most fixed-point iterations any column needed.
    public var maxIterations: Int
    /// Names of columns that did not converge (at most 20 listed).
    public var unconvergedColumns: [String]
    public var warnings: [String]

    public init(fit: LogMEFit) {
        samples = fit.sampleCount
        dimension = fit.dimension
        rank = fit.rank
        route = fit.route.rawValue
        compatibility = fit.compatibility.rawValue
        columns = fit.columns.count
        statuses = Dictionary(grouping: fit.columns, by: { $0.status.rawValue }).mapValues(\.count)
        maxIterations = fit.columns.map(\.iterations).max() ?? 0
        unconvergedColumns = Array(fit.unconvergedColumns.map(\.name).prefix(20))
        warnings = fit.warnings.filter { !$0.hasPrefix("N = ") }
    }

    enum CodingKeys: String, CodingKey {
        case samples, dimension, rank, route, compatibility, columns, statuses
        case maxIterations = "max_iterations", unconvergedColumns = "unconverged_columns", warnings
    }
}

/// One metric's verdict on one model.
public struct MetricScore: Codable, Sendable, Equatable {
    public var score: Double
    /// 1 = best among the models this metric scored.
    public var rank: Int
    public var seconds: Double
    public var details: [String: Double]
    public var warnings: [String]

    public init(score: Double, rank: Int = 0, seconds: Double, details: [String: Double] = [:], warnings: [String] = []) {
        self.score = score
        self.rank = rank
        self.seconds = seconds
        self.details = details
        self.warnings = warnings
    }
}

/// What the model's inputs looked like, and anything worth a user's attention.
public struct ModelDiagnostics: Codable, Sendable, Equatable {
    /// N.
    public var samples: Int
    /// D (0 when only source probabilities were given).
    public var dimension: Int
    /// S, the number of source classes, when source probabilities were given.
    public var sourceClasses: Int?
    /// LogME's own diagnostics, when LogME was among the metrics.
    public var logme: LogMEDiagnostics?
    /// Every metric's warnings, prefixed with the metric's name.
    public var warnings: [String]

    public init(samples: Int, dimension: Int, sourceClasses: Int? = nil, logme: LogMEDiagnostics? = nil, warnings: [String] = []) {
        self.samples = samples
        self.dimension = dimension
        self.sourceClasses = sourceClasses
        self.logme = logme
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey { case samples, dimension, sourceClasses = "source_classes", logme, warnings }
}

/// One model's place in a ranking.
public struct ModelScore: Codable, Sendable, Equatable {
    public var name: String
    /// The primary metric's score (the first metric requested).
    public var score: Double
    /// The primary metric's rank, 1 = best.
    public var rank: Int
    /// Wall-clock seconds spent on this model (reading its files and every metric).
    public var seconds: Double
    public var diagnostics: ModelDiagnostics
    /// Every requested metric's score, rank and seconds, by metric name.
    public var metrics: [String: MetricScore]
    /// A progressive ranking's verdict (`rank --hub --progressive`): the stage the
    /// model reached and why it stopped; its scores are partial when it stopped
    /// before the last stage. Absent from ordinary rankings.
    public var progressive: ProgressiveOutcome?

    public init(
        name: String, score: Double, rank: Int, seconds: Double, diagnostics: ModelDiagnostics, metrics: [String: MetricScore],
        progressive: ProgressiveOutcome? = nil
    ) {
        self.name = name
        self.score = score
        self.rank = rank
        self.seconds = seconds
        self.diagnostics = diagnostics
        self.metrics = metrics
        self.progressive = progressive
    }

    /// Whether the scores come from fewer samples than the dataset holds.
    public var isPartial: Bool { progressive?.partial == true }
}

/// A model that could not be scored, and why.
public struct ModelFailure: Codable, Sendable, Equatable {
    public var name: String
    public var error: String
    public init(name: String, error: String) { self.name = name; self.error = error }
}

/// The outcome of ranking a set of models on one target task.
public struct RankingResult: Codable, Sendable, Equatable {
    public var task: TaskKind
    /// The primary metric (the first requested); `score` and `rank` of each model are its.
    public var metric: String
    /// Every metric requested, in order.
    public var metricNames: [String]
    /// Best first by the primary metric.
    public var models: [ModelScore]
    /// Models skipped because their input was unusable (empty when all went well).
    public var failed: [ModelFailure]
    /// Warnings about the labels, shared by every model.
    public var labelWarnings: [String]

    public init(
        task: TaskKind, metric: String, metricNames: [String]? = nil, models: [ModelScore],
        failed: [ModelFailure] = [], labelWarnings: [String] = []
    ) {
        self.task = task
        self.metric = metric
        self.metricNames = metricNames ?? [metric]
        self.models = models
        self.failed = failed
        self.labelWarnings = labelWarnings
    }

    enum CodingKeys: String, CodingKey {
        case task, metric, metricNames = "metric_names", models, failed, labelWarnings = "label_warnings"
    }

    /// Assigns each metric's ranks (1 = highest score; a model the metric could not
    /// score gets none) and orders the models by the primary metric, best first;
    /// models without a primary score go last. Ties keep input order.
    public static func ranked(_ models: [ModelScore], metricNames: [String]) -> [ModelScore] {
        var out = models
        for metric in metricNames {
            let order = out.indices.filter { out[$0].metrics[metric] != nil }.sorted { a, b in
                let x = out[a].metrics[metric]!.score, y = out[b].metrics[metric]!.score
                return x != y ? x > y : a < b
            }
            for (position, i) in order.enumerated() { out[i].metrics[metric]!.rank = position + 1 }
        }
        let primary = metricNames.first ?? ""
        for i in out.indices {
            out[i].score = out[i].metrics[primary]?.score ?? .nan
            out[i].rank = out[i].metrics[primary]?.rank ?? 0
        }
        return out.enumerated().sorted { a, b in
            switch (a.element.metrics[primary], b.element.metrics[primary]) {
            case let (x?, y?): return x.rank < y.rank
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }
}
