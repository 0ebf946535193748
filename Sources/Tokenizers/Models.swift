import Foundation

/// Vocabulary keys are compared as UTF-8 bytes, as in Rust: Swift's `String`
/// equality is canonical equivalence, which would find "é" for "e\u{301}".
typealias ByteKey = [UInt8]

@inline(__always) func appendUTF8(_ c: Unicode.Scalar, to bytes: inout [UInt8]) {
    bytes.append(contentsOf: UTF8.encode(c)!)
}

func byteTable(_ vocabulary: [String: Int]) -> [ByteKey: Int] {
    var table = [ByteKey: Int](minimumCapacity: vocabulary.count)
    for (k, v) in vocabulary { table[Array(k.utf8)] = v }
    return table
}

/// A tokenisation model of `tokenizer.json` (`model`): one pre-tokenised word to ids.
public protocol TokenizationModel: Sendable {
    func tokenize(_ word: [Unicode.Scalar]) throws -> [Int]
    /// The id of a token string, if it is in the vocabulary.
    func id(of token: String) -> Int?
    /// Every (token, id) of the vocabulary.
    var vocabulary: [String: Int] { get }
}

/// BERT's WordPiece: greedy longest-match-first over the vocabulary, continuation
/// pieces prefixed (`##`); a word with an unmatched part, or longer than
/// `maxInputCharsPerWord` scalars, is the unknown token.
public struct WordPiece: TokenizationModel {
    public let vocabulary: [String: Int]
    public let unknownToken: String
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int
    let unknownId: Int
    let lookup: [ByteKey: Int]
    let prefixBytes: [UInt8]

    /// `byteVocabulary`, when given, is the lookup table by UTF-8 bytes (a vocab.txt
    /// may hold canonically equivalent tokens, which `vocabulary`'s String keys merge).
    public init(
        vocabulary: [String: Int], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100, byteVocabulary: [[UInt8]: Int]? = nil
    ) throws {
        guard let unk = byteVocabulary?[Array(unknownToken.utf8)] ?? vocabulary[unknownToken] else {
            throw TokenizerError.invalidArgument("WordPiece: the unknown token '\(unknownToken)' is not in the vocabulary")
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unknownId = unk
        self.lookup = byteVocabulary ?? byteTable(vocabulary)
        self.prefixBytes = Array(continuingSubwordPrefix.utf8)
    }

    public func id(of token: String) -> Int? { vocabulary[token] }

    public func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        if word.isEmpty { return [] }
        if word.count > maxInputCharsPerWord { return [unknownId] }
        var ids = [Int]()
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var piece = start > 0 ? prefixBytes : []
                for c in word[start..<end] { appendUTF8(c, to: &piece) }
                if let id = lookup[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknownId] }
            ids.append(id)
            start = end
        }
        return ids
    }
}

/// Byte-pair encoding: a word starts as its characters (continuation prefix on all
/// but the first, end-of-word suffix on the last; unknown characters as byte tokens
/// `<0xXX>` with `byte_fallback`, else the unknown token, fused when `fuse_unk`), then
/// the adjacent pair of lowest merge rank is merged, leftmost first, until none is left.
public struct BPE: TokenizationModel {
    public let vocabulary: [String: Int]
    /// (left id, right id) -> (rank, merged id).
    let merges: [Pair: (rank: Int, id: Int)]
    public let unknownToken: String?
    public let continuingSubwordPrefix: String?
    public let endOfWordSuffix: String?
    public let fuseUnknown: Bool
    public let byteFallback: Bool
    public let ignoreMerges: Bool
    let lookup: [ByteKey: Int]

    struct Pair: Hashable { var a: Int; var b: Int }

