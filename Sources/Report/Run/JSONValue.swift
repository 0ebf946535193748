import FeatureIO
import Foundation
import Support

/// Any JSON value, as read from a run directory's files.
///
/// Integers are kept apart from other numbers so a configuration prints as it
/// was written (`"epochs": 30`, not `30.0`).
public indirect enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses one JSON document.
    static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// What kind of value this is, for error messages ("found a string").
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Pretty JSON with sorted keys and two-space indents: the same value always
    /// gives the same text.
    public func prettyPrinted(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let d):
            // Swift's description is the shortest text that reads back as the same
            // Double; JSON has no spelling for NaN or infinities.
            return d.isFinite ? d.description : "null"
        case .string(let s): return jsonString(s)
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            // Short lists of scalars (metric names, seeds) read best on one line.
            if items.allSatisfy(\.isScalar) {
                let line = "[" + items.map { $0.prettyPrinted() }.joined(separator: ", ") + "]"
                if line.count <= 72 { return line }
            }
            return "[\n" + items.map { inner + $0.prettyPrinted(indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            return "{\n"
                + members.keys.sorted().map { key in
                    inner + jsonString(key) + ": " + members[key]!.prettyPrinted(indent: inner)
                }.joined(separator: ",\n") + "\n\(indent)}"
        }
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}
