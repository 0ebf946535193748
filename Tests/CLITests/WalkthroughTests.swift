import Foundation
import Testing

/// docs/QUICKSTART.md ("Your own models") run as written: every `hubminer` command
/// of its shell blocks, in order, in a copy of the committed example
/// (Tests/HubTests/Fixtures/walkthrough), so the page cannot drift from the program.
@Suite("The Your-own-models walkthrough")
struct WalkthroughTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `hubminer` commands of the page's ```sh blocks, as argument lists
    /// (a trailing backslash continues a line; the page quotes nothing).
    static func commands(in page: URL, section: String? = nil) throws -> [[String]] {
        var text = try String(contentsOf: page, encoding: .utf8)
        if let section {
            let start = try #require(text.range(of: "\n## \(section)\n"), "no section \(section) in \(page.lastPathComponent)")
            text = String(text[start.upperBound...])
            if let end = text.range(of: "\n## ") { text = String(text[..<end.lowerBound]) }
        }
        var commands = [[String]]()
        var inShell = false
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inShell = line == "```sh"
                continue
            }
            guard inShell else { continue }
            pending += line.trimmingCharacters(in: .whitespaces)
            if pending.hasSuffix("\\") {
                pending = String(pending.dropLast()) + " "
                continue
            }
            let words = pending.split(separator: " ").map(String.init)
            pending = ""
            if words.first == "hubminer" { commands.append(Array(words.dropFirst())) }
        }
        return commands
    }

    @Test("every command of docs/QUICKSTART.md runs on the committed example, and the page's claims hold")
    func walkthrough() throws {
        let commands = try Self.commands(in: Self.root.appendingPathComponent("docs/QUICKSTART.md"))
        #expect(commands.map { $0.prefix(2).joined(separator: " ") }.starts(with: ["hub add", "hub inspect"]), "\(commands)")
        #expect(Set(commands.map(\.[0])) == ["hub", "rank", "evaluate", "tune"], "\(commands)")
        // The README's short version runs the same commands (so this test runs them too).
        let readme = try Self.commands(in: Self.root.appendingPathComponent("README.md"), section: "Your own models")
        #expect(readme.count == 4)
        for command in readme { #expect(commands.contains(command), "README command not in QUICKSTART: \(command)") }

        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let example = Self.root.appendingPathComponent("Tests/HubTests/Fixtures/walkthrough")
        for item in ["exported", "data", "finetuned.csv"] {
            try FileManager.default.copyItem(at: example.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
        let env = ProcessInfo.processInfo.environment.merging(["HUBMINER_CACHE_DIR": dir.appendingPathComponent("cache").path]) { $1 }
        for command in commands {
            let run = try CLI.run(command, environment: env, directory: dir)
            #expect(run.status == 0, "hubminer \(command.joined(separator: " ")):\n\(run.stdout)\(run.stderr)")
        }

        // What the page says happened.
        let hub = try CLI.run(["hub", "list", "hub", "--format", "json"], environment: env, directory: dir)
        let names = ((try JSONSerialization.jsonObject(with: Data(hub.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["narrow", "pixels", "wide"], "\(hub.stdout)\(hub.stderr)")
        let scores = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("scores.json"))) as? [String: Any])
        let ranked = (scores["models"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(ranked.first == "wide", "the page says wide ranks first: \(ranked)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/wide/result.json").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs/wide/model").path))
    }
}