    /// `merges` as token pairs in rank order; every token and merged token must be in
    /// the vocabulary (the error names the merge's index).
    public init(
        vocabulary: [String: Int], merges: [(String, String)], unknownToken: String? = nil,
        continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil,
        fuseUnknown: Bool = false, byteFallback: Bool = false, ignoreMerges: Bool = false,
        file: String = "BPE", field: String = "model.merges"
    ) throws {
        var table = [Pair: (rank: Int, id: Int)]()
        table.reserveCapacity(merges.count)
        let lookup = byteTable(vocabulary)
        let prefixCount = continuingSubwordPrefix?.utf8.count ?? 0
        for (rank, (a, b)) in merges.enumerated() {
            let merged = Array(a.utf8) + Array(b.utf8).dropFirst(prefixCount)
            guard let ia = lookup[Array(a.utf8)], let ib = lookup[Array(b.utf8)], let im = lookup[merged] else {
                let mergedName = String(decoding: merged, as: UTF8.self)
                let missing = [a, b, mergedName].first { lookup[Array($0.utf8)] == nil } ?? mergedName
                throw TokenizerError.invalidField(
                    path: file, field: "\(field)[\(rank)]", expected: "tokens of the vocabulary",
                    found: "'\(missing)', which is not in it")
            }
            table[Pair(a: ia, b: ib)] = (rank, im)
        }
        if let unknownToken, vocabulary[unknownToken] == nil {
            throw TokenizerError.invalidField(path: file, field: "model.unk_token", expected: "a token of the vocabulary", found: "'\(unknownToken)'")
        }
        self.vocabulary = vocabulary
        self.lookup = lookup
        self.merges = table
        self.unknownToken = unknownToken
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.endOfWordSuffix = endOfWordSuffix
        self.fuseUnknown = fuseUnknown
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
    }

    public func id(of token: String) -> Int? { vocabulary[token] }

    public func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        if word.isEmpty { return [] }
        if ignoreMerges, let id = lookup[Array(word.string.utf8)] { return [id] }
        var symbols = [Int]()
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false // a (fused) unknown token not yet emitted
        let unknownId = unknownToken.flatMap { lookup[Array($0.utf8)] }
        for (i, c) in word.enumerated() {
            var s: [UInt8] = i > 0 ? Array((continuingSubwordPrefix ?? "").utf8) : []
            appendUTF8(c, to: &s)
            if i == word.count - 1, let suffix = endOfWordSuffix { s += Array(suffix.utf8) }
            if let id = lookup[s] {
                if pendingUnknown, let u = unknownId { symbols.append(u); pendingUnknown = false }
                symbols.append(id)
                continue
            }
            if byteFallback {
                let bytes = s.map { lookup[Array(String(format: "<0x%02X>", $0).utf8)] }
                if bytes.allSatisfy({ $0 != nil }) {
                    // As `tokenizers`: byte tokens go in while a pending unknown waits.
                    symbols += bytes.map { $0! }
                    continue
                }
            }
            if let u = unknownId {
                if pendingUnknown, !fuseUnknown { symbols.append(u) }
                pendingUnknown = true
            }
        }
        if pendingUnknown, let u = unknownId { symbols.append(u) }
        // Merge the lowest-ranked adjacent pair (leftmost among equals) until none is left.
        while symbols.count > 1 {
            var best: (rank: Int, pos: Int, id: Int)?
            for p in 0..<(symbols.count - 1) {
                if let m = merges[Pair(a: symbols[p], b: symbols[p + 1])], best == nil || m.rank < best!.rank {
                    best = (m.rank, p, m.id)
                }
            }
            guard let b = best else { break }
            symbols[b.pos] = b.id
            symbols.remove(at: b.pos + 1)
        }
        return symbols
    }
}

/// SentencePiece's Unigram: the segmentation of highest total log-probability
/// (Viterbi over every vocabulary piece starting at each position); a character no
/// piece covers is the unknown token at the lowest score minus 10, consecutive
/// unknowns fused; pieces missing from the vocabulary become byte tokens with
/// `byte_fallback`.
public struct Unigram: TokenizationModel {
    public let pieces: [(String, Double)]
    public let vocabulary: [String: Int]
    public let unknownId: Int?
    public let byteFallback: Bool
    let minScore: Double
    let maxPieceLength: Int
    let lookup: [ByteKey: Int]

