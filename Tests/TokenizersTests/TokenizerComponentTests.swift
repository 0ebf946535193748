import Foundation
import Testing
@testable import Tokenizers

/// Each normaliser and pre-tokeniser alone, read from the JSON `tokenizers` writes for
/// it, against `normalize_str` / `pre_tokenize_str` on the first 120 corpus texts
/// (Fixtures/components.json, scripts/fixtures/make_tokenizer_fixtures.py).
struct TokenizerComponentTests {
    struct Components: Decodable {
        struct Normalized: Decodable { var outputs: [String] }
        struct PreTokenized: Decodable { var outputs: [[String]] }
        var normalizers: [String: Normalized]
        var pre_tokenizers: [String: PreTokenized]
    }

    static let url = TokenizerFixtureTests.fixtures.appendingPathComponent("components.json")

    /// The component specs, as parsed JSON nodes.
    static func specs(_ kind: String) throws -> [String: JSONNode] {
        let root = try JSONNode.parse(Data(contentsOf: url), file: url.path)
        var out = [String: JSONNode]()
        let table = try root.required(kind)
        for (name, _) in try table.object() { out[name] = try table.required(name).required("spec") }
        return out
    }

    @Test func normalizersMatch() throws {
        let expected = try JSONDecoder().decode(Components.self, from: Data(contentsOf: Self.url))
        let texts = try TokenizerFixtureTests.corpus().texts
        let reader = TokenizerJSON(file: Self.url.path)
        let specs = try Self.specs("normalizers")
        var failures = [String]()
        defer { #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.prefix(6).joined(separator: "\n"))") }
        #expect(specs.count >= 15)
        for (name, spec) in specs.sorted(by: { $0.key < $1.key }) {
            let normalizer = try reader.normalizer(spec)
            for (i, want) in try #require(expected.normalizers[name]).outputs.enumerated() {
                let got = normalizer.normalize(Array(texts[i].unicodeScalars))
                // Compared as scalars: String equality would accept canonical equivalents.
                if got != Array(want.unicodeScalars) {
                    failures.append("\(name) #\(i): got \(got.string.debugDescription), expected \(want.debugDescription)")
                }
            }
        }
    }

    @Test func preTokenizersMatch() throws {
        let expected = try JSONDecoder().decode(Components.self, from: Data(contentsOf: Self.url))
        let texts = try TokenizerFixtureTests.corpus().texts
        let reader = TokenizerJSON(file: Self.url.path)
        let specs = try Self.specs("pre_tokenizers")
        var failures = [String]()
        defer { #expect(failures.isEmpty, "\(failures.count) mismatches:\n\(failures.prefix(6).joined(separator: "\n"))") }
        #expect(specs.count >= 17)
        for (name, spec) in specs.sorted(by: { $0.key < $1.key }) {
            let preTokenizer = try reader.preTokenizer(spec)
            for (i, want) in try #require(expected.pre_tokenizers[name]).outputs.enumerated() {
                let got = preTokenizer.preTokenize(TextPiece(Array(texts[i].unicodeScalars), atStart: true)).map(\.scalars)
                if got != want.map({ Array($0.unicodeScalars) }) { failures.append("\(name) #\(i): got \(got.map(\.string)), expected \(want)") }
            }
        }
    }
}
