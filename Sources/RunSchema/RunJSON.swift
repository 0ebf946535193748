import Foundation

/// The one JSON dialect of run-directory files, for writers and readers alike:
/// sorted keys (the same value always gives the same text), non-finite numbers as
/// the strings "inf", "-inf" and "nan" (JSON has no spelling for them; a diverged
/// loss stays visible instead of failing a whole report), and decoding errors turned
/// into `RunDirectoryError`s that name the file, the line and the field's full path.
public enum RunJSON {
    /// Pretty-printed (files people open: run.json, result.json, ground_truth.json).
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder(pretty: true).encode(value)
    }

    /// One line, no newline (a log line).
    public static func encodeLine(_ value: some Encodable) throws -> Data {
        try encoder(pretty: false).encode(value)
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Decodes one JSON document (`line` is its line in a JSON Lines file).
    ///
    /// - Throws: `RunDirectoryError.invalidJSON` when the text is not JSON;
    ///   `.field` naming the field's path ("val.top1", "timings[1].seconds"), what the
    ///   type expects there and what the file holds.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String, line: Int? = nil) throws -> T {
        // Parse the syntax first so a syntax error is reported as such, and so a
        // type mismatch can say what the file holds at that place.
        let document = try parse(data, file: file, line: line)
        do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
            throw fieldError(error, document: document, file: file, line: line)
        }
    }

    /// The document as Foundation's untyped tree (objects, arrays, numbers, strings).
    public static func parse(_ data: Data, file: String, line: Int? = nil) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw RunDirectoryError.invalidJSON(file: file, line: line, reason: reason(error))
        }
    }

    /// An object the program records without interpreting it (a configuration), as
    /// pretty JSON with sorted keys; nil when `value` is absent or null.
    ///
    /// - Throws: `.field` when `value` is not an object.
    public static func objectText(_ value: Any?, field: String, file: String) throws -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard value is [String: Any] else {
            throw RunDirectoryError.field(file: file, line: nil, field: field, expected: "an object", found: kind(of: value))
        }
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func fieldError(_ error: DecodingError, document: Any, file: String, line: Int?) -> RunDirectoryError {
        func found(_ keys: [any CodingKey]) -> String? { value(at: keys, in: document).map(kind(of:)) }
        switch error {
        case let .keyNotFound(key, context):
            return .field(file: file, line: line, field: path(context.codingPath + [key]), expected: "a value", found: nil)
        case let .typeMismatch(type, context):
            return .field(
                file: file, line: line, field: path(context.codingPath), expected: describe(type),
                found: found(context.codingPath) ?? "another type")
        case let .valueNotFound(type, context):
            // `RequiredField.require` reports a missing key this way, with its type.
            return .field(file: file, line: line, field: path(context.codingPath), expected: describe(type), found: found(context.codingPath))
        case let .dataCorrupted(context):
            return .field(
                file: file, line: line, field: path(context.codingPath), expected: "a valid value",
                found: "an invalid one (\(context.debugDescription))")
        @unknown default:
            return .invalidJSON(file: file, line: line, reason: "\(error)")
        }
    }

    /// "train.loss.total", "timings[1].seconds".
    static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "(top level)" : out
    }

    /// The value at a coding path of the parsed document; nil when absent.
    static func value(at keys: [any CodingKey], in document: Any) -> Any? {
        var current: Any = document
        for key in keys {
            if let index = key.intValue, let array = current as? [Any] {
                guard index < array.count else { return nil }
                current = array[index]
            } else if let object = current as? [String: Any], let next = object[key.stringValue] {
                current = next
            } else {
                return nil
            }
        }
        return current
    }

    /// What kind of JSON value this is, for error messages ("found a string").
    static func kind(of value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let number as NSNumber:
            // JSONSerialization gives booleans as NSNumber too (type code "c").
            return String(cString: number.objCType) == "c" ? "a boolean" : "a number"
        default: return "a value"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type, is Double?.Type: return "a number"
        case is Int.Type, is Int64.Type, is Int?.Type: return "an integer"
        case is String.Type, is String?.Type: return "a string"
        case is Bool.Type: return "a boolean"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            return "an object"
        }
    }

    /// The parser's message without Foundation's type names.
    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        if case let DecodingError.dataCorrupted(context) = error {
            if let underlying = context.underlyingError as NSError?,
                let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                return detail
            }
            return context.debugDescription
        }
        return "\(error.localizedDescription)"
    }
}

extension KeyedDecodingContainer {
    /// A field the record cannot do without. A missing key is reported with the
    /// type it should have held ("field 'val.top1': missing, expected a number"),
    /// which the decoder's own `keyNotFound` does not carry.
    func require<T: Decodable>(_ key: Key) throws -> T {
        guard contains(key) else {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: codingPath + [key], debugDescription: "missing"))
        }
        return try decode(T.self, forKey: key)
    }
}
