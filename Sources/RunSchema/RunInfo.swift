import Foundation

/// `run.json`: what the run was, how it was configured, how long its stages took.
/// The demo writes it; the report reads it.
public struct RunInfo: Codable, Sendable, Equatable {
    public struct StageTiming: Codable, Sendable, Equatable {
        public var stage: String
        public var seconds: Double

        public init(stage: String, seconds: Double) {
            self.stage = stage
            self.seconds = seconds
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            stage = try c.require(.stage)
            seconds = try c.require(.seconds)
        }
    }

    public var title: String
    public var created: String?
    public var hub: String?
    public var task: String?
    public var timings: [StageTiming]
    /// The configuration the producer recorded, as pretty JSON with sorted keys.
    /// Only people read it (the report shows it as text), so it is not typed here:
    /// `load` fills it in, `encoded(config:)` writes it.
    public var config: String?

    enum CodingKeys: String, CodingKey {
        case title, created, hub, task, timings
    }

    public init(title: String, created: String? = nil, hub: String? = nil, task: String? = nil, timings: [StageTiming] = []) {
        self.title = title
        self.created = created
        self.hub = hub
        self.task = task
        self.timings = timings
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        title = try c.require(.title)
        created = try c.decodeIfPresent(String.self, forKey: .created)
        hub = try c.decodeIfPresent(String.self, forKey: .hub)
        task = try c.decodeIfPresent(String.self, forKey: .task)
        timings = try c.decodeIfPresent([StageTiming].self, forKey: .timings) ?? []
    }

    /// Reads `run.json` (`file` names it in errors).
    public static func load(_ data: Data, file: String) throws -> RunInfo {
        var info = try RunJSON.decode(RunInfo.self, from: data, file: file)
        let document = try RunJSON.parse(data, file: file)
        info.config = try RunJSON.objectText((document as? [String: Any])?["config"], field: "config", file: file)
        return info
    }

    /// The file's bytes, with `config` (any `Encodable` value encoding as an object)
    /// under "config".
    public func encoded(config: (some Encodable)?) throws -> Data {
        try RunJSON.encode(WithConfig(info: self, config: config))
    }

    private struct WithConfig<Config: Encodable>: Encodable {
        let info: RunInfo
        let config: Config?
        enum Key: String, CodingKey { case config }
        func encode(to encoder: any Encoder) throws {
            try info.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encodeIfPresent(config, forKey: .config)
        }
    }
}

/// `ground_truth.json`: each model's accuracy when fine-tuned on the target.
public struct GroundTruth: Codable, Sendable, Equatable {
    /// What the values measure ("top1").
    public var metric: String
    public var models: [String: Double]

    public init(metric: String, models: [String: Double]) {
        self.metric = metric
        self.models = models
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metric = try c.require(.metric)
        models = try c.require(.models)
    }
}
