import Foundation

/// Ids with their token type ids: one sequence, or the final encoding.
public struct TokenSequence: Sendable, Equatable {
    public var ids: [Int]
    public var typeIds: [Int]
    public init(ids: [Int], typeIds: [Int]) { self.ids = ids; self.typeIds = typeIds }
    public init(ids: [Int], typeId: Int) { self.ids = ids; self.typeIds = [Int](repeating: typeId, count: ids.count) }
}

/// A post-processor of `tokenizer.json` (`post_processor`): adds special tokens
/// around one sequence or a pair and sets the token type ids.
public protocol PostProcessor: Sendable {
    /// How many tokens `process` adds (truncation leaves room for them).
    func addedTokens(pair: Bool) -> Int
    func process(_ first: TokenSequence, _ second: TokenSequence?) -> TokenSequence
}

/// Concatenation with each sequence's own type ids (no processor, or ByteLevel's,
/// which only trims offsets).
public struct DefaultPostProcessor: PostProcessor {
    public init() {}
    public func addedTokens(pair: Bool) -> Int { 0 }
    public func process(_ first: TokenSequence, _ second: TokenSequence?) -> TokenSequence {
        guard let second else { return first }
        return TokenSequence(ids: first.ids + second.ids, typeIds: first.typeIds + second.typeIds)
    }
}

/// `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, type ids 0 up to the first `[SEP]`, 1 after.
public struct BertProcessing: PostProcessor {
    public var cls: Int
    public var sep: Int
    public init(cls: Int, sep: Int) { self.cls = cls; self.sep = sep }
    public func addedTokens(pair: Bool) -> Int { pair ? 3 : 2 }
    public func process(_ first: TokenSequence, _ second: TokenSequence?) -> TokenSequence {
        let a = [cls] + first.ids + [sep]
        guard let second else { return TokenSequence(ids: a, typeId: 0) }
        return TokenSequence(
            ids: a + second.ids + [sep], typeIds: [Int](repeating: 0, count: a.count) + [Int](repeating: 1, count: second.ids.count + 1))
    }
}

/// `<s> A </s>` and `<s> A </s></s> B </s>`, every type id 0.
public struct RobertaProcessing: PostProcessor {
    public var cls: Int
    public var sep: Int
    public init(cls: Int, sep: Int) { self.cls = cls; self.sep = sep }
    public func addedTokens(pair: Bool) -> Int { pair ? 4 : 2 }
    public func process(_ first: TokenSequence, _ second: TokenSequence?) -> TokenSequence {
        var ids = [cls] + first.ids + [sep]
        if let second { ids += [sep] + second.ids + [sep] }
        return TokenSequence(ids: ids, typeId: 0)
    }
}

/// A template of special tokens and sequences, each with its type id.
public struct TemplateProcessing: PostProcessor {
    public enum Piece: Sendable, Equatable {
        /// The ids a special token stands for.
        case special(ids: [Int], typeId: Int)
        /// Sequence A (0) or B (1).
        case sequence(index: Int, typeId: Int)
    }
    public var single: [Piece]
    public var pair: [Piece]

    public init(single: [Piece], pair: [Piece]) { self.single = single; self.pair = pair }

    public func addedTokens(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, p in if case let .special(ids, _) = p { return n + ids.count } else { return n } }
    }

    public func process(_ first: TokenSequence, _ second: TokenSequence?) -> TokenSequence {
        var out = TokenSequence(ids: [], typeIds: [])
        for piece in second == nil ? single : pair {
            switch piece {
            case let .special(ids, typeId):
                out.ids += ids
                out.typeIds += [Int](repeating: typeId, count: ids.count)
            case let .sequence(index, typeId):
                let s = index == 0 ? first : (second ?? TokenSequence(ids: [], typeIds: []))
                out.ids += s.ids
                out.typeIds += [Int](repeating: typeId, count: s.ids.count)
            }
        }
        return out
    }
}
