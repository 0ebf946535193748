import Foundation

/// Reads safetensors files: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian C-order data.
///
/// Every range is checked against the shape and the file before any byte is touched,
/// since the header is the one place a bad file can point us out of bounds.
enum SafetensorsReader {
    /// The reference implementation refuses larger headers; so do we, to bound memory.
    static let maximumHeaderLength = 100_000_000

    struct Tensor {
        var name: String
        var array: RawArray
        var begin: Int
        var end: Int
    }

    static func parse(_ file: ByteSlice, path: String) throws -> [Tensor] {
        let r = ByteReader(bytes: file.bytes)
        guard let length64 = r.u64(0) else {
            throw FeatureIOError.truncated(
                path: path, what: "the 8-byte header length", expectedBytes: 8,
                foundBytes: file.count)
        }
        guard length64 <= UInt64(maximumHeaderLength) else {
            throw FeatureIOError.invalidField(
                path: path, field: "header length",
                expected: "at most \(maximumHeaderLength) bytes", found: "\(length64)")
        }
        let headerLength = Int(length64)
        guard let headerBytes = r.slice(8, headerLength) else {
            throw FeatureIOError.truncated(
                path: path, what: "the JSON header (its length field)",
                expectedBytes: 8 + headerLength, foundBytes: file.count)
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(headerBytes))
        } catch {
            throw FeatureIOError.invalidField(
                path: path, field: "JSON header", expected: "valid JSON",
                found: quotedBytes(headerBytes.prefix(40), limit: 40)
                    + " (" + describe(error) + ")")
        }
        guard case .object(let entries) = json else {
            throw FeatureIOError.invalidField(
                path: path, field: "JSON header", expected: "an object",
                found: json.kind)
        }
        let dataStart = 8 + headerLength
        let dataSize = file.count - dataStart
        var tensors: [Tensor] = []
        for (name, value) in entries where name != "__metadata__" {
            let field = "tensor '\(name)'"
            guard case .object(let info) = value else {
                throw FeatureIOError.invalidField(
                    path: path, field: field,
                    expected: "an object with dtype, shape and data_offsets",
                    found: value.kind)
            }
            guard case .string(let dtypeName)? = info["dtype"] else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): dtype", expected: "a string such as \"F32\"",
                    found: info["dtype"]?.kind ?? "nothing")
            }
            guard let dtype = ElementType(safetensorsName: dtypeName) else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): dtype",
                    expected: "one of " + ElementType.allCases.map(\.safetensorsName).joined(separator: ", "),
                    found: quoted(dtypeName))
            }
            guard case .array(let dims)? = info["shape"], let shape = integers(dims), shape.allSatisfy({ $0 >= 0 }) else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): shape",
                    expected: "an array of non-negative integers",
                    found: info["shape"]?.kind ?? "nothing")
            }
            guard case .array(let offsetValues)? = info["data_offsets"], let offsets = integers(offsetValues),
                offsets.count == 2
            else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): data_offsets",
                    expected: "[begin, end] as two integers",
                    found: info["data_offsets"]?.kind ?? "nothing")
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): data_offsets",
                    expected: "0 <= begin <= end <= \(dataSize) (the data section size)",
                    found: "[\(begin), \(end)]")
            }
            guard let byteCount = checkedByteCount(shape: shape, itemSize: dtype.byteCount), byteCount == end - begin else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(field): data_offsets",
                    expected:
                        "a range of \(checkedByteCount(shape: shape, itemSize: dtype.byteCount).map(String.init) ?? "?") bytes for shape \(formatShape(shape)) of \(dtypeName)",
                    found: "[\(begin), \(end)], \(end - begin) bytes")
            }
            let array = RawArray(
                path: path, shape: shape, dtype: dtype, bigEndian: false, fortranOrder: false,
                data: file.slice((dataStart + begin)..<(dataStart + end)))
            tensors.append(Tensor(name: name, array: array, begin: begin, end: end))
        }
        // File order, which is what users see from `safetensors` tooling.
        tensors.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        // Tensors may not share bytes: an overlap means the header is corrupt.
        for (previous, next) in zip(tensors, tensors.dropFirst()) where next.begin < previous.end {
            throw FeatureIOError.invalidField(
                path: path, field: "tensor '\(next.name)': data_offsets",
                expected: "a range after tensor '\(previous.name)' (which ends at \(previous.end))",
                found: "[\(next.begin), \(next.end)]")
        }
        return tensors
    }

    private static func integers(_ values: [JSONValue]) -> [Int]? {
        var out: [Int] = []
        for value in values {
            guard case .integer(let n) = value else { return nil }
            out.append(n)
        }
        return out
    }

    private static func describe(_ error: Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .dataCorrupted(let context): return context.debugDescription
            default: return "not decodable"
            }
        }
        return "\(error)"
    }
}

/// Just enough JSON to walk a safetensors header without trusting its shape.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Int.self) {
            self = .integer(n)
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// What a value is, for "expected ..., found ..." messages.
    var kind: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .integer(let n): return "\(n)"
        case .number(let d): return "\(d)"
        case .string(let s): return quoted(s)
        case .array(let a): return "an array of \(a.count) items"
        case .object: return "an object"
        }
    }
}
