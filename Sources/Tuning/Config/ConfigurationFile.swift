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

    /// The most YAML values (scalars, lists, mappings) a configuration may expand to.
    /// Aliases make a few lines expand exponentially (the "billion laughs"); a real run
    /// configuration has a few hundred values.
    static let maxYAMLNodes = 100_000

    /// YAML to JSON bytes (mappings with string keys, sequences, scalars).
    ///
    /// The document is composed to a node tree (aliases are shared there, not copied)
    /// and converted here rather than by `Yams.load`, so that the expansion is counted
    /// and stopped at `maxYAMLNodes`, a key written twice in one mapping is an error
    /// naming it (YAML says keys are unique; Yams would keep the last silently), and a
    /// non-finite number (`.nan`, `.inf`) names its field. A UTF-8 byte order mark at
    /// the start is skipped.
    static func yamlToJSON(_ bytes: Data, file: String) throws -> Data {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "not valid YAML (\(yamlMessage(error)))")
        } catch {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "not valid YAML (\(error))")
        }
        var converter = YAMLConverter(file: file, budget: maxYAMLNodes)
        let plain = try root.map { try converter.convert($0, path: []) } ?? [String: Any]()
        guard plain is [String: Any] else {
            throw TuningError.invalidConfiguration(file: file, field: "-", message: "expected a mapping of fields at the top level")
        }
        return try JSONSerialization.data(withJSONObject: plain)
    }

    /// Converts composed YAML nodes to JSON-compatible values, counting every node
    /// visited (an alias is visited each time it is used).
    struct YAMLConverter {
        let file: String
        var budget: Int

        /// The resolved tag (Yams keeps `Tag.name` internal; its description is the name).
        static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.description) }

        private func fail(_ path: [String], _ message: String) -> TuningError {
            TuningError.invalidConfiguration(file: file, field: path.isEmpty ? "-" : path.joined(separator: "."), message: message)
        }

        mutating func convert(_ node: Node, path: [String]) throws -> Any {
            budget -= 1
            guard budget >= 0 else {
                throw fail(
                    path,
                    "the document expands to more than \(ConfigurationFile.maxYAMLNodes) values (aliases repeating aliases?); refused")
            }
            switch node {
            case .scalar(let scalar):
                switch Self.tagName(node) {
                case .null: return NSNull()
                case .bool:
                    guard let value = node.bool else { throw fail(path, "'\(scalar.string)' is not a boolean") }
                    return value
                case .int:
                    if let value = node.int { return value }
                    guard let value = node.float, value.isFinite else { throw fail(path, "'\(scalar.string)' is not a number") }
                    return value
                case .float:
                    guard let value = node.float else { throw fail(path, "'\(scalar.string)' is not a number") }
                    guard value.isFinite else { throw fail(path, "'\(scalar.string)' is not a finite number") }
                    return value
                case .str:
                    return scalar.string
                default:
                    throw fail(
                        path, "unsupported YAML value '\(scalar.string)' (use a number, string, boolean, list or mapping)")
                }
            case .sequence(let sequence):
                var out = [Any]()
                for (i, item) in sequence.enumerated() { out.append(try convert(item, path: path + ["\(i)"])) }
                return out
            case .mapping(let mapping):
                var out = [String: Any]()
                var merged = [[String: Any]]()
                for (key, value) in mapping {
                    if Self.tagName(key) == .merge {
                        // `<<: *base` (or a list of them): the merged keys fill in what
                        // this mapping does not set itself.
                        let sources: [Node]
                        if case .sequence(let list) = value { sources = Array(list) } else { sources = [value] }
                        for source in sources {
                            guard case .mapping = source, let map = try convert(source, path: path) as? [String: Any] else {
                                throw fail(path, "'<<' merges mappings only")
                            }
                            merged.append(map)
                        }
                        continue
                    }
                    guard case .scalar(let scalar) = key, Self.tagName(key) == .str else {
                        throw fail(path, "key \(key.scalar?.string ?? "(a list or mapping)") is not a string")
                    }
                    let name = scalar.string
                    guard out[name] == nil else {
                        throw fail(path + [name], "duplicate key (written twice in one mapping; which one is meant is unclear)")
                    }
                    out[name] = try convert(value, path: path + [name])
                }
                for map in merged {
                    for (name, value) in map where out[name] == nil { out[name] = value }
                }
                return out
            }
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
