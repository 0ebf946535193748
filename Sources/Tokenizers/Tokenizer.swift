import Foundation

/// How encodings longer than `maxLength` (special tokens included) are cut.
public struct Truncation: Sendable, Equatable {
    public enum Strategy: String, Sendable {
        /// Remove from the longer sequence of a pair first (as `tokenizers`: balanced lengths).
        case longestFirst = "LongestFirst"
        case onlyFirst = "OnlyFirst"
        case onlySecond = "OnlySecond"
    }
    public enum Direction: String, Sendable { case right = "Right", left = "Left" }
    public var maxLength: Int
    public var strategy: Strategy
    public var direction: Direction

    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        self.maxLength = maxLength; self.strategy = strategy; self.direction = direction
    }
}

/// How encodings are padded: to the longest of a batch or a fixed length (rounded
/// up to a multiple), with the pad token's id and type id; attention mask 0 there.
public struct Padding: Sendable, Equatable {
    public enum Length: Sendable, Equatable { case longest, fixed(Int) }
    public enum Direction: String, Sendable { case right = "Right", left = "Left" }
    public var length: Length
    public var padId: Int
    public var padTypeId: Int
    public var padToken: String
    public var multipleOf: Int?
    public var direction: Direction

    public init(
        length: Length = .longest, padId: Int = 0, padTypeId: Int = 0, padToken: String = "[PAD]",
        multipleOf: Int? = nil, direction: Direction = .right
    ) {
        self.length = length; self.padId = padId; self.padTypeId = padTypeId; self.padToken = padToken
        self.multipleOf = multipleOf; self.direction = direction
    }
}

/// The model's input for one text or pair.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int]
    public var typeIds: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]

    public init(ids: [Int], typeIds: [Int], attentionMask: [Int]) {
        self.ids = ids; self.typeIds = typeIds; self.attentionMask = attentionMask
    }
}

/// A text tokeniser equivalent to Hugging Face `tokenizers`' for the components it
/// implements (docs/TOKENIZERS.md): added tokens are taken out of the raw text, the
/// rest is normalised, pre-tokenised and run through the model; then truncation,
/// special tokens (post-processor) and padding. A value, safe to share across threads.
public struct Tokenizer: Sendable {
    public let model: any TokenizationModel
    public let normalizer: (any TextNormalizer)?
    public let preTokenizer: (any PreTokenizer)?
    public let postProcessor: any PostProcessor
    public let addedTokens: [AddedToken]
    /// Truncation and padding applied by `encode`; initialised from the file.
    public var truncation: Truncation?
    public var padding: Padding?

    let rawMatcher: AddedTokenMatcher
    let normalizedMatcher: AddedTokenMatcher
    let idToToken: [Int: String]

