import FeatureIO
import Foundation
import Yams
import Support

/// Reads a run configuration from a JSON or YAML file. YAML is parsed to plain
/// values and goes through the same decoder as JSON, so both report the same
/// errors: the file, the dotted field and what was expected
/// (`tune.yaml: field 'optimizer.lr': expected a number`).
package enum ConfigurationFile {
    /// `path` is used in messages as given.
    package static func load(_ path: String) throws -> TuneConfiguration {
        let url = URL(fileURLWithPath: path)
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw TuningError.invalidConfiguration(file: path, field: "-", message: "cannot read the file (\(error.localizedDescription))")
        }
        let ext = url.pathExtension.lowercased()
        let json = ext == "yaml" || ext == "yml" ? try yamlToJSON(bytes, file: path) : bytes
        return try decode(json, file: path)
    }

    /// Decodes JSON bytes, turning decoding errors into `TuningError.invalidConfiguration`.
    package static func decode(_ json: Data, file: String) throws -> TuneConfiguration {
        do {
            return try JSONDecoder().decode(TuneConfiguration.self, from: json)
        } catch let error as StrictDecoding.UnknownField {
            throw TuningError.invalidConfiguration(
                file: file, field: error.path,
                message: "unknown field (allowed here: \(error.known.joined(separator: ", ")))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw TuningError.invalidConfiguration(file: file, field: path(context.codingPath), message: "expected \(describe(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw TuningError.invalidConfiguration(file: file, field: path(context.codingPath), message: "expected \(describe(type)), found null")
        } catch let DecodingError.dataCorrupted(context) {
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError as NSError?)?.localizedDescription ?? context.debugDescription
                throw TuningError.invalidConfiguration(file: file, field: "-", message: "not valid JSON (\(detail))")
            }
            // A number that does not fit the field's type (0.5 for an integer).
            throw TuningError.invalidConfiguration(file: file, field: path(context.codingPath), message: "expected an integer")
        } catch let DecodingError.keyNotFound(key, context) {
            throw TuningError.invalidConfiguration(file: file, field: path(context.codingPath + [key]), message: "required field is missing")
        }
    }

    /// YAML to JSON bytes (mappings with string keys, sequences, scalars).
    static func yamlToJSON(_ bytes: Data, file: String) throws -> Data {
        let text = String(decoding: bytes, as: UTF8.self)
        let value: Any?
        do {
            value = try Yams.load(yaml: text)
        } catch let error as YamlError {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "not valid YAML (\(yamlMessage(error)))")
        } catch {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "not valid YAML (\(error))")
        }
        let plain = try jsonCompatible(value ?? [String: Any](), file: file, path: [])
        guard plain is [String: Any] else {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "expected a mapping of fields at the top level")
        }
        return try JSONSerialization.data(withJSONObject: plain)
    }

    /// YAML scalars (dates, binary) that JSON has no form for are errors naming the field.
    private static func jsonCompatible(_ value: Any, file: String, path: [String]) throws -> Any {
        switch value {
        case let map as [AnyHashable: Any]:
            var out = [String: Any]()
            for (key, item) in map {
                guard let name = key.base as? String else {
                    throw TuningError.invalidConfiguration(
                        file: file, field: path.isEmpty ? "-" : path.joined(separator: "."),
                        message: "key \(key.base) is not a string")
                }
                out[name] = try jsonCompatible(item, file: file, path: path + [name])
            }
            return out
        case let list as [Any]:
            return try list.enumerated().map { try jsonCompatible($0.element, file: file, path: path + ["\($0.offset)"]) }
        case is String, is Bool, is Int, is Double, is NSNull:
            return value
        default:
            if let number = value as? NSNumber { return number }
            throw TuningError.invalidConfiguration(
                file: file, field: path.joined(separator: "."),
                message: "unsupported YAML value '\(value)' (use a number, string, boolean, list or mapping)")
        }
    }

    private static func yamlMessage(_ error: YamlError) -> String {
        "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "; ")
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "\($0)" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type: return "an integer"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is OptionValue.Type: return "a number, string, boolean or list"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") || name.contains("Settings") || name.contains("Configuration") { return "an object" }
            return name
        }
    }
}
