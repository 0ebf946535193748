import Foundation

/// Problems building a model from a checkpoint folder. `description` is one line
/// naming the file, the field or tensor, and what was expected.
public enum ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A file of the checkpoint is missing or unreadable.
    case unreadable(path: String, message: String)
    /// A configuration field with a bad or missing value.
    case invalidConfig(path: String, field: String, message: String)
    /// `model_type` or architecture that no family builds.
    case unsupported(path: String, what: String, supported: [String])
    /// The weights do not fit the module the configuration describes.
    case weights(path: String, problems: [String])

    public var description: String {
        switch self {
        case let .unreadable(path, message): return "\(path): \(message)"
        case let .invalidConfig(path, field, message): return "\(path): field '\(field)': \(message)"
        case let .unsupported(path, what, supported):
            return "\(path): \(what) is not supported (supported: \(supported.joined(separator: ", ")))"
        case let .weights(path, problems):
            let shown = problems.prefix(12).joined(separator: "; ")
            let more = problems.count > 12 ? "; and \(problems.count - 12) more" : ""
            return "\(path): the weights do not match the configuration: \(shown)\(more)"
        }
    }
}
