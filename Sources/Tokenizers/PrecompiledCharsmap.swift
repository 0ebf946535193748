import Foundation

/// SentencePiece's precompiled normalisation map (`precompiled_charsmap`, what
/// XLM-RoBERTa and other SentencePiece models carry): a Darts-clone double-array
/// trie from UTF-8 byte strings to offsets into a blob of NUL-terminated
/// replacements. Layout: a little-endian `UInt32` trie size in bytes, the trie's
/// `UInt32` units, then the replacement blob.
public struct PrecompiledCharsmap: TextNormalizer {
    let units: [UInt32]
    let replacements: [UInt8]
    /// The replacement of each single ASCII character (nil: unchanged), looked up
    /// once: most text is ASCII, one grapheme per character.
    var ascii = [[Unicode.Scalar]?](repeating: nil, count: 128)
    /// Decoded replacement strings by blob offset.
    var decoded = [Int: [Unicode.Scalar]]()

    /// Parses the charsmap bytes; `file`/`field` name them in errors.
    public init(bytes: [UInt8], file: String = "precompiled_charsmap", field: String = "precompiled_charsmap") throws {
        func bad(_ expected: String, _ found: String) -> TokenizerError {
            .invalidField(path: file, field: field, expected: expected, found: found)
        }
        guard bytes.count >= 4 else { throw bad("at least 4 bytes (the trie size)", "\(bytes.count) bytes") }
        let trieBytes = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieBytes % 4 == 0, trieBytes >= 4, trieBytes <= bytes.count - 4 else {
            throw bad("a trie size that is a positive multiple of 4 within the \(bytes.count - 4) bytes that follow", "\(trieBytes)")
        }
        var units = [UInt32](repeating: 0, count: trieBytes / 4)
        for i in 0..<units.count {
            let o = 4 + 4 * i
            units[i] = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
        }
        self.units = units
        self.replacements = Array(bytes[(4 + trieBytes)...])
        guard String(validating: replacements, as: UTF8.self) != nil else { throw bad("UTF-8 replacement strings", "invalid UTF-8") }
        var start = 0
        for (i, b) in replacements.enumerated() where b == 0 {
            decoded[start] = Array((String(validating: replacements[start..<i], as: UTF8.self) ?? "").unicodeScalars)
            start = i + 1
        }
        for b in 0..<128 { ascii[b] = transform(bytes: [UInt8(b)]) }
    }

    // Unit fields of Darts-clone's double array.
    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> UInt32 { u & ((1 << 31) - 1) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// The value of the shortest key that is a prefix of `key` (SentencePiece takes
    /// the first of the common-prefix search's results). A malformed trie ends the
    /// search: out-of-range positions are never read.
    func firstPrefixValue<C: Collection>(_ key: C) -> UInt32? where C.Element == UInt8 {
        guard !units.isEmpty else { return nil }
        var pos = Self.offset(units[0])
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos >= 0, pos < units.count else { return nil }
            let unit = units[pos]
            if Self.label(unit) != UInt32(c) { return nil }
            pos ^= Self.offset(unit)
            guard pos >= 0, pos < units.count else { return nil }
            if Self.hasLeaf(unit) { return Self.value(units[pos]) }
        }
        return nil
    }

    /// The replacement of the UTF-8 `bytes` when the trie has a key that is a prefix of them.
    func transform<C: Collection>(bytes: C) -> [Unicode.Scalar]? where C.Element == UInt8 {
        guard let first = firstPrefixValue(bytes) else { return nil }
        let start = Int(first)
        if let cached = decoded[start] { return cached }
        guard start <= replacements.count else { return nil }
        var end = start
        while end < replacements.count, replacements[end] != 0 { end += 1 }
        return Array((String(validating: replacements[start..<end], as: UTF8.self) ?? "").unicodeScalars)
    }

    /// Per extended grapheme cluster: a cluster shorter than 6 UTF-8 bytes that the
    /// map transforms is replaced whole; otherwise each scalar is looked up alone
    /// (SentencePiece's rule, which `tokenizers` reproduces).
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        for grapheme in text.string {
            let scalars = grapheme.unicodeScalars
            if scalars.count == 1, let c = scalars.first, c.isASCII {
                if let t = ascii[Int(c.value)] { out += t } else { out.append(c) }
                continue
            }
            let utf8 = grapheme.utf8
            if utf8.count < 6, let t = transform(bytes: utf8) {
                out += t
                continue
            }
            for c in scalars {
                if c.isASCII {
                    if let t = ascii[Int(c.value)] { out += t } else { out.append(c) }
                } else if let t = transform(bytes: UTF8.encode(c)!) {
                    out += t
                } else {
                    out.append(c)
                }
            }
        }
        return out
    }
}