    public init(
        model: any TokenizationModel, normalizer: (any TextNormalizer)?, preTokenizer: (any PreTokenizer)?,
        postProcessor: (any PostProcessor)?, addedTokens: [AddedToken] = [],
        truncation: Truncation? = nil, padding: Padding? = nil
    ) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor ?? DefaultPostProcessor()
        self.addedTokens = addedTokens
        self.truncation = truncation
        self.padding = padding
        // Tokens marked `normalized` are matched in normalised text, so their
        // pattern is their normalised content; the others in the raw text.
        rawMatcher = AddedTokenMatcher(addedTokens.filter { !$0.normalized }.map { .init(scalars: Array($0.content.unicodeScalars), token: $0) })
        normalizedMatcher = AddedTokenMatcher(
            addedTokens.filter(\.normalized).map { t in
                let s = Array(t.content.unicodeScalars)
                return .init(scalars: normalizer?.normalize(s) ?? s, token: t)
            })
        var reverse = [Int: String]()
        for (t, id) in model.vocabulary { reverse[id] = t }
        for t in addedTokens { reverse[t.id] = t.content }
        idToToken = reverse
    }

    /// The token string of `id` (vocabulary or added tokens).
    public func token(for id: Int) -> String? { idToToken[id] }

    /// The id of a token string (added tokens first, then the vocabulary).
    public func id(of token: String) -> Int? { addedTokens.first { $0.content == token }?.id ?? model.id(of: token) }

    /// The ids of one text without special tokens, truncation or padding.
    public func tokenize(_ text: String) throws -> [Int] {
        var ids = [Int]()
        for segment in rawMatcher.split(TextPiece(Array(text.unicodeScalars), atStart: true)) {
            switch segment {
            case let .token(id): ids.append(id)
            case let .text(piece):
                let normalized = TextPiece(normalizer?.normalize(piece.scalars) ?? piece.scalars, atStart: piece.atStart)
                for inner in normalizedMatcher.split(normalized) {
                    switch inner {
                    case let .token(id): ids.append(id)
                    case let .text(p):
                        let words = preTokenizer?.preTokenize(p) ?? (p.scalars.isEmpty ? [] : [p])
                        for w in words { ids += try model.tokenize(w.scalars) }
                    }
                }
            }
        }
        return ids
    }

    /// One text or pair, with truncation, special tokens and padding (to itself).
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) throws -> Encoding {
        try encodeBatch([(text, pair)], addSpecialTokens: addSpecialTokens)[0]
    }

    /// Texts or pairs; padding to the longest is over the whole batch.
    public func encodeBatch(_ inputs: [(String, String?)], addSpecialTokens: Bool = true) throws -> [Encoding] {
        var out = try inputs.map { first, second -> Encoding in
            var a = TokenSequence(ids: try tokenize(first), typeId: 0)
            var b = try second.map { TokenSequence(ids: try tokenize($0), typeId: 1) }
            if let truncation { try truncate(&a, &b, truncation, addSpecialTokens: addSpecialTokens) }
            let merged = addSpecialTokens ? postProcessor.process(a, b) : DefaultPostProcessor().process(a, b)
            return Encoding(ids: merged.ids, typeIds: merged.typeIds, attentionMask: [Int](repeating: 1, count: merged.ids.count))
        }
        if let padding { pad(&out, padding) }
        return out
    }

    func truncate(_ a: inout TokenSequence, _ b: inout TokenSequence?, _ t: Truncation, addSpecialTokens: Bool) throws {
        let added = addSpecialTokens ? postProcessor.addedTokens(pair: b != nil) : 0
        let maxLength = max(0, t.maxLength - added)
        func cut(_ s: inout TokenSequence, to n: Int) {
            guard s.ids.count > n else { return }
            if t.direction == .right {
                s.ids.removeLast(s.ids.count - n); s.typeIds.removeLast(s.typeIds.count - n)
            } else {
                s.ids.removeFirst(s.ids.count - n); s.typeIds.removeFirst(s.typeIds.count - n)
            }
        }
        if maxLength == 0 {
            cut(&a, to: 0)
            if var s = b { cut(&s, to: 0); b = s }
            return
        }
        let total = a.ids.count + (b?.ids.count ?? 0)
        guard total > maxLength else { return }
        let excess = total - maxLength
        switch t.strategy {
        case .longestFirst:
            guard var second = b else { cut(&a, to: maxLength); return }
            var n1 = a.ids.count, n2 = second.ids.count
            let swapped = n1 > n2
            if swapped { swap(&n1, &n2) }
            n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
            if n1 + n2 > maxLength { n1 = maxLength / 2; n2 = n1 + maxLength % 2 }
            if swapped { swap(&n1, &n2) }
            cut(&a, to: n1)
            cut(&second, to: n2)
            b = second
        case .onlyFirst, .onlySecond:
            if t.strategy == .onlySecond, b == nil {
                throw TokenizerError.invalidArgument("truncation only_second needs a pair of texts")
            }
            let n = t.strategy == .onlyFirst ? a.ids.count : b!.ids.count
            guard n > excess else {
                throw TokenizerError.invalidArgument(
                    "truncation \(t.strategy.rawValue) to \(t.maxLength): the \(t.strategy == .onlyFirst ? "first" : "second") sequence (\(n) tokens) is too short to remove \(excess) tokens"
                )
            }
            if t.strategy == .onlyFirst { cut(&a, to: n - excess) } else { var s = b!; cut(&s, to: n - excess); b = s }
        }
    }

    func pad(_ encodings: inout [Encoding], _ p: Padding) {
        var target: Int
        switch p.length {
        case .longest: target = encodings.map(\.ids.count).max() ?? 0
        case let .fixed(n): target = n
        }
        if let m = p.multipleOf, m > 0, target % m != 0 { target += m - target % m }
        for i in encodings.indices where encodings[i].ids.count < target {
            let k = target - encodings[i].ids.count
            let ids = [Int](repeating: p.padId, count: k), types = [Int](repeating: p.padTypeId, count: k), mask = [Int](repeating: 0, count: k)
            if p.direction == .right {
                encodings[i].ids += ids; encodings[i].typeIds += types; encodings[i].attentionMask += mask
            } else {
                encodings[i].ids = ids + encodings[i].ids; encodings[i].typeIds = types + encodings[i].typeIds
                encodings[i].attentionMask = mask + encodings[i].attentionMask
            }
        }
    }
}
