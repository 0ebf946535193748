import Foundation

/// Everything that can go wrong while reading or writing a feature file.
///
/// Every case carries the path as the user typed it, because `hubminer rank` often
/// reads several files at once and an error that does not say which one is useless.
/// `description` is always a single line of the form
/// `<path>: <where>: expected <what>, found <what>` so it can be printed as is
/// and grepped in logs.
public enum FeatureIOError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, read, or is not a regular file.
    case cannotRead(path: String, reason: String)
    /// A header or directory field holds something this reader does not accept.
    case invalidField(path: String, field: String, expected: String, found: String)
    /// The file ends before the structure it describes.
    case truncated(path: String, what: String, expectedBytes: Int, foundBytes: Int)
    /// A zip member's CRC-32 does not match its contents.
    case checksumMismatch(path: String, member: String, expected: UInt32, found: UInt32)
    /// `--key` names an array that is not in the file.
    case missingKey(path: String, key: String, available: [String])
    /// The file holds several arrays and no key was given.
    case ambiguousKey(path: String, available: [String])
    /// A key was given for a format that holds a single unnamed array.
    case keyNotApplicable(path: String, key: String, format: String)
    /// A CSV cell that is not a number.
    case notANumber(path: String, line: Int, column: Int, found: String)
    /// A CSV row with a different number of cells than the first row.
    case raggedRow(path: String, line: Int, expectedColumns: Int, foundColumns: Int)
    /// The array has a rank the caller cannot use (e.g. a 3-D array as a matrix).
    case wrongRank(path: String, shape: [Int], expected: String)
    /// A value cannot be stored in the requested dtype without changing it.
    case notRepresentable(path: String, index: Int, value: Double, dtype: String)
    /// A caller-supplied argument is out of range (e.g. a row range past the end).
    case invalidArgument(path: String, message: String)
    /// Writing the file failed; the destination is left as it was.
    case writeFailed(path: String, reason: String)

    /// The path the error is about.
    public var path: String {
        switch self {
        case .cannotRead(let p, _), .invalidField(let p, _, _, _), .truncated(let p, _, _, _),
            .checksumMismatch(let p, _, _, _), .missingKey(let p, _, _), .ambiguousKey(let p, _),
            .keyNotApplicable(let p, _, _), .notANumber(let p, _, _, _), .raggedRow(let p, _, _, _),
            .wrongRank(let p, _, _), .notRepresentable(let p, _, _, _), .invalidArgument(let p, _),
            .writeFailed(let p, _):
            return p
        }
    }

    public var description: String {
        let text: String
        switch self {
        case let .cannotRead(path, reason):
            text = "\(path): cannot read: \(reason)"
        case let .invalidField(path, field, expected, found):
            text = "\(path): \(field): expected \(expected), found \(found)"
        case let .truncated(path, what, expected, found):
            text = "\(path): truncated: \(what) needs \(expected) bytes, only \(found) present"
        case let .checksumMismatch(path, member, expected, found):
            text =
                "\(path): member '\(member)': CRC-32 mismatch: directory says "
                + hex32(expected) + ", data gives " + hex32(found) + " (the archive is corrupt)"
        case let .missingKey(path, key, available):
            text =
                "\(path): no array named '\(key)'; available: "
                + (available.isEmpty ? "(none)" : available.joined(separator: ", "))
        case let .ambiguousKey(path, available):
            text =
                "\(path): holds \(available.count) arrays (\(available.joined(separator: ", "))); "
                + "pass --key NAME to choose one"
        case let .keyNotApplicable(path, key, format):
            text = "\(path): --key '\(key)' given, but a \(format) file holds a single unnamed array"
        case let .notANumber(path, line, column, found):
            text =
                "\(path): line \(line), column \(column): expected a number, found "
                + (found.isEmpty ? "an empty cell" : "'\(found)'")
        case let .raggedRow(path, line, expected, found):
            text = "\(path): line \(line): expected \(expected) columns like the first row, found \(found)"
        case let .wrongRank(path, shape, expected):
            text = "\(path): array shape: expected \(expected), found \(formatShape(shape))"
        case let .notRepresentable(path, index, value, dtype):
            text = "\(path): element \(index): expected a value representable as \(dtype), found \(value)"
        case let .invalidArgument(path, message):
            text = "\(path): \(message)"
        case let .writeFailed(path, reason):
            text = "\(path): cannot write: \(reason)"
        }
        return oneLine(text)
    }
}

/// Shapes are shown the way NumPy prints them, since that is what users know.
func formatShape(_ shape: [Int]) -> String {
    if shape.count == 1 { return "(\(shape[0]),)" }
    return "(" + shape.map(String.init).joined(separator: ", ") + ")"
}

private func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// Keeps a message on one line even when it quotes bytes from a corrupt file.
private func oneLine(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// Quotes a fragment of file content for an error message: printable, short.
func quoted(_ s: some StringProtocol, limit: Int = 60) -> String {
    let clipped = s.count > limit ? String(s.prefix(limit)) + "..." : String(s)
    return "'" + clipped + "'"
}

/// Quotes raw bytes for an error message, escaping anything non-printable.
func quotedBytes(_ bytes: some Collection<UInt8>, limit: Int = 16) -> String {
    var out = "'"
    for b in bytes.prefix(limit) {
        if b >= 0x20 && b < 0x7f && b != UInt8(ascii: "'") && b != UInt8(ascii: "\\") {
            out.unicodeScalars.append(Unicode.Scalar(b))
        } else {
            out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
        }
    }
    if bytes.count > limit { out += "..." }
    return out + "'"
}
