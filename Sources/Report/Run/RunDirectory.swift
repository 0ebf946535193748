import Foundation
import Ranking

/// Everything a run directory holds, read into typed values. Each part is
/// optional: a stage that was skipped or has not finished yet is nil (or, for
/// tuning, absent), and the report says "not run" for it.
public struct RunDirectory: Sendable {
    /// The directory as the user named it; file names in errors start with it.
    public var path: String
    public var run: RunInfo?
    public var ranking: RankingResult?
    public var groundTruth: GroundTruth?
    /// `hubminer evaluate --format json`: ranking quality by metric (and baseline).
    public var evaluation: [String: RankingQuality]?
    /// `hubminer evaluate --resamples N --format json`: the bootstrap intervals and
    /// robustness by metric (and baseline); nil when the file has none.
    public var evaluationUncertainty: [String: RankingUncertainty]?
    /// By method name.
    public var tuning: [TuningMethodRuns]

    public init(
        path: String, run: RunInfo? = nil, ranking: RankingResult? = nil, groundTruth: GroundTruth? = nil,
        evaluation: [String: RankingQuality]? = nil, tuning: [TuningMethodRuns] = []
    ) {
        self.path = path
        self.run = run
        self.ranking = ranking
        self.groundTruth = groundTruth
        self.evaluation = evaluation
        self.tuning = tuning
    }

    static let knownEntries = ["run.json", "ranking.json", "ground_truth.json", "evaluation.json", "tuning"]

    /// Reads the run directory at `path`.
    ///
    /// - Throws: `RunDirectoryError` naming the file (and line) and field when a
    ///   file is not valid JSON or lacks a field the report needs; when `path` is
    ///   not a directory; when it holds none of the known files.
    public static func load(_ path: String) throws -> RunDirectory {
        var root = path
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunDirectoryError.notADirectory(path: root)
        }
        guard knownEntries.contains(where: { FileManager.default.fileExists(atPath: root + "/" + $0) }) else {
            throw RunDirectoryError.empty(path: root, expected: knownEntries)
        }
        var out = RunDirectory(path: root)
        let reader = RunFileReader(root: root)
        out.run = try reader.object("run.json").map(RunInfo.init)
        out.groundTruth = try reader.object("ground_truth.json").map(GroundTruth.init)
        out.ranking = try reader.decoded("ranking.json", as: RankingResult.self)
        struct EvaluationFile: Decodable { let metrics: [String: RankingQuality]; let uncertainty: [String: RankingUncertainty]? }
        let evaluation = try reader.decoded("evaluation.json", as: EvaluationFile.self)
        out.evaluation = evaluation?.metrics
        out.evaluationUncertainty = evaluation?.uncertainty
        out.tuning = try reader.tuningRuns()
        return out
    }
}

/// Reads the files of one run directory; `root` prefixes every name in errors.
struct RunFileReader {
    let root: String

    func display(_ relative: String) -> String { root + "/" + relative }

    /// The bytes of a file, or nil when it does not exist.
    func data(_ relative: String) throws -> Data? {
        let path = display(relative)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw RunDirectoryError.unreadable(file: path, reason: "cannot read (\(error.localizedDescription))")
        }
    }

    func object(_ relative: String) throws -> FieldReader? {
        guard let data = try data(relative) else { return nil }
        return try FieldReader(file: display(relative), value: try parse(data, file: display(relative), line: nil))
    }

    func parse(_ data: Data, file: String, line: Int?) throws -> JSONValue {
        do { return try JSONValue.parse(data) } catch {
            throw RunDirectoryError.invalidJSON(file: file, line: line, reason: Self.reason(error))
        }
    }

    /// A file decoded with the project's own `Decodable` type (what `hubminer`
    /// itself wrote), with decoding errors turned into field-naming ones.
    func decoded<T: Decodable>(_ relative: String, as type: T.Type) throws -> T? {
        guard let data = try data(relative) else { return nil }
        let file = display(relative)
        // Validate the syntax first so a syntax error is reported as such.
        _ = try parse(data, file: file, line: nil)
        let decoder = JSONDecoder()
        // `hubminer rank --format json` writes non-finite scores as these strings.
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
            throw Self.fieldError(error, file: file)
        }
    }

    static func fieldError(_ error: DecodingError, file: String) -> RunDirectoryError {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "(top level)" : out
        }
        switch error {
        case let .keyNotFound(key, context):
            return .field(file: file, line: nil, field: path(context.codingPath + [key]), expected: "a value", found: nil)
        case let .typeMismatch(type, context):
            return .field(file: file, line: nil, field: path(context.codingPath), expected: describe(type), found: "another type")
        case let .valueNotFound(type, context):
            return .field(file: file, line: nil, field: path(context.codingPath), expected: describe(type), found: "null")
        case let .dataCorrupted(context):
            return .field(
                file: file, line: nil, field: path(context.codingPath), expected: "a valid value",
                found: "an invalid one (\(context.debugDescription))")
        @unknown default:
            return .invalidJSON(file: file, line: nil, reason: "\(error)")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }

    /// The parser's message without Foundation's type names.
    static func reason(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(context) = error {
            if let underlying = context.underlyingError as NSError?,
                let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                return detail
            }
            return context.debugDescription
        }
        return "\(error)"
    }

    // MARK: tuning

    /// `tuning/<method>/seed-<n>/`, methods by name, seeds by number. Entries that
    /// are not directories, or not named `seed-<n>`, are not runs and are skipped.
    func tuningRuns() throws -> [TuningMethodRuns] {
        let methods = try directories(in: "tuning")
        return try methods.map { method in
            let seeds = try directories(in: "tuning/\(method)").compactMap { name -> (Int, String)? in
                guard name.hasPrefix("seed-"), let n = Int(name.dropFirst(5)) else { return nil }
                return (n, name)
            }.sorted { $0.0 < $1.0 }
            return TuningMethodRuns(
                method: method,
                seeds: try seeds.map { seed, name in
                    let dir = "tuning/\(method)/\(name)"
                    let config = try data("\(dir)/config.json").map { try parse($0, file: display("\(dir)/config.json"), line: nil) }
                    return TuningSeedRun(
                        seed: seed, config: config, log: try log("\(dir)/log.jsonl"),
                        result: try object("\(dir)/result.json").map(TuningResult.init))
                })
        }
    }

    func directories(in relative: String) throws -> [String] {
        let path = display(relative)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw RunDirectoryError.unreadable(file: path, reason: "cannot list (\(error.localizedDescription))")
        }
        return names.filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &dir) && dir.boolValue
        }.sorted()
    }

    /// Reads `log.jsonl`: `step` and `epoch` events; other events are skipped
    /// (later versions may add some), blank lines too.
    func log(_ relative: String) throws -> TuningLog? {
        guard let data = try data(relative) else { return nil }
        let file = display(relative)
        var log = TuningLog()
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        for (index, bytes) in lines.enumerated() {
            let number = index + 1
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value: JSONValue
            do { value = try parse(Data(bytes), file: file, line: number) } catch {
                if index == lines.count - 1 && !endsWithNewline { log.incompleteLastLine = true; break }
                throw error
            }
            let record = try FieldReader(file: file, line: number, value: value)
            switch try record.string("event") {
            case "step": log.steps.append(try StepRecord(record))
            case "epoch": log.epochs.append(try EpochRecord(record))
            default: continue
            }
        }
        return log
    }
}
