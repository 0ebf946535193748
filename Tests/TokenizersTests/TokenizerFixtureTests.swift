import Foundation
import Testing
@testable import Tokenizers

/// The ids, type ids and attention masks of Hugging Face `tokenizers` on the
/// committed corpus (scripts/fixtures/make_tokenizer_fixtures.py), matched exactly.
struct TokenizerFixtureTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    struct Corpus: Decodable {
        var texts: [String]
        var pairs: [[String]]
    }

    struct Expected: Decodable {
        struct TruncationSpec: Decodable { var max_length: Int; var strategy: String }
        struct PaddingSpec: Decodable { var length: Int?; var multiple_of: Int? }
        struct Batch: Decodable {
            var inputs: [Int]
            var ids: [[Int]]?
            var type_ids: [[Int]]?
            var attention_mask: [[Int]]?
            var error: Bool?
        }
        struct Case: Decodable {
            var name: String
            var source: String
            var add_special_tokens: Bool
            var truncation: TruncationSpec?
            var padding: PaddingSpec?
            var pad_id: Int
            var batches: [Batch]
        }
        var vocab_size: Int
        var cases: [Case]
    }

    static func corpus() throws -> Corpus {
        try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: fixtures.appendingPathComponent("corpus.json")))
    }

    /// Runs every case of `name`; returns the mismatches described (empty when all match).
    static func mismatches(_ name: String) throws -> (checked: Int, failures: [String]) {
        let corpus = try corpus()
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: fixtures.appendingPathComponent("expected/\(name).json")))
        let base = try Tokenizer.load(fixtures.appendingPathComponent(name))
        var failures = [String]()
        var checked = 0
        // Every vocabulary entry was read (no two keys merged on the way).
        if base.model.vocabulary.count != expected.vocab_size {
            failures.append("\(name): vocabulary of \(base.model.vocabulary.count) tokens, expected \(expected.vocab_size)")
        }
        for c in expected.cases {
            var tokenizer = base
            tokenizer.truncation = c.truncation.map {
                Truncation(
                    maxLength: $0.max_length,
                    strategy: ["longest_first": .longestFirst, "only_first": .onlyFirst, "only_second": .onlySecond][$0.strategy]!)
            }
            tokenizer.padding = c.padding.map {
                Padding(
                    length: $0.length.map { .fixed($0) } ?? .longest, padId: c.pad_id, padTypeId: 0, padToken: "[PAD]", multipleOf: $0.multiple_of)
            }
            for batch in c.batches {
                let inputs: [(String, String?)] = batch.inputs.map { i in
                    c.source == "texts" ? (corpus.texts[i], nil) : (corpus.pairs[i][0], corpus.pairs[i][1])
                }
                checked += inputs.count
                if batch.error == true {
                    if (try? tokenizer.encodeBatch(inputs, addSpecialTokens: c.add_special_tokens)) != nil {
                        failures.append("\(name)/\(c.name) \(batch.inputs): expected an error, got an encoding")
                    }
                    continue
                }
                do {
                    let got = try tokenizer.encodeBatch(inputs, addSpecialTokens: c.add_special_tokens)
                    for (k, e) in got.enumerated()
                    where e.ids != batch.ids![k] || e.typeIds != batch.type_ids![k] || e.attentionMask != batch.attention_mask![k] {
                        failures.append(
                            "\(name)/\(c.name) input \(batch.inputs[k]) \(inputs[k]):\n  got      \(e.ids) \(e.typeIds) \(e.attentionMask)\n  expected \(batch.ids![k]) \(batch.type_ids![k]) \(batch.attention_mask![k])\n  tokens \(e.ids.map { tokenizer.token(for: $0) ?? "?" }) vs \(batch.ids![k].map { tokenizer.token(for: $0) ?? "?" })"
                        )
                    }
                } catch {
                    failures.append("\(name)/\(c.name) \(batch.inputs): threw \(error)")
                }
            }
        }
        return (checked, failures)
    }

    @Test(arguments: ["minilm", "bert_vocab", "wordpiece", "roberta", "gpt2", "bpe_suffix", "xlmr", "unigram_bytes"])
    func matchesTokenizers(name: String) throws {
        let (checked, failures) = try Self.mismatches(name)
        #expect(checked > 900)
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(4).joined(separator: "\n"))")
    }
}
