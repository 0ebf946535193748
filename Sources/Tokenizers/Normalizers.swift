import Foundation

/// A text normaliser of `tokenizer.json` (`normalizer`): maps a piece of text to its
/// normalised form. Offsets are not tracked (HubMiner needs ids only).
public protocol TextNormalizer: Sendable {
    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar]
}

/// BERT's normaliser: drop control characters and map whitespace to spaces
/// (clean_text), surround CJK ideographs with spaces, strip accents (NFD, then drop
/// non-spacing marks, Mn only; defaults to `lowercase`), lowercase.
public struct BertNormalizer: TextNormalizer {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool?
    public var lowercase: Bool

    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = text
        if cleanText {
            out = out.compactMap { c in
                if c.value == 0 || c.value == 0xFFFD || CharacterClass.isBertControl(c) { return nil }
                return CharacterClass.isBertWhitespace(c) ? " " : c
            }
        }
        if handleChineseChars {
            var spaced = [Unicode.Scalar]()
            spaced.reserveCapacity(out.count)
            for c in out {
                if CharacterClass.isChineseCharacter(c) { spaced += [" ", c, " "] } else { spaced.append(c) }
            }
            out = spaced
        }
        if stripAccents ?? lowercase {
            out = UnicodeNormalizer(form: .nfd).normalize(out).filter { !CharacterClass.isNonspacingMark($0) }
        }
        if lowercase { out = Lowercase().normalize(out) }
        return out
    }
}

/// Unicode normal forms.
public struct UnicodeNormalizer: TextNormalizer {
    public enum Form: String, Sendable { case nfd = "NFD", nfkd = "NFKD", nfc = "NFC", nfkc = "NFKC" }
    public var form: Form

    public init(form: Form) { self.form = form }

    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let s = text.string
        let n: String
        switch form {
        case .nfd: n = s.decomposedStringWithCanonicalMapping
        case .nfkd: n = s.decomposedStringWithCompatibilityMapping
        case .nfc: n = s.precomposedStringWithCanonicalMapping
        case .nfkc: n = s.precomposedStringWithCompatibilityMapping
        }
        return Array(n.unicodeScalars)
    }
}

/// Per-character full lowercase mapping (no context rules: final sigma stays σ, as
/// `tokenizers` maps one `char` at a time).
public struct Lowercase: TextNormalizer {
    public init() {}
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        out.reserveCapacity(text.count)
        for c in text {
            if c.isASCII {
                out.append(c.value >= 65 && c.value <= 90 ? Unicode.Scalar(c.value + 32)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }
}

/// Removes combining marks (run NFD first to strip accents of composed letters).
public struct StripAccents: TextNormalizer {
    public init() {}
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] { text.filter { !CharacterClass.isCombiningMark($0) } }
}

/// Removes leading and/or trailing whitespace.
public struct Strip: TextNormalizer {
    public var left: Bool
    public var right: Bool
    public init(left: Bool = true, right: Bool = true) { self.left = left; self.right = right }
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var lo = 0, hi = text.count
        if left { while lo < hi, CharacterClass.isWhitespace(text[lo]) { lo += 1 } }
        if right { while hi > lo, CharacterClass.isWhitespace(text[hi - 1]) { hi -= 1 } }
        return Array(text[lo..<hi])
    }
}

/// Prepends a string to non-empty text.
public struct Prepend: TextNormalizer {
    public var prefix: [Unicode.Scalar]
    public init(_ prefix: String) { self.prefix = Array(prefix.unicodeScalars) }
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] { text.isEmpty ? text : prefix + text }
}

/// Replaces every match of a literal string or a regular expression.
public struct Replace: TextNormalizer {
    public let pattern: TextPattern
    public let content: [Unicode.Scalar]
    public init(pattern: TextPattern, content: String) { self.pattern = pattern; self.content = Array(content.unicodeScalars) }
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out = [Unicode.Scalar]()
        var last = 0
        for m in pattern.matches(in: text) where !m.isEmpty {
            out += text[last..<m.lowerBound]
            out += content
            last = m.upperBound
        }
        out += text[last...]
        return out
    }
}

/// SentencePiece's NMT normalisation: drops ASCII control characters and maps the
/// other whitespace-like code points (tab, newlines, zero-width spaces, ▁, BOM,
/// U+FFFD, ...) to a space.
public struct NmtNormalizer: TextNormalizer {
    public init() {}
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        text.compactMap { c in
            switch c.value {
            case 0x0001...0x0008, 0x000B, 0x000E...0x001F, 0x007F, 0x008F, 0x009F: return nil
            case 0x0009, 0x000A, 0x000C, 0x000D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD: return " "
            default: return c
            }
        }
    }
}

/// Normalisers applied in order.
public struct NormalizerSequence: TextNormalizer {
    public var normalizers: [any TextNormalizer]
    public init(_ normalizers: [any TextNormalizer]) { self.normalizers = normalizers }
    public func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] { normalizers.reduce(text) { $1.normalize($0) } }
}

/// A literal string or a regular expression, as `Split` and `Replace` take them.
public enum TextPattern: @unchecked Sendable {
    case literal([Unicode.Scalar])
    /// Compiled once; NSRegularExpression is immutable and safe to share.
    case regex(NSRegularExpression)

    /// Rewrites Oniguruma's `\w`/`\W` for ICU. Oniguruma's `\w`, as measured against
    /// it: alphabetic, marks, decimal digits, connector punctuation, and Latin-1's
    /// superscript digits and fractions ² ³ ¹ ¼ ½ ¾ (not ③); unlike ICU's, no join controls.
    static func onigurumaToICU(_ pattern: String) -> String {
        let word = #"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\u00B2\u00B3\u00B9\u00BC-\u00BE"#
        var out = ""
        var inClass = false
        let chars = [Character](pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                let n = chars[i + 1]
                // (`\W` inside a class is left to ICU.)
                if n == "w" {
                    out += inClass ? word : "[\(word)]"
                } else if n == "W", !inClass {
                    out += "[^\(word)]"
                } else {
                    out.append(c); out.append(n)
                }
                i += 2
                continue
            }
            if c == "[" { inClass = true } else if c == "]" { inClass = false }
            out.append(c)
            i += 1
        }
        return out
    }

    /// The non-overlapping matches, left to right, as scalar ranges.
    func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        switch self {
        case let .literal(p):
            guard !p.isEmpty, p.count <= text.count else { return [] }
            var out = [Range<Int>]()
            var i = 0
            while i + p.count <= text.count {
                if text[i..<(i + p.count)].elementsEqual(p) { out.append(i..<(i + p.count)); i += p.count } else { i += 1 }
            }
            return out
        case let .regex(re):
            let s = text.string
            let ns = s as NSString
            // Map UTF-16 offsets back to scalar indices.
            var utf16ToScalar = [Int](repeating: 0, count: ns.length + 1)
            var u = 0
            for (k, c) in text.enumerated() {
                let w = c.value > 0xFFFF ? 2 : 1
                for j in 0..<w { utf16ToScalar[u + j] = k }
                u += w
            }
            utf16ToScalar[ns.length] = text.count
            return re.matches(in: s, range: NSRange(location: 0, length: ns.length)).map {
                utf16ToScalar[$0.range.location]..<utf16ToScalar[$0.range.location + $0.range.length]
            }
        }
    }
}
