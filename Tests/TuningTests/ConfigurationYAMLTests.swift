import Foundation
import Testing
@testable import Tuning

@Suite("YAML run configurations: bounded, unambiguous, named errors")
struct ConfigurationYAMLTests {
    func load(_ text: String, _ name: String = "tune.yaml") throws -> (TuneConfiguration?, String, String) {
        let dir = try TuningFixtures.tempDir(name + "\(text.hashValue)")
        defer { TuningFixtures.cleanup(dir) }
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        do {
            return (try ConfigurationFile.load(url.path), "no error", url.path)
        } catch {
            return (nil, "\(error)", url.path)
        }
    }

    /// Nine levels of ten aliases: 10^9 values if expanded (2.5 GB and counting before).
    @Test("an alias bomb is refused after a bounded number of values", .timeLimit(.minutes(1)))
    func aliasBomb() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(refs)]\n"
        }
        let (config, message, path) = try load(text)
        #expect(config == nil)
        #expect(message.hasPrefix("\(path): field '"), "\(message)")
        #expect(message.contains("expands to more than \(ConfigurationFile.maxYAMLNodes) values"), "\(message)")
    }

    @Test("a key written twice is an error naming it")
    func duplicateKey() throws {
        let (config, message, path) = try load("optimizer:\n  lr: 0.1\n  lr: 0.2\n")
        #expect(config == nil)
        #expect(message.hasPrefix("\(path): field 'optimizer.lr': duplicate key"), "\(message)")
    }

    @Test("lr: .nan names the field")
    func nanNamesTheField() throws {
        let (_, message, path) = try load("optimizer:\n  lr: .nan\n")
        #expect(message == "\(path): field 'optimizer.lr': '.nan' is not a finite number", "\(message)")
    }

    @Test("a byte order mark at the start is accepted")
    func byteOrderMark() throws {
        let (config, message, _) = try load("\u{FEFF}epochs: 3\noptimizer:\n  lr: 0.01\n")
        #expect(config?.epochs == 3 && config?.optimizer.lr == 0.01, "\(message)")
    }

    @Test("anchors, aliases and merge keys within the bound still work; explicit keys win over merged ones")
    func aliasesAndMerge() throws {
        let json = try ConfigurationFile.yamlToJSON(
            Data("base: &base\n  name: adamw\n  lr: 0.5\noptimizer:\n  <<: *base\n  lr: 0.01\nteachers: &t [a, b]\nagain: *t\n".utf8),
            file: "x.yaml")
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let optimizer = try #require(object["optimizer"] as? [String: Any])
        #expect(optimizer["name"] as? String == "adamw" && optimizer["lr"] as? Double == 0.01, "\(optimizer)")
        #expect(object["again"] as? [String] == ["a", "b"])
    }
}
