import Foundation

/// A token of `added_tokens`, matched in the text before the model sees it.
public struct AddedToken: Sendable, Equatable {
    public var content: String
    public var id: Int
    public var special: Bool
    /// Also swallow whitespace to the left / right of a match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Matched in the normalised text (after the normaliser) rather than the raw text.
    public var normalized: Bool
    /// Matched only as a whole word (no word character on either side).
    public var singleWord: Bool

    public init(
        content: String, id: Int, special: Bool, lstrip: Bool = false, rstrip: Bool = false,
        normalized: Bool = false, singleWord: Bool = false
    ) {
        self.content = content; self.id = id; self.special = special; self.lstrip = lstrip
        self.rstrip = rstrip; self.normalized = normalized; self.singleWord = singleWord
    }
}

/// A piece of input after added tokens were taken out: a matched token, or text.
enum Segment {
    case token(Int)
    case text(TextPiece)
}

/// Finds added tokens leftmost-longest, as `tokenizers`' Aho-Corasick matcher does.
struct AddedTokenMatcher: Sendable {
    struct Pattern: Sendable { var scalars: [Unicode.Scalar]; var token: AddedToken }
    /// Patterns by first scalar, longest first.
    private let byFirst: [Unicode.Scalar: [Pattern]]

    init(_ patterns: [Pattern]) {
        var map = [Unicode.Scalar: [Pattern]]()
        for p in patterns where !p.scalars.isEmpty { map[p.scalars[0], default: []].append(p) }
        byFirst = map.mapValues { $0.sorted { $0.scalars.count > $1.scalars.count } }
    }

    var isEmpty: Bool { byFirst.isEmpty }

    /// Splits `piece` into tokens and the text between them.
    func split(_ piece: TextPiece) -> [Segment] {
        let s = piece.scalars
        if byFirst.isEmpty || s.isEmpty { return [.text(piece)] }
        var out = [Segment]()
        var done = 0 // end of what has been emitted
        var i = 0
        while i < s.count {
            guard let candidates = byFirst[s[i]],
                let p = candidates.first(where: { i + $0.scalars.count <= s.count && s[i..<(i + $0.scalars.count)].elementsEqual($0.scalars) })
            else { i += 1; continue }
            var start = i
            var stop = i + p.scalars.count
            // The search resumes after the match itself (not after stripped spaces),
            // and never inside a rejected match.
            i = stop
            let t = p.token
            if t.singleWord {
                let before = start == 0 || !CharacterClass.isRustRegexWordCharacter(s[start - 1])
                let after = stop == s.count || !CharacterClass.isRustRegexWordCharacter(s[stop])
                if !before || !after { continue }
            }
            if t.lstrip {
                var l = start
                while l > 0, CharacterClass.isWhitespace(s[l - 1]) { l -= 1 }
                start = max(l, done)
            }
            if t.rstrip { while stop < s.count, CharacterClass.isWhitespace(s[stop]) { stop += 1 } }
            if start > done { out.append(.text(TextPiece(Array(s[done..<start]), atStart: piece.atStart && done == 0))) }
            out.append(.token(t.id))
            done = stop
        }
        if done < s.count || out.isEmpty { out.append(.text(TextPiece(Array(s[done...]), atStart: piece.atStart && done == 0))) }
        return out
    }
}
