/// JSON objects decoded strictly: a key the type does not know is an error naming
/// its dotted path, so a misspelt field (in a model card, a run configuration)
/// never silently falls back to a default.
public enum StrictDecoding {
    /// An unknown key: its dotted path and the keys allowed there.
    public struct UnknownField: Error, Sendable, Equatable {
        public let path: String
        public let known: [String]
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws `UnknownField` when the object being decoded has a key not in `known`
    /// (the first in sorted order, so the message is deterministic).
    public static func rejectUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if let bad = c.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            let path = (decoder.codingPath.map(\.stringValue) + [bad]).joined(separator: ".")
            throw UnknownField(path: path, known: known)
        }
    }

    /// The same, with the keys of a `CodingKeys` enumeration.
    public static func rejectUnknownKeys<K: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: K.Type) throws {
        try rejectUnknownKeys(decoder, known: K.allCases.map(\.stringValue))
    }
}

extension KeyedDecodingContainer {
    /// An integer field read through `Double`, so that a fraction (`"height": 2.5`) is
    /// an error naming the field: Foundation's decoder reports that case with an empty
    /// coding path ("The given data was not valid JSON").
    public func decodeIntegerIfPresent(forKey key: Key) throws -> Int? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        let value = try decode(Double.self, forKey: key)
        guard value == value.rounded(), abs(value) < 9.0e15 else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath + [key], debugDescription: "expected an integer, found \(value)"))
        }
        return Int(value)
    }
}