    public init(pieces: [(String, Double)], unknownId: Int?, byteFallback: Bool = false) throws {
        var vocabulary = [String: Int]()
        vocabulary.reserveCapacity(pieces.count)
        var lookup = [ByteKey: Int](minimumCapacity: pieces.count)
        var minScore = Double.infinity
        var maxLength = 1
        for (i, (p, score)) in pieces.enumerated() {
            vocabulary[p] = i
            lookup[Array(p.utf8)] = i // a repeated piece keeps its last id, as `tokenizers`
            minScore = min(minScore, score)
            maxLength = max(maxLength, p.unicodeScalars.count)
        }
        if let unknownId, unknownId >= pieces.count {
            throw TokenizerError.invalidArgument("Unigram: unk_id \(unknownId) is outside the vocabulary of \(pieces.count) pieces")
        }
        self.pieces = pieces
        self.vocabulary = vocabulary
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        self.minScore = minScore
        self.maxPieceLength = maxLength
        self.lookup = lookup
    }

    public func id(of token: String) -> Int? { vocabulary[token] }

    static let unknownPenalty = 10.0

    /// The best segmentation as strings (unknown runs fused).
    func segment(_ word: [Unicode.Scalar]) throws -> [[Unicode.Scalar]] {
        let n = word.count
        if n == 0 { return [] }
        let unknownScore = minScore - Self.unknownPenalty
        var bestScore = [Double](repeating: 0, count: n + 1)
        var startOf = [Int](repeating: -1, count: n + 1)
        var idOf = [Int](repeating: -1, count: n + 1)
        for start in 0..<n {
            let base = bestScore[start]
            var hasSingle = false
            var key = [UInt8]()
            for end in (start + 1)...min(n, start + maxPieceLength) {
                appendUTF8(word[end - 1], to: &key)
                guard let id = lookup[key] else { continue }
                let candidate = pieces[id].1 + base
                if startOf[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate; startOf[end] = start; idOf[end] = id
                }
                if end == start + 1 { hasSingle = true }
            }
            if !hasSingle {
                guard let unk = unknownId else {
                    throw TokenizerError.invalidArgument("Unigram: '\(word[start])' is not in the vocabulary and the model has no unk_id")
                }
                let candidate = unknownScore + base
                if startOf[start + 1] < 0 || candidate > bestScore[start + 1] {
                    bestScore[start + 1] = candidate; startOf[start + 1] = start; idOf[start + 1] = unk
                }
            }
        }
        var result = [[Unicode.Scalar]]()
        var fused = [Unicode.Scalar]()
        var end = n
        while end > 0 {
            let start = startOf[end]
            if let unk = unknownId, idOf[end] == unk {
                fused.insert(contentsOf: word[start..<end], at: 0)
            } else {
                if !fused.isEmpty { result.append(fused); fused = [] }
                result.append(Array(word[start..<end]))
            }
            end = start
        }
        if !fused.isEmpty { result.append(fused) }
        return result.reversed()
    }

    public func tokenize(_ word: [Unicode.Scalar]) throws -> [Int] {
        var ids = [Int]()
        for piece in try segment(word) {
            var key = [UInt8]()
            for c in piece { appendUTF8(c, to: &key) }
            if let id = lookup[key] { ids.append(id); continue }
            let s = piece.string
            if byteFallback {
                let bytes = key.map { lookup[Array(String(format: "<0x%02X>", $0).utf8)] }
                if bytes.allSatisfy({ $0 != nil }) { ids += bytes.map { $0! }; continue }
            }
            guard let unk = unknownId else {
                throw TokenizerError.invalidArgument("Unigram: '\(s)' is not in the vocabulary and the model has no unk_id")
            }
            ids.append(unk)
        }
        return ids
    }
}
