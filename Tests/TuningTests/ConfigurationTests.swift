import Foundation
import Testing
@testable import Tuning

@Suite("Run configuration")
struct ConfigurationTests {
    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test("YAML and JSON files give the same configuration; the command line overrides them")
    func yamlJsonOverrides() throws {
        let dir = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(dir) }
        let yaml = try write(
            """
            method: kd
            epochs: 4
            optimizer:
              name: adamw
              lr: 0.002
            teachers: [a, b]
            method_options:
              temperature: 4
              mode: soft
            """, "tune.yaml", in: dir)
        let json = try write(
            #"{"method": "kd", "epochs": 4, "optimizer": {"name": "adamw", "lr": 0.002}, "teachers": ["a", "b"], "method_options": {"temperature": 4, "mode": "soft"}}"#,
            "tune.json", in: dir)
        let a = try ConfigurationFile.load(yaml)
        let b = try ConfigurationFile.load(json)
        #expect(a == b)
        #expect(a.methodOptions["temperature"] == OptionValue(.number(4)) && a.methodOptions["mode"] == OptionValue(.string("soft")))
        var o = TuneOverrides()
        o.iterations = 50
        o.lr = 0.01
        o.options = [(key: "temperature", value: "2"), (key: "hard", value: "true")]
        o.hub = "h"; o.data = "d"; o.target = "t"
        let c = try a.applying(o).resolved(source: "tune.yaml")
        #expect(c.epochs == nil && c.iterations == 50 && c.optimizer.lr == 0.01 && c.optimizer.weightDecay == 0.01)
        #expect(c.methodOptions["temperature"] == OptionValue(.number(2)) && c.methodOptions["hard"] == OptionValue(.bool(true)))
        #expect(c.optimizer.name == "adamw" && c.teachers == ["a", "b"])
    }

    @Test("bad files: unknown key, wrong type, bad YAML, bad values name the file and the field")
    func badFiles() throws {
        let dir = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(dir) }
        let wrongType = try write("optimizer:\n  lr: fast\n", "tune.yaml", in: dir)
        #expect(message { _ = try ConfigurationFile.load(wrongType) } == "\(wrongType): field 'optimizer.lr': expected a number")
        let unknown = try write(#"{"optimizer": {"learning_rate": 0.1}}"#, "u.json", in: dir)
        #expect(
            message { _ = try ConfigurationFile.load(unknown) }.hasPrefix(
                "\(unknown): field 'optimizer.learning_rate': unknown field (allowed here: name, lr,"))
        let notInt = try write(#"{"epochs": 2.5}"#, "i.json", in: dir)
        #expect(message { _ = try ConfigurationFile.load(notInt) } == "\(notInt): field 'epochs': expected an integer")
        let badYAML = try write("epochs: [1, 2\nseed: 3\n", "bad.yaml", in: dir)
        #expect(message { _ = try ConfigurationFile.load(badYAML) }.hasPrefix("\(badYAML): field '-': not valid YAML"))
        let badJSON = try write("{\"epochs\": ", "bad.json", in: dir)
        #expect(message { _ = try ConfigurationFile.load(badJSON) }.contains("not valid JSON"))
        let list = try write("- 1\n- 2\n", "list.yaml", in: dir)
        #expect(message { _ = try ConfigurationFile.load(list) }.contains("expected a mapping"))
        var c = TuneConfiguration()
        c.hub = "h"; c.data = "d"; c.target = "t"
        c.optimizer.name = "adam"
        #expect(message { _ = try c.resolved(source: "x.yaml") } == "x.yaml: field 'optimizer.name': 'adam' is not one of sgd, adamw")
        c = TuneConfiguration()
        #expect(message { _ = try c.resolved(source: "command line") }.hasPrefix("command line: field 'hub': required"))
    }

    @Test("unknown method lists the known ones; unknown teacher and target list the hub's models; unused options name the method")
    func runErrors() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root, names: ["tiny", "other"])
        let data = try TuningFixtures.dataset(in: root, count: 30)
        var config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("out"), epochs: 1)
        config.method = "magic"
        #expect(
            message { _ = try TuneJob.run(config: config, source: "tune.json", resume: false) }
                == "tune.json: field 'method': unknown method 'magic' (known methods: \(MethodRegistry.names.sorted().joined(separator: ", ")))")
        config.method = "finetune"
        config.teachers = ["ghost"]
        #expect(
            message { _ = try TuneJob.run(config: config, source: "tune.json", resume: false) }
                == "tune.json: field 'teachers': no model 'ghost' in the hub \(hub.path) (models: other, tiny)")
        config.teachers = []
        config.target = "nope"
        #expect(message { _ = try TuneJob.run(config: config, source: "tune.json", resume: false) }.contains("field 'target': no model 'nope'"))
        config.target = "tiny"
        config.methodOptions = ["temperature": OptionValue(.number(4))]
        #expect(
            message { _ = try TuneJob.run(config: config, source: "tune.json", resume: false) }
                == "tune.json: field 'method_options.temperature': method 'finetune' has no option 'temperature' (it takes none)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/config.json").path))
    }

    @Test("config.json holds every effective value, method options and the data split")
    func resolvedFile() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root, count: 40)
        let config = TuningFixtures.config(hub: hub, data: data, out: root.appendingPathComponent("out"), epochs: 1)
        _ = try TuneJob.run(config: config, source: "test", resume: false)
        let saved = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("out/config.json"))) as? [String: Any])
        let optimizer = try #require(saved["optimizer"] as? [String: Any])
        #expect(optimizer["weight_decay"] as? Double == 0.0005 && optimizer["lr"] as? Double == 0.05)
        let split = try #require(saved["data_split"] as? [String: Any])
        #expect(split["kind"] as? String == "seeded", "\(split)")
        // Stratified: classes of 14, 13, 13 samples each hold back 3 (largest remainders).
        #expect(split["train_samples"] as? Int == 31 && split["validation_samples"] as? Int == 9, "\(split)")
        #expect(saved["method"] as? String == "finetune" && saved["epochs"] as? Int == 1)
        let decoded = try ConfigurationFile.decode(
            try JSONSerialization.data(withJSONObject: saved.filter { $0.key != "data_split" }), file: "config.json")
        #expect(decoded.optimizer.lr == 0.05)
    }
}
