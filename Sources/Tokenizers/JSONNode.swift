import Foundation

/// A value parsed from a tokenizer file together with its JSON path, so every
/// accessor can name the file and field when the value is not what was expected.
struct JSONNode {
    let value: Any
    let path: String
    let file: String

    init(value: Any, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// Parses `data` (the whole file).
    static func parse(_ data: Data, file: String) throws -> JSONNode {
        do {
            let value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return JSONNode(value: value, path: "$", file: file)
        } catch {
            throw TokenizerError.invalidField(path: file, field: "$", expected: "valid JSON", found: "\(error.localizedDescription)")
        }
    }

    var isNull: Bool { value is NSNull }

    func fail(_ expected: String) -> TokenizerError {
        .invalidField(path: file, field: path, expected: expected, found: Self.describe(value))
    }

    static func describe(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let s as String: return "the string \"\(s.prefix(40))\""
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case let n as NSNumber: return "the number \(n)"
        default: return "\(Swift.type(of: value))"
        }
    }

    func object() throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw fail("an object") }
        return o
    }

    /// The member `key`; nil when absent or null.
    func optional(_ key: String) throws -> JSONNode? {
        let o = try object()
        guard let v = o[key], !(v is NSNull) else { return nil }
        return JSONNode(value: v, path: "\(path).\(key)", file: file)
    }

    func required(_ key: String) throws -> JSONNode {
        guard let node = try optional(key) else {
            throw TokenizerError.invalidField(path: file, field: "\(path).\(key)", expected: "a value", found: "nothing")
        }
        return node
    }

    func array() throws -> [JSONNode] {
        guard let a = value as? [Any] else { throw fail("an array") }
        guard a.count <= TokenizerLimits.maxEntries else { throw fail("at most \(TokenizerLimits.maxEntries) entries") }
        return a.enumerated().map { JSONNode(value: $0.element, path: "\(path)[\($0.offset)]", file: file) }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw fail("a string") }
        return s
    }

    func bool() throws -> Bool {
        guard let n = value as? NSNumber else { throw fail("true or false") }
        return n.boolValue
    }

    /// A non-negative integer no larger than `limit`.
    func int(max limit: Int = TokenizerLimits.maxLength) throws -> Int {
        guard let n = value as? NSNumber else { throw fail("an integer") }
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), d >= 0, d <= Double(limit) else { throw fail("an integer in 0...\(limit)") }
        return Int(d)
    }

    func double() throws -> Double {
        guard let n = value as? NSNumber else { throw fail("a number") }
        let d = n.doubleValue
        guard d.isFinite else { throw fail("a finite number") }
        return d
    }

    func string(_ key: String) throws -> String { try required(key).string() }
    func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }
    func bool(_ key: String, default value: Bool) throws -> Bool { try optional(key)?.bool() ?? value }
    /// The `type` tag of a component.
    func type() throws -> String { try string("type") }
}
