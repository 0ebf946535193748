import Hub
import Torch

/// A tuning method: builds the loss terms added to the trainer's cross-entropy.
///
/// Registered by name in `MethodRegistry`; `hubminer tune --method NAME` picks one.
/// `makeTerms` reads its hyper-parameters from `context.options` (which reports
/// unknown keys after the call) and fails with `TuningError` naming the method
/// when the models do not fit it (for example a teacher whose output space differs).
package protocol TuningMethod {
    /// The `--method` name ("finetune", "btuning", "kd", ...).
    static var name: String { get }
    /// One line for `hubminer tune --help` and the docs.
    static var summary: String { get }
    static func makeTerms(_ context: MethodContext) throws -> [any LossTerm]
}

/// Everything a method may use to build its terms.
package struct MethodContext {
    package var method: String
    /// The model being tuned (its backbone parameters are live and trainable).
    package var student: any ModelRunner
    /// The student's backbone parameters by name, live (for L2-SP, DELTA, ...).
    package var studentParameters: [(name: String, tensor: Tensor)]
    /// Copies of the backbone parameters at the start of tuning (the pre-trained point).
    package var initialParameters: [String: Tensor]
    /// Target classes.
    package var classCount: Int
    package var options: MethodOptions
    /// Teachers named by the run (`--teacher`/`--teachers`), possibly empty.
    package var teacherNames: [String]
    /// The hub the student and teachers come from (nil when tuning a bare model file).
    package var hub: HubManifest?
    /// Opens a hub model by name as a frozen runner (eval mode, no gradient).
    package var loadModel: (String) throws -> any ModelRunner
    /// A model's outputs on the whole training split, without augmentation or
    /// gradient, rows in dataset order (features [N, D] float32, and source logits
    /// when asked for and available).
    package var trainingOutputs: (any ModelRunner, OutputNeeds) throws -> ModelOutputs
    /// Training labels in dataset order (0..<classCount).
    package var trainingLabels: [Int]
    /// Whether training batches are randomly augmented (teachers cannot be cached then).
    package var augmented: Bool
    /// For messages: "tune.json" or "command line".
    package var configSource: String

    package init(
        method: String, student: any ModelRunner, studentParameters: [(name: String, tensor: Tensor)],
        initialParameters: [String: Tensor], classCount: Int, options: MethodOptions, teacherNames: [String],
        hub: HubManifest?, loadModel: @escaping (String) throws -> any ModelRunner,
        trainingOutputs: @escaping (any ModelRunner, OutputNeeds) throws -> ModelOutputs,
        trainingLabels: [Int], augmented: Bool, configSource: String
    ) {
        self.method = method
        self.student = student
        self.studentParameters = studentParameters
        self.initialParameters = initialParameters
        self.classCount = classCount
        self.options = options
        self.teacherNames = teacherNames
        self.hub = hub
        self.loadModel = loadModel
        self.trainingOutputs = trainingOutputs
        self.trainingLabels = trainingLabels
        self.augmented = augmented
        self.configSource = configSource
    }
}

/// A method's hyper-parameters (the config's `method_options` object and
/// `--option key=value` overrides). Reads are typed; a wrong type is an error
/// naming the field; keys that no read asked for are reported by `unusedKeys`
/// (a misspelt option must not fall back to a default silently).
package final class MethodOptions {
    package enum Value: Sendable, Equatable, Codable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case list([Value])
    }

    package private(set) var values: [String: Value]
    /// "tune.json" or "command line", for messages.
    package let source: String
    private var read: Set<String> = []
    /// Every value read, defaults included: saved with the resolved configuration.
    package private(set) var resolved: [String: Value] = [:]

    package init(_ values: [String: Value] = [:], source: String = "command line") {
        self.values = values
        self.source = source
    }

    package var unusedKeys: [String] { values.keys.filter { !read.contains($0) }.sorted() }

    private func field(_ key: String) -> String { "method_options.\(key)" }

    package func double(_ key: String, default fallback: Double) throws -> Double {
        read.insert(key)
        guard let value = values[key] else { resolved[key] = .number(fallback); return fallback }
        switch value {
        case .number(let x) where x.isFinite: resolved[key] = value; return x
        case .string(let s): if let x = Double(s), x.isFinite { resolved[key] = .number(x); return x }
        default: break
        }
        throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected a finite number, got \(value)")
    }

    package func int(_ key: String, default fallback: Int) throws -> Int {
        let x = try double(key, default: Double(fallback))
        guard x == x.rounded(), abs(x) < 1e15 else {
            throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected an integer, got \(x)")
        }
        resolved[key] = .number(x)
        return Int(x)
    }

    package func string(_ key: String, default fallback: String, allowed: [String]? = nil) throws -> String {
        read.insert(key)
        let s: String
        switch values[key] {
        case nil: s = fallback
        case .string(let v)?: s = v
        case let other?:
            throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected a string, got \(other)")
        }
        if let allowed, !allowed.contains(s) {
            throw TuningError.invalidConfiguration(
                file: source, field: field(key),
                message: "'\(s)' is not one of \(allowed.joined(separator: ", "))")
        }
        resolved[key] = .string(s)
        return s
    }

    package func bool(_ key: String, default fallback: Bool) throws -> Bool {
        read.insert(key)
        switch values[key] {
        case nil: resolved[key] = .bool(fallback); return fallback
        case .bool(let b)?: resolved[key] = .bool(b); return b
        case .string(let s)? where ["true", "false"].contains(s.lowercased()):
            let b = s.lowercased() == "true"
            resolved[key] = .bool(b)
            return b
        case let other?:
            throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected true or false, got \(other)")
        }
    }

    /// A list of names: a list value, or one comma-separated string (what
    /// `--option teachers=a,b` gives). Empty names are errors.
    package func strings(_ key: String, default fallback: [String] = []) throws -> [String] {
        read.insert(key)
        let names: [String]
        switch values[key] {
        case nil:
            names = fallback
        case .string(let joined)?:
            names = joined.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        case .list(let items)?:
            names = try items.map { item in
                guard case .string(let name) = item else {
                    throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected a list of names, got \(item)")
                }
                return name
            }
        case let other?:
            throw TuningError.invalidConfiguration(file: source, field: field(key), message: "expected a list of names, got \(other)")
        }
        if names.contains(where: \.isEmpty) {
            throw TuningError.invalidConfiguration(file: source, field: field(key), message: "empty name in \(names)")
        }
        resolved[key] = .list(names.map { .string($0) })
        return names
    }

    /// Sets (or overrides) a value, as `--option key=value` does.
    package func set(_ key: String, _ value: Value) { values[key] = value }
}
