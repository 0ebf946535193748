import Foundation

/// SentencePiece's precompiled normalisation map (`precompiled_charsmap`, what
/// XLM-RoBERTa and other SentencePiece models carry): a Darts-clone double-array
/// trie from UTF-8 byte strings to offsets into a blob of NUL-terminated
/// replacements. Layout: a little-endian `UInt32` trie size in bytes, the trie's
/// `UInt32` units, then the replacement blob.
public struct PrecompiledCharsmap: TextNormalizer {
    let units: [UInt32]
    let replacements: [UInt8]

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
    }

    // Unit fields of Darts-clone's double array.
    @inline(__always) private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    @inline(__always) private static func value(_ u: UInt32) -> UInt32 { u & ((1 << 31) - 1) }
    @inline(__always) private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    @inline(__always) private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// The values of every key that is a prefix of `key`, shortest first. A malformed
    /// trie ends the search (out-of-range positions are never read).
    func commonPrefixValues(_ key: [UInt8]) -> [UInt32] {
        var results = [UInt32]()
        guard !units.isEmpty else { return results }
        var pos = Self.offset(units[0])
        for c in key {
            if c == 0 { break }
            pos ^= Int(c)
            guard pos >= 0, pos < units.count else { return results }
            let unit = units[pos]
            if Self.label(unit) != UInt32(c) { return results }
            pos ^= Self.offset(unit)
            guard pos >= 0, pos < units.count else { return results }
            if Self.hasLeaf(unit) { results.append(Self.value(units[pos])) }
        }
        return results
    }

    /// The replacement of `chunk` when the trie has a key that is a prefix of it: as
    /// SentencePiece, the first (shortest) match is taken.
    func transform(_ chunk: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        let key = Array(chunk.string.utf8)
        guard let first = commonPrefixValues(key).first else { return nil }
        let start = Int(first)
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
            let scalars = Array(grapheme.unicodeScalars)
            if grapheme.utf8.count < 6, let t = transform(scalars) {
                out += t
                continue
            }
            for c in scalars {
                if let t = transform([c]) { out += t } else { out.append(c) }
            }
        }
        return out
    }
}
