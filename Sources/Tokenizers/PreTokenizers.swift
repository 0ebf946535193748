import Foundation

/// A piece of normalised text on its way to the model. `atStart` says whether it
/// begins at the start of the input (Metaspace's `prepend_scheme: first`).
public struct TextPiece: Sendable, Equatable {
    public var scalars: [Unicode.Scalar]
    public var atStart: Bool
    public init(_ scalars: [Unicode.Scalar], atStart: Bool) { self.scalars = scalars; self.atStart = atStart }
}

/// A pre-tokeniser of `tokenizer.json` (`pre_tokenizer`): splits pieces into words.
public protocol PreTokenizer: Sendable {
    func preTokenize(_ piece: TextPiece) -> [TextPiece]
}

/// What happens to the delimiters when splitting (`tokenizers`' SplitDelimiterBehavior).
public enum SplitBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext", contiguous = "Contiguous"
}

enum Splitter {
    /// Splits `piece` along `matches` (ranges covering the whole text in order, each
    /// flagged as a delimiter or not) with `behavior`; empty pieces are dropped.
    static func split(_ piece: TextPiece, _ matches: [(Range<Int>, Bool)], _ behavior: SplitBehavior) -> [TextPiece] {
        var ranges = [(Range<Int>, Bool)]() // (range, remove)
        switch behavior {
        case .isolated: ranges = matches.map { ($0.0, false) }
        case .removed: ranges = matches
        case .contiguous:
            var previous = false
            for (r, isMatch) in matches {
                if isMatch == previous, let last = ranges.last {
                    ranges[ranges.count - 1] = (last.0.lowerBound..<r.upperBound, false)
                } else {
                    ranges.append((r, false))
                }
                previous = isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for (r, isMatch) in matches {
                if isMatch, !previous, let last = ranges.last {
                    ranges[ranges.count - 1] = (last.0.lowerBound..<r.upperBound, false)
                } else {
                    ranges.append((r, false))
                }
                previous = isMatch
            }
        case .mergedWithNext:
            var previous = false
            for (r, isMatch) in matches.reversed() {
                if isMatch, !previous, let last = ranges.last {
                    ranges[ranges.count - 1] = (r.lowerBound..<last.0.upperBound, false)
                } else {
                    ranges.append((r, false))
                }
                previous = isMatch
            }
            ranges.reverse()
        }
        return ranges.compactMap { r, remove in
            guard !remove, !r.isEmpty else { return nil }
            return TextPiece(Array(piece.scalars[r]), atStart: piece.atStart && r.lowerBound == 0)
        }
    }

    /// Each scalar satisfying `isDelimiter` is its own match.
    static func characterMatches(_ text: [Unicode.Scalar], _ isDelimiter: (Unicode.Scalar) -> Bool) -> [(Range<Int>, Bool)] {
        var out = [(Range<Int>, Bool)]()
        var last = 0
        for (i, c) in text.enumerated() where isDelimiter(c) {
            if last < i { out.append((last..<i, false)) }
            out.append((i..<(i + 1), true))
            last = i + 1
        }
        if last < text.count { out.append((last..<text.count, false)) }
        return out
    }

    /// Pattern matches turned into a covering list.
    static func rangeMatches(_ count: Int, _ found: [Range<Int>]) -> [(Range<Int>, Bool)] {
        var out = [(Range<Int>, Bool)]()
        var last = 0
        for m in found where !m.isEmpty && m.lowerBound >= last {
            if last < m.lowerBound { out.append((last..<m.lowerBound, false)) }
            out.append((m, true))
            last = m.upperBound
        }
        if last < count { out.append((last..<count, false)) }
        return out
    }
}

/// BERT's: split on whitespace (removed), then isolate each punctuation character.
public struct BertPreTokenizer: PreTokenizer {
    public init() {}
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        Splitter.split(piece, Splitter.characterMatches(piece.scalars, CharacterClass.isWhitespace), .removed).flatMap {
            Splitter.split($0, Splitter.characterMatches($0.scalars, CharacterClass.isBertPunctuation), .isolated)
        }
    }
}

/// `\w+|[^\w\s]+` (Rust regex's `\w`): runs of word characters and runs of other
/// non-space characters.
public struct WhitespacePreTokenizer: PreTokenizer {
    public init() {}
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        var found = [Range<Int>]()
        let s = piece.scalars
        var i = 0
        while i < s.count {
            if CharacterClass.isWhitespace(s[i]) { i += 1; continue }
            let word = CharacterClass.isRustRegexWordCharacter(s[i])
            var j = i + 1
            while j < s.count, !CharacterClass.isWhitespace(s[j]), CharacterClass.isRustRegexWordCharacter(s[j]) == word { j += 1 }
            found.append(i..<j)
            i = j
        }
        // Keep the matches, remove what lies between them.
        let matches = Splitter.rangeMatches(s.count, found).map { ($0.0, !$0.1) }
        return Splitter.split(piece, matches, .removed)
    }
}

/// Split on whitespace, removing it.
public struct WhitespaceSplit: PreTokenizer {
    public init() {}
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        Splitter.split(piece, Splitter.characterMatches(piece.scalars, CharacterClass.isWhitespace), .removed)
    }
}

/// Isolates (or otherwise splits on) punctuation, BERT's definition.
public struct PunctuationPreTokenizer: PreTokenizer {
    public var behavior: SplitBehavior
    public init(behavior: SplitBehavior = .isolated) { self.behavior = behavior }
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        Splitter.split(piece, Splitter.characterMatches(piece.scalars, CharacterClass.isBertPunctuation), behavior)
    }
}

