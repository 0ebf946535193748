import Foundation
import Testing
@testable import Tokenizers

/// Tokenising 10,000 sentences, only when HUBMINER_TOKENIZER_BENCH=1 (run in release:
/// `HUBMINER_TOKENIZER_BENCH=1 swift test -c release --filter TokenizerBenchmark`;
/// scripts/fixtures/bench_tokenizers.py times Hugging Face `tokenizers` on the same
/// sentences for comparison).
@Suite("Tokenizer benchmark", .enabled(if: ProcessInfo.processInfo.environment["HUBMINER_TOKENIZER_BENCH"] == "1"))
struct TokenizerBenchmarkTests {
    /// The benchmark's sentences: the corpus texts repeated with their index, as the
    /// Python script builds them.
    static func sentences() throws -> [String] {
        let corpus = try TokenizerFixtureTests.corpus()
        return (0..<10_000).map { "\(corpus.texts[$0 % corpus.texts.count]) \($0)" }
    }

    @Test("sentences per second", arguments: ["minilm", "roberta", "xlmr"])
    func throughput(name: String) throws {
        let tokenizer = try Tokenizer.load(TokenizerFixtureTests.fixtures.appendingPathComponent(name))
        let sentences = try Self.sentences()
        let start = Date()
        var tokens = 0
        for s in sentences { tokens += try tokenizer.encode(s).ids.count }
        let seconds = Date().timeIntervalSince(start)
        print(
            "tokenizer \(name): \(sentences.count) sentences, \(tokens) tokens in \(String(format: "%.3f", seconds)) s "
                + "(\(Int(Double(sentences.count) / seconds)) sentences/s, one thread)")
    }
}
