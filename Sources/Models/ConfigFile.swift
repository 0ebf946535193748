import Foundation

/// A JSON object read from a checkpoint's configuration file, with typed accessors
/// whose errors name the file and the field (`config.json: field 'hidden_size'`).
public struct ConfigFile: @unchecked Sendable {
    /// The file's path, for messages.
    public let path: String
    /// The parsed object (JSONSerialization values: immutable, hence the unchecked Sendable).
    public let object: [String: Any]

    public init(object: [String: Any], path: String) {
        self.object = object
        self.path = path
    }

    /// Reads `url`; a missing file or anything but a JSON object is an error naming it.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelError.unreadable(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.unreadable(path: path, message: "expected a JSON object")
        }
        self.init(object: object, path: path)
    }

    public func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    public func int(_ key: String) throws -> Int {
        guard let value = try optionalInt(key) else { throw ModelError.invalidConfig(path: path, field: key, message: "required integer is missing") }
        return value
    }

    public func int(_ key: String, default value: Int) throws -> Int { try optionalInt(key) ?? value }

    public func optionalInt(_ key: String) throws -> Int? {
        guard has(key) else { return nil }
        if let n = object[key] as? NSNumber, n.doubleValue.rounded() == n.doubleValue { return n.intValue }
        throw ModelError.invalidConfig(path: path, field: key, message: "expected an integer, found \(object[key]!)")
    }

    public func double(_ key: String, default value: Double) throws -> Double {
        guard has(key) else { return value }
        if let n = object[key] as? NSNumber { return n.doubleValue }
        throw ModelError.invalidConfig(path: path, field: key, message: "expected a number, found \(object[key]!)")
    }

    public func string(_ key: String) throws -> String? {
        guard has(key) else { return nil }
        guard let s = object[key] as? String else {
            throw ModelError.invalidConfig(path: path, field: key, message: "expected a string, found \(object[key]!)")
        }
        return s
    }

    public func bool(_ key: String, default value: Bool) throws -> Bool {
        guard has(key) else { return value }
        guard let b = object[key] as? Bool else {
            throw ModelError.invalidConfig(path: path, field: key, message: "expected true or false, found \(object[key]!)")
        }
        return b
    }

    public func doubles(_ key: String) throws -> [Double]? {
        guard has(key) else { return nil }
        guard let list = object[key] as? [Any], let values = list.map({ ($0 as? NSNumber)?.doubleValue }) as? [Double] else {
            throw ModelError.invalidConfig(path: path, field: key, message: "expected a list of numbers, found \(object[key]!)")
        }
        return values
    }

    /// A nested object, reported as `outer.inner` in messages.
    public func child(_ key: String) throws -> ConfigFile? {
        guard has(key) else { return nil }
        guard let o = object[key] as? [String: Any] else {
            throw ModelError.invalidConfig(path: path, field: key, message: "expected an object")
        }
        return ConfigFile(object: o, path: "\(path) (\(key))")
    }
}
