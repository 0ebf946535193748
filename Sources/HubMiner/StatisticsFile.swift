import Foundation
import FeatureIO
import Linalg
import Ranking

/// Reads and writes one model's `FeatureStatistics` as `<model>.stats.npz`: a JSON
/// header (UTF-8 bytes in the `header` member) and float64 arrays, so NumPy reads
/// every part (`docs/STATS.md`). Written atomically.
public enum StatisticsFile {
    /// Name suffix of statistics files.
    public static let suffix = ".stats.npz"
    /// The header's `format` value.
    public static let formatName = "hubminer-feature-statistics"

    /// What the JSON header holds (the arrays hold the sums).
    struct Header: Codable {
        var format: String
        var version: Int
        var model: String
        var task: TaskKind
        var classes: [Int]
        var columnNames: [String]
        var samples: Int
        var featureDimension: Int
        var classGrams: Bool
        var origins: [ShardOrigin]
        var labelsFile: String?

        enum CodingKeys: String, CodingKey {
            case format, version, model, task, classes, samples, origins
            case columnNames = "column_names", featureDimension = "feature_dimension"
            case classGrams = "class_grams", labelsFile = "labels_file"
        }
    }

    /// The file for `model` in `directory`.
    public static func url(for model: String, in directory: URL) -> URL {
        directory.appendingPathComponent(model + suffix)
    }

    public static func write(_ s: FeatureStatistics, to url: URL, labelsFile: String? = nil) throws {
        let header = Header(
            format: formatName, version: FeatureStatistics.formatVersion, model: s.modelName, task: s.task,
            classes: s.classes, columnNames: s.columnNames, samples: s.sampleCount,
            featureDimension: s.featureDimension, classGrams: s.hasClassGrams, origins: s.origins,
            labelsFile: labelsFile)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        let d = s.featureDimension
        var arrays: [(String, NumericArray)] = [
            ("header", NumericArray(shape: [json.count], dtype: .uint8, values: json.map(Double.init))),
            ("gram_upper", NumericArray(s.logme.gramUpper)),
            ("target_feature_products", NumericArray(s.logme.targetFeatureProducts)),
            ("target_squares", NumericArray(vector: s.logme.targetSquares)),
            ("feature_sums", NumericArray(vector: s.logme.featureSums)),
            ("target_gram", NumericArray(s.targetGram)),
            ("norm_fourth_sum", NumericArray(vector: [s.normFourthSum])),
            ("norm_weighted_sums", NumericArray(vector: s.normWeightedSums)),
        ]
        if let grams = s.classGramsUpper {
            arrays.append(("class_grams_upper", NumericArray(shape: [grams.count, d, d], values: grams.flatMap(\.storage))))
        }
        try FeatureFile.writeNpz(arrays, to: url)
    }

    /// Reads a statistics file, checking its format, version and every shape.
    public static func read(_ url: URL) throws -> FeatureStatistics {
        let name = url.path
        func fail(_ reason: String) -> StatisticsFileError { .invalid(file: name, reason: reason) }
        let headerArray: NumericArray
        do { headerArray = try FeatureFile.readArray(at: url, key: "header") } catch {
            throw fail("not a statistics file (\(error))")
        }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(headerArray.values.map { UInt8(clamping: Int($0)) })) } catch {
            throw fail("unreadable JSON header (\(error))")
        }
        guard header.format == formatName else { throw fail("header format is '\(header.format)', expected '\(formatName)'") }
        guard header.version == FeatureStatistics.formatVersion else {
            throw fail(
                "statistics version \(header.version); this hubminer reads version \(FeatureStatistics.formatVersion): recompute it with `hubminer stats`"
            )
        }
        let d = header.featureDimension, k = header.columnNames.count
        func array(_ key: String, shape: [Int]) throws -> [Double] {
            let a = try FeatureFile.readArray(at: url, key: key)
            guard a.shape == shape else { throw fail("'\(key)' has shape \(a.shape), expected \(shape)") }
            return a.values
        }
        do {
            let logme = try LogMEStatistics(
                sampleCount: header.samples,
                gramUpper: Matrix(rows: d, columns: d, storage: try array("gram_upper", shape: [d, d])),
                targetFeatureProducts: Matrix(rows: k, columns: d, storage: try array("target_feature_products", shape: [k, d])),
                targetSquares: try array("target_squares", shape: [k]),
                featureSums: try array("feature_sums", shape: [d]))
            var grams: [Matrix]?
            if header.classGrams {
                let c = header.classes.count
                let all = try array("class_grams_upper", shape: [c, d, d])
                grams = (0..<c).map { Matrix(rows: d, columns: d, storage: Array(all[(($0) * d * d)..<(($0 + 1) * d * d)])) }
            }
            return try FeatureStatistics(
                modelName: header.model, task: header.task, classes: header.classes, columnNames: header.columnNames,
                logme: logme, targetGram: Matrix(rows: k, columns: k, storage: try array("target_gram", shape: [k, k])),
                normFourthSum: try array("norm_fourth_sum", shape: [1])[0],
                normWeightedSums: try array("norm_weighted_sums", shape: [d]),
                classGramsUpper: grams, origins: header.origins)
        } catch let error as StatisticsFileError {
            throw error
        } catch {
            throw fail("\(error)")
        }
    }
}

/// A statistics file that cannot be used.
public enum StatisticsFileError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalid(file: String, reason: String)
    case noStatistics(directory: String)
    case duplicateModel(model: String, files: [String])
    case missingModel(model: String, directory: String)
    case mixedTasks(String)
    /// Every model failed: one "model: reason" line each (shown even with --quiet).
    case everyModelFailed([String])

    public var description: String {
        switch self {
        case let .invalid(file, reason): return "\(file): \(reason)"
        case let .noStatistics(directory): return "no statistics files (*\(StatisticsFile.suffix)) in \(directory)"
        case let .duplicateModel(model, files):
            return "model '\(model)' has two statistics files in one shard directory: \(files.joined(separator: ", "))"
        case let .missingModel(model, directory):
            return "no statistics of model '\(model)' in shard \(directory); every shard directory must hold every model"
        case let .mixedTasks(detail): return "statistics of different tasks cannot be ranked together: \(detail)"
        case let .everyModelFailed(lines): return "no model could be scored:\n  " + lines.joined(separator: "\n  ")
        }
    }
}
