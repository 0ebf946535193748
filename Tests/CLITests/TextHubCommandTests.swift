import Foundation
import Testing

/// The README's "Ranking text models" commands, run as written on the committed tiny
/// text hub (Tests/HubTests/Fixtures: four checkpoint folders with their tokenizers
/// and a CSV of labelled texts).
@Suite("Text hub from the command line")
struct TextHubCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("HubTests/Fixtures")

    @Test("hub list, hub inspect, rank --hub over texts, rank --layers best, extract")
    func readmeCommands() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let hub = Self.fixtures.appendingPathComponent("texthub").path
        let texts = Self.fixtures.appendingPathComponent("texts.csv").path
        let cache = dir.appendingPathComponent("cache").path
        let env = ProcessInfo.processInfo.environment.merging(["HUBMINER_CACHE_DIR": cache]) { $1 }

        let list = try CLI.run(["hub", "list", hub], environment: env)
        #expect(list.status == 0, "\(list.stderr)")
        for name in ["bert-vocab", "bert-wp", "minilm-st", "roberta-bpe"] { #expect(list.stdout.contains(name)) }

        let inspect = try CLI.run(["hub", "inspect", hub], environment: env)
        #expect(inspect.status == 0, "\(inspect.stdout)\(inspect.stderr)")

        let rank = try CLI.run(["rank", "--hub", hub, "--data", texts, "--format", "json", "--quiet"], environment: env)
        #expect(rank.status == 0, "\(rank.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(rank.stdout.utf8)) as? [String: Any])
        let models = try #require(json["models"] as? [[String: Any]])
        #expect(Set(models.compactMap { $0["name"] as? String }) == ["bert-vocab", "bert-wp", "minilm-st", "roberta-bpe"])

        let best = try CLI.run(["rank", "--hub", hub, "--data", texts, "--layers", "best", "--quiet"], environment: env)
        #expect(best.status == 0, "\(best.stderr)")
        for name in ["bert-vocab", "bert-wp", "minilm-st", "roberta-bpe"] { #expect(best.stdout.contains("\(name)@layer"), "\(best.stdout)") }

        let out = dir.appendingPathComponent("out")
        let extract = try CLI.run(["extract", "--hub", hub, "--data", texts, "--out", out.path, "--quiet"], environment: env)
        #expect(extract.status == 0, "\(extract.stderr)")
        #expect(extract.stdout.contains("cache")) // rank --hub extracted them already
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("features/minilm-st.npy").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("labels.npy").path))
    }
}
