import Foundation
import TestSupport
import Testing
@testable import Tokenizers

/// Malformed and unsupported tokenizer files fail with one clear line naming the
/// file, the JSON path and what was expected; hostile sizes and tries never crash.
struct TokenizerErrorTests {
    static let minimalModel = #"{"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1, "b": 2}}"#

    func load(_ json: String) throws -> Tokenizer {
        let dir = try TemporaryDirectory.make("hubminer-tok")
        defer { TemporaryDirectory.remove(dir) }
        let url = dir.appendingPathComponent("tokenizer.json")
        try Data(json.utf8).write(to: url)
        return try Tokenizer.load(dir)
    }

    func message(_ json: String) -> String {
        do { _ = try load(json); return "" } catch { return "\(error)" }
    }

    @Test("unsupported components name the JSON path and list the supported types")
    func unsupported() {
        let m = message(
            #"{"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "ByteLevel"}]}, "model": \#(Self.minimalModel)}"#)
        #expect(m.contains("tokenizer.json: $.normalizer.normalizers[1].type: unsupported 'ByteLevel' (supported: BertNormalizer, NFD"))
        #expect(
            message(#"{"pre_tokenizer": {"type": "UnicodeScripts"}, "model": \#(Self.minimalModel)}"#)
                .contains("$.pre_tokenizer.type: unsupported 'UnicodeScripts' (supported: BertPreTokenizer, ByteLevel"))
        #expect(
            message(#"{"model": {"type": "WordLevel", "vocab": {}}}"#).contains(
                "$.model.type: unsupported 'WordLevel' (supported: WordPiece, BPE, Unigram)"))
        #expect(
            message(
                #"{"post_processor": {"type": "Sequence", "processors": [{"type": "BertProcessing", "sep": ["s", 1], "cls": ["c", 0]}, {"type": "RobertaProcessing", "sep": ["s", 1], "cls": ["c", 0]}]}, "model": \#(Self.minimalModel)}"#
            )
            .contains("$.post_processor.processors: unsupported '2 token-adding processors'"))
        #expect(
            message(#"{"pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Sideways"}, "model": \#(Self.minimalModel)}"#)
                .contains("$.pre_tokenizer.behavior: unsupported 'Sideways'"))
    }

    @Test("fields of the wrong type or out of bounds name their path")
    func invalidFields() {
        #expect(message("{not json").contains("tokenizer.json: $: expected valid JSON"))
        #expect(message(#"{"normalizer": null}"#).contains("$.model: expected a value, found nothing"))
        #expect(
            message(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": "zero"}}}"#).contains(
                #"$.model.vocab["[UNK]"]: expected an integer, found the string "zero""#))
        #expect(message(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": -1}}}"#).contains("expected an integer in 0..."))
        #expect(
            message(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#).contains(
                "$.model.unk_token: expected a token of the vocabulary, found '[UNK]'"))
        #expect(
            message(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}"#)
                .contains("$.model.merges[0]: expected tokens of the vocabulary, found 'ab', which is not in it"))
        #expect(message(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}}"#).contains(#"$.model.merges[0]: expected "left right""#))
        #expect(
            message(#"{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["a", -1.0]]}}"#).contains(
                "$.model.unk_id: expected an index below 1, found 5"))
        #expect(message(#"{"model": {"type": "Unigram", "vocab": [["a"]]}}"#).contains("$.model.vocab[0]: expected [piece, score]"))
        #expect(
            message(
                #"{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}], "pair": [], "special_tokens": {}}, "model": \#(Self.minimalModel)}"#
            )
            .contains("$.post_processor.single[0].SpecialToken.id: expected a key of special_tokens, found '[X]'"))
        #expect(
            message(#"{"truncation": {"max_length": 99999999999}, "model": \#(Self.minimalModel)}"#).contains(
                "$.truncation.max_length: expected an integer in 0...10000000"))
        #expect(
            message(#"{"normalizer": {"type": "Precompiled", "precompiled_charsmap": "%%%"}, "model": \#(Self.minimalModel)}"#)
                .contains("$.normalizer.precompiled_charsmap: expected base64 bytes"))
        // Canonically equivalent keys (precomposed and decomposed é) merge in Foundation's
        // JSON objects; the lost id is noticed and refused instead of encoding wrongly.
        #expect(
            message(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "\u00e9": 1, "e\u0301": 2, "x": 3}}}"#)
                .contains("$.model.vocab: unsupported 'ids missing from the vocabulary (1)"))
        let long = String(repeating: "x", count: TokenizerLimits.maxTokenLength + 1)
        #expect(
            message(#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "\#(long)": 1}}}"#).contains(
                "expected a token of at most 4096 characters"))
    }

    @Test("missing files and folders are errors naming the path")
    func missing() {
        let url = URL(fileURLWithPath: "/nonexistent-hubminer/tokenizer.json")
        #expect(throws: TokenizerError.cannotRead(path: url.path, reason: "no such file or directory")) { try Tokenizer.load(url) }
    }

    @Test("a precompiled charsmap whose sizes lie is refused; a corrupt trie never reads out of bounds")
    func charsmapBounds() throws {
        #expect(throws: TokenizerError.self) { try PrecompiledCharsmap(bytes: [1, 2]) }
        #expect(throws: TokenizerError.self) { try PrecompiledCharsmap(bytes: [0xFF, 0xFF, 0, 0, 1, 2, 3, 4]) }
        // Random trie units: lookups stay in bounds whatever they hold.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<50 {
            var bytes: [UInt8] = [64, 0, 0, 0]
            for _ in 0..<72 {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            bytes[bytes.count - 1] = 0
            guard let map = try? PrecompiledCharsmap(bytes: bytes) else { continue }
            _ = map.normalize(Array("ÄbC 東京 😀 e\u{301}".unicodeScalars))
        }
    }

    @Test("the real charsmap (SentencePiece nmt_nfkc) maps full-width forms and ligatures as NFKC")
    func realCharsmap() throws {
        let tokenizer = try Tokenizer.load(TokenizerFixtureTests.fixtures.appendingPathComponent("xlmr"))
        let sequence = try #require(tokenizer.normalizer as? NormalizerSequence)
        let charsmap = try #require(sequence.normalizers.first as? PrecompiledCharsmap)
        #expect(charsmap.normalize(Array("Ｆｕｌｌ １２３ ﬁ".unicodeScalars)).string == "Full 123 fi")
        #expect(charsmap.normalize(Array("plain".unicodeScalars)).string == "plain")
    }

    @Test("only_second truncation without a pair, and an impossible cut, are errors")
    func truncationErrors() throws {
        var tokenizer = try load(#"{"pre_tokenizer": {"type": "WhitespaceSplit"}, "model": \#(Self.minimalModel)}"#)
        tokenizer.truncation = Truncation(maxLength: 1, strategy: .onlySecond)
        #expect(throws: TokenizerError.self) { try tokenizer.encode("a a") }
        tokenizer.truncation = Truncation(maxLength: 1, strategy: .onlyFirst)
        #expect(throws: TokenizerError.self) { try tokenizer.encode("a", pair: "a a a") }
        tokenizer.truncation = Truncation(maxLength: 2, strategy: .onlyFirst)
        #expect(try tokenizer.encode("a a a", pair: "b").ids == [1, 2])
    }

    @Test("vocab.txt alone reads as BERT with tokenizer_config.json's options")
    func vocabularyOnly() throws {
        let dir = try TemporaryDirectory.make("hubminer-vocab")
        defer { TemporaryDirectory.remove(dir) }
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\nworld\n".utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        let t = try Tokenizer.load(dir)
        #expect(try t.encode("HELLOS World!", pair: "[MASK]").ids == [2, 5, 6, 7, 1, 3, 4, 3])
        #expect(try t.encode("HELLOS World!", pair: "[MASK]").typeIds == [0, 0, 0, 0, 0, 0, 1, 1])
        try Data(#"{"do_lower_case": false}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        #expect(try Tokenizer.load(dir).encode("Hello hello").ids == [2, 1, 5, 3])
        // A vocab.txt keeps canonically equivalent tokens apart (byte-exact lookup).
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\n\u{E9}\ne\u{301}\n".utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        let accents = try Tokenizer.load(dir)
        #expect(try accents.encode("\u{E9}").ids == [2, 4, 3])
        #expect(try accents.encode("e\u{301}").ids == [2, 5, 3])
    }
}
