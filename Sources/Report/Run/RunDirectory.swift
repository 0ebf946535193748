import Foundation
import Ranking
import RunSchema

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
        out.run = try reader.data("run.json").map { try RunInfo.load($0, file: reader.display("run.json")) }
        out.groundTruth = try reader.decoded("ground_truth.json", as: GroundTruth.self)
        out.ranking = try reader.decoded("ranking.json", as: RankingResult.self)
        struct EvaluationFile: Decodable { let metrics: [String: RankingQuality]; let uncertainty: [String: RankingUncertainty]? }
        let evaluation = try reader.decoded("evaluation.json", as: EvaluationFile.self)
        out.evaluation = evaluation?.metrics
        out.evaluationUncertainty = evaluation?.uncertainty
        out.tuning = try reader.tuningRuns()
        return out
    }
}

/// One seed of one tuning method: `tuning/<method>/seed-<n>/`.
public struct TuningSeedRun: Sendable, Equatable {
    public var seed: Int
    /// `config.json` as pretty JSON with sorted keys (shown, not interpreted).
    public var config: String?
    public var log: TuningLog?
    public var result: TuningResult?
}

/// Every seed of one tuning method, by increasing seed.
public struct TuningMethodRuns: Sendable, Equatable {
    public var method: String
    public var seeds: [TuningSeedRun]
}

/// Reads the files of one run directory; `root` prefixes every name in errors.
/// Every file is decoded with the types its writer encodes (`RunSchema`, `Ranking`).
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

    /// A file decoded with its writer's `Decodable` type; nil when it does not exist.
    func decoded<T: Decodable>(_ relative: String, as type: T.Type) throws -> T? {
        try data(relative).map { try RunJSON.decode(type, from: $0, file: display(relative)) }
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
                    let configFile = display("\(dir)/config.json")
                    let config = try data("\(dir)/config.json").map {
                        try RunJSON.objectText(try RunJSON.parse($0, file: configFile), field: "(top level)", file: configFile)
                    }
                    return TuningSeedRun(
                        seed: seed, config: config ?? nil,
                        log: try data("\(dir)/log.jsonl").map { try TuningLog.load($0, file: display("\(dir)/log.jsonl")) },
                        result: try decoded("\(dir)/result.json", as: TuningResult.self))
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
}
