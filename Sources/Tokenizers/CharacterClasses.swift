import Foundation

/// The character classes `tokenizers` uses, on Unicode scalars (Rust's `char`).
enum CharacterClass {
    /// Rust's `char::is_whitespace`: the White_Space property.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    /// Letters (`\p{L}`).
    static func isLetter(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// Numbers (`\p{N}`, Rust's `char::is_numeric`).
    static func isNumber(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// Unicode punctuation (`\p{P}`).
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// BERT's punctuation: every ASCII non-alphanumeric printable symbol (so `$`, `+`,
    /// `^`, ... too) and Unicode punctuation.
    static func isBertPunctuation(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        return isPunctuation(c)
    }

    /// BERT's control characters (removed by clean_text): categories Cc, Cf, Cn, Co
    /// and Cs, except tab, newline and carriage return (which are whitespace).
    static func isBertControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .format, .unassigned, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// BERT's whitespace: tab, newline, carriage return and White_Space.
    static func isBertWhitespace(_ c: Unicode.Scalar) -> Bool { isWhitespace(c) }

    /// The CJK ideograph blocks BERT surrounds with spaces.
    static func isChineseCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
            0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    /// Combining marks (Mn, Mc, Me), what StripAccents removes after NFD (so
    /// Devanagari vowel signs go too, as in `tokenizers`).
    static func isCombiningMark(_ c: Unicode.Scalar) -> Bool {
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// Non-spacing marks (Mn): what BertNormalizer's strip_accents removes (unlike
    /// StripAccents, which removes every combining mark).
    static func isNonspacingMark(_ c: Unicode.Scalar) -> Bool { c.properties.generalCategory == .nonspacingMark }

    /// Rust's regex crate `\w` (the Whitespace pre-tokeniser's `\w+|[^\w\s]+` and
    /// added tokens' `single_word` boundaries): alphabetic, marks, decimal digits,
    /// connector punctuation and join controls.
    static func isRustRegexWordCharacter(_ c: Unicode.Scalar) -> Bool {
        if c.properties.isAlphabetic || c.properties.isJoinControl { return true }
        switch c.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}

extension Array where Element == Unicode.Scalar {
    init(_ string: String) { self = Array(string.unicodeScalars) }
    var string: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: self)
        return String(s)
    }
}

extension ArraySlice where Element == Unicode.Scalar {
    var string: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: self)
        return String(s)
    }
}
