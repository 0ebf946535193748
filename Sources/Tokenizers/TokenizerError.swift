import Foundation

/// Everything that goes wrong reading a tokenizer or encoding with it. `description`
/// is one line naming the file, the JSON path of the field and what was expected.
public enum TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file or directory cannot be read.
    case cannotRead(path: String, reason: String)
    /// A field holding something unexpected (wrong type, out of bounds, missing).
    case invalidField(path: String, field: String, expected: String, found: String)
    /// A component (model, normaliser, ...) this package does not implement.
    case unsupported(path: String, field: String, found: String, supported: [String])
    /// A caller-supplied argument that cannot be honoured.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "\(path): cannot read: \(reason)"
        case let .invalidField(path, field, expected, found): return "\(path): \(field): expected \(expected), found \(found)"
        case let .unsupported(path, field, found, supported):
            return "\(path): \(field): unsupported '\(found)' (supported: \(supported.joined(separator: ", ")))"
        case let .invalidArgument(message): return message
        }
    }
}

/// Upper bounds on sizes read from tokenizer files, so a corrupt or hostile file
/// fails with a clear error instead of exhausting memory.
public enum TokenizerLimits {
    /// The largest tokenizer file read (tokenizer.json of multilingual models is ~20 MB).
    public static let maxFileBytes = 512 << 20
    /// The most vocabulary entries, merges or added tokens.
    public static let maxEntries = 8_000_000
    /// The longest token string, in Unicode scalars.
    public static let maxTokenLength = 4096
    /// The largest `max_input_chars_per_word`, truncation or padding length.
    public static let maxLength = 10_000_000
}
