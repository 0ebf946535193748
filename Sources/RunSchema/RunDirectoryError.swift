import Foundation

/// Why a run-directory file could not be read. Every case names the file (and, for
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
