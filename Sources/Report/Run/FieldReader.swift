import Foundation

/// Why a run directory could not be read. Every case names the file (and, for
/// log.jsonl, the line) and the field, and says what was expected.
public enum RunDirectoryError: Error, CustomStringConvertible, Equatable, Sendable {
    case notADirectory(path: String)
    case empty(path: String, expected: [String])
    case unreadable(file: String, reason: String)
    case invalidJSON(file: String, line: Int?, reason: String)
    /// `found` is nil when the field is missing.
    case field(file: String, line: Int?, field: String, expected: String, found: String?)

    public var description: String {
        switch self {
        case let .notADirectory(path):
            return "\(path): not a directory (expected a run directory holding run.json, ranking.json, ...)"
        case let .empty(path, expected):
            return "\(path): none of \(expected.joined(separator: ", ")) found; is this a run directory?"
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        case let .invalidJSON(file, line, reason):
            return "\(file): \(line.map { "line \($0): " } ?? "")not valid JSON (\(reason))"
        case let .field(file, line, field, expected, found):
            let what = found.map { "expected \(expected), found \($0)" } ?? "missing, expected \(expected)"
            return "\(file): \(line.map { "line \($0): " } ?? "")field '\(field)': \(what)"
        }
    }
}

/// Reads typed fields out of one JSON object, naming the file, line and full
/// field path in every error ("train.loss.total").
struct FieldReader {
    let file: String
    let line: Int?
    /// The path of this object inside the document ("" at the top).
    let path: String
    let members: [String: JSONValue]

    init(file: String, line: Int? = nil, path: String = "", value: JSONValue) throws {
        self.file = file
        self.line = line
        self.path = path
        guard case .object(let members) = value else {
            throw RunDirectoryError.field(
                file: file, line: line, field: path.isEmpty ? "(top level)" : path,
                expected: "an object", found: value.kind)
        }
        self.members = members
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, expected: String, found: JSONValue?) -> RunDirectoryError {
        .field(file: file, line: line, field: fieldPath(key), expected: expected, found: found?.kind)
    }

    /// The value under `key`; nil when absent or null.
    func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func value(_ key: String, expected: String) throws -> JSONValue {
        guard let value = members[key] else { throw error(key, expected: expected, found: nil) }
        return value
    }

    // MARK: numbers

    /// A number; the strings "nan", "inf" and "-inf" (how `hubminer` writes
    /// non-finite values) read as such, so a diverged loss is shown as a gap
    /// instead of failing the whole report.
    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .string("nan"), .string("NaN"): return .nan
        case .string("inf"), .string("Infinity"): return .infinity
        case .string("-inf"), .string("-Infinity"): return -.infinity
        default: return nil
        }
    }

    func double(_ key: String) throws -> Double {
        let value = try value(key, expected: "a number")
        guard let d = Self.number(value) else { throw error(key, expected: "a number", found: value) }
        return d
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let value = optional(key) else { return nil }
        guard let d = Self.number(value) else { throw error(key, expected: "a number", found: value) }
        return d
    }

    func int(_ key: String) throws -> Int {
        let value = try value(key, expected: "an integer")
        guard case .integer(let i) = value, let n = Int(exactly: i) else { throw error(key, expected: "an integer", found: value) }
        return n
    }

    func optionalInt(_ key: String) throws -> Int? {
        guard let value = optional(key) else { return nil }
        guard case .integer(let i) = value, let n = Int(exactly: i) else { throw error(key, expected: "an integer", found: value) }
        return n
    }

    // MARK: strings

    func string(_ key: String) throws -> String {
        let value = try value(key, expected: "a string")
        guard case .string(let s) = value else { throw error(key, expected: "a string", found: value) }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let s) = value else { throw error(key, expected: "a string", found: value) }
        return s
    }

    // MARK: containers

    func object(_ key: String) throws -> FieldReader {
        try FieldReader(file: file, line: line, path: fieldPath(key), value: try value(key, expected: "an object"))
    }

    func optionalObject(_ key: String) throws -> FieldReader? {
        guard let value = optional(key) else { return nil }
        return try FieldReader(file: file, line: line, path: fieldPath(key), value: value)
    }

    /// The elements of an array under `key`, each as an object reader ("timings[2]").
    func objects(_ key: String, required: Bool) throws -> [FieldReader] {
        guard let value = required ? try self.value(key, expected: "an array of objects") : optional(key) else { return [] }
        guard case .array(let items) = value else { throw error(key, expected: "an array of objects", found: value) }
        return try items.enumerated().map { i, item in
            try FieldReader(file: file, line: line, path: "\(fieldPath(key))[\(i)]", value: item)
        }
    }

    /// An object whose every member is a number (a loss-term table, model -> accuracy).
    func numbers(_ key: String) throws -> [String: Double] {
        let reader = try object(key)
        var out = [String: Double]()
        for (name, value) in reader.members {
            guard let d = Self.number(value) else { throw reader.error(name, expected: "a number", found: value) }
            out[name] = d
        }
        return out
    }
}