/// Splits digits from the rest: each digit alone, or runs of digits.
public struct DigitsPreTokenizer: PreTokenizer {
    public var individualDigits: Bool
    public init(individualDigits: Bool) { self.individualDigits = individualDigits }
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        Splitter.split(piece, Splitter.characterMatches(piece.scalars, CharacterClass.isNumber), individualDigits ? .isolated : .contiguous)
    }
}

/// Splits on a literal or regular-expression pattern.
public struct SplitPreTokenizer: PreTokenizer {
    public let pattern: TextPattern
    public let behavior: SplitBehavior
    public let invert: Bool
    public init(pattern: TextPattern, behavior: SplitBehavior, invert: Bool) {
        self.pattern = pattern; self.behavior = behavior; self.invert = invert
    }
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        var matches = Splitter.rangeMatches(piece.scalars.count, pattern.matches(in: piece.scalars))
        if invert { matches = matches.map { ($0.0, !$0.1) } }
        return Splitter.split(piece, matches, behavior)
    }
}

/// SentencePiece's word boundaries: spaces become `replacement` (▁), which is
/// prepended (always, only at the start of the input, or never) and starts each word.
public struct Metaspace: PreTokenizer {
    public enum PrependScheme: String, Sendable { case always, first, never }
    public var replacement: Unicode.Scalar
    public var prependScheme: PrependScheme
    public var split: Bool

    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement; self.prependScheme = prependScheme; self.split = split
    }

    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        // Nothing is prepended to empty text (`tokenizers` never prepends to it).
        if piece.scalars.isEmpty { return [] }
        var s = piece.scalars.map { $0 == " " ? replacement : $0 }
        let prepend: Bool
        switch prependScheme {
        case .always: prepend = true
        case .first: prepend = piece.atStart
        case .never: prepend = false
        }
        if prepend, s.first != replacement { s.insert(replacement, at: 0) }
        let p = TextPiece(s, atStart: piece.atStart)
        guard split else { return s.isEmpty ? [] : [p] }
        return Splitter.split(p, Splitter.characterMatches(s) { $0 == replacement }, .mergedWithNext)
    }
}

/// GPT-2's byte-level pre-tokeniser: an optional leading space, GPT-2's splitting
/// pattern, then every UTF-8 byte mapped to a printable character.
public struct ByteLevelPreTokenizer: PreTokenizer {
    public var addPrefixSpace: Bool
    public var useRegex: Bool
    public init(addPrefixSpace: Bool, useRegex: Bool = true) { self.addPrefixSpace = addPrefixSpace; self.useRegex = useRegex }

    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        if piece.scalars.isEmpty { return [] }
        var p = piece
        if addPrefixSpace, p.scalars.first != " " { p.scalars.insert(" ", at: 0) }
        let words =
            useRegex
            ? Splitter.split(p, Splitter.rangeMatches(p.scalars.count, GPT2Pattern.matches(p.scalars)), .isolated)
            : (p.scalars.isEmpty ? [] : [p])
        return words.map { TextPiece(ByteLevelAlphabet.encode($0.scalars), atStart: $0.atStart) }
    }
}

/// GPT-2's pattern, `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
/// matched by hand (the alternatives in order, each greedy).
enum GPT2Pattern {
    static func matches(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        var out = [Range<Int>]()
        let n = s.count
        func isSpace(_ c: Unicode.Scalar) -> Bool { CharacterClass.isWhitespace(c) }
        func isOther(_ c: Unicode.Scalar) -> Bool { !isSpace(c) && !CharacterClass.isLetter(c) && !CharacterClass.isNumber(c) }
        var i = 0
        while i < n {
            // Contractions.
            if s[i] == "'", i + 1 < n {
                let a = s[i + 1]
                if a == "s" || a == "t" || a == "m" || a == "d" { out.append(i..<(i + 2)); i += 2; continue }
                if i + 2 < n {
                    let b = s[i + 2]
                    if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { out.append(i..<(i + 3)); i += 3; continue }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`.
            let start = i
            let first = s[i] == " " && i + 1 < n ? i + 1 : i
            var matched = false
            for cls in [CharacterClass.isLetter, CharacterClass.isNumber, isOther] where cls(s[first]) {
                var j = first + 1
                while j < n, cls(s[j]) { j += 1 }
                out.append(start..<j)
                i = j
                matched = true
                break
            }
            if matched { continue }
            // `\s+(?!\S)` then `\s+`.
            if isSpace(s[i]) {
                var j = i + 1
                while j < n, isSpace(s[j]) { j += 1 }
                if j < n, j - i >= 2 { j -= 1 }
                out.append(i..<j)
                i = j
                continue
            }
            i += 1 // unreachable: every scalar is a letter, number, space or other
        }
        return out
    }
}

/// GPT-2's map from bytes to printable characters: printable Latin-1 bytes map to
/// themselves, the others to U+0100 upwards in byte order.
enum ByteLevelAlphabet {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    static func encode(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] { text.string.utf8.map { byteToScalar[Int($0)] } }
}

/// Pre-tokenisers applied in order.
public struct PreTokenizerSequence: PreTokenizer {
    public var preTokenizers: [any PreTokenizer]
    public init(_ preTokenizers: [any PreTokenizer]) { self.preTokenizers = preTokenizers }
    public func preTokenize(_ piece: TextPiece) -> [TextPiece] {
        preTokenizers.reduce([piece]) { pieces, p in pieces.flatMap { p.preTokenize($0) } }
    }
}
