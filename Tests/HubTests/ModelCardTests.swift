import Foundation
import Testing
@testable import Hub

@Suite("Model cards and hub manifests")
struct ModelCardTests {
    @Test("a card with only name and file gets every default")
    func defaults() throws {
        let card = try HubManifest.decodeCard(Data(#"{"name": "m", "file": "m.pt"}"#.utf8), cardName: "hub/m.json")
        #expect(card.input == InputSpec())
        #expect(card.input.sampleShape == [3, 224, 224])
        #expect(card.representation.pooling == .none)
        #expect(card.representation.stage.summary == "method forward")
        #expect(card.sourceHead == nil)
        #expect(card.validationProblem() == nil)
    }

    @Test("a full card round-trips through the encoder")
    func roundTrip() throws {
        let json = """
            {"name": "resnet", "file": "resnet.pt",
             "input": {"channels": 3, "height": 32, "width": 32, "resize": "resize", "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
             "representation": {"submodule": "layer4", "after": {"method": "stem"}, "pooling": "avg"},
             "source_head": {"method": "both", "output": 1},
             "metadata": {"parameters": 11, "source_dataset": "imagenet", "license": "MIT"}}
            """
        let card = try HubManifest.decodeCard(Data(json.utf8), cardName: "hub/resnet.json")
        #expect(card.representation.after == Stage(method: "stem"))
        #expect(card.sourceHead?.output == .index(1))
        #expect(card.metadata.sourceDataset == "imagenet")
        let again = try HubManifest.decodeCard(try HubManifest.encodeCard(card), cardName: "x")
        #expect(again == card)
    }

    @Test("an unknown field is an error naming the card and the field path")
    func unknownField() throws {
        let json = #"{"name": "m", "file": "m.pt", "representation": {"pool": "avg"}}"#
        let error = #expect(throws: HubError.self) { try HubManifest.decodeCard(Data(json.utf8), cardName: "hub/m.json") }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("hub/m.json: field 'representation.pool': unknown field"), "\(text)")
    }

    @Test("a missing name and a mistyped value name their fields")
    func missingAndMistyped() throws {
        let missing = #expect(throws: HubError.self) { try HubManifest.decodeCard(Data(#"{"file": "m.pt"}"#.utf8), cardName: "c.json") }
        #expect(missing?.description == "c.json: field 'name': required field is missing")
        let mistyped = #expect(throws: HubError.self) {
            try HubManifest.decodeCard(Data(#"{"name": "m", "file": "m.pt", "input": {"height": "big"}}"#.utf8), cardName: "c.json")
        }
        #expect(mistyped?.description.hasPrefix("c.json: field 'input.height'") == true)
    }

    @Test("validation: statistics per channel, a usable name, method xor submodule")
    func validation() {
        var card = ModelCard(name: "m", file: "m.pt")
        card.input.mean = [0.5]
        card.input.std = [0.5]
        #expect(card.validationProblem()?.field == "input.mean")
        card = ModelCard(name: "../m", file: "m.pt")
        #expect(card.validationProblem()?.field == "name")
        card = ModelCard(name: "m", file: "m.pt", representation: RepresentationSpec(method: "f", submodule: "s"))
        #expect(card.validationProblem()?.field == "representation")
    }

    @Test("a hub mixes hub.json and per-model cards; broken cards and card-less files are reported, the rest load")
    func manifest() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        for name in ["a", "b", "c", "orphan"] { try Data("x".utf8).write(to: hub.appendingPathComponent("\(name).pt")) }
        try writeCard(
            #"{"models": [{"name": "a", "file": "a.pt"}, {"name": "bad", "file": "missing.pt"}]}"#,
            to: hub.appendingPathComponent("hub.json"))
        try writeCard(#"{"name": "b", "file": "b.pt", "metadata": {"source_dataset": "x"}}"#, to: hub.appendingPathComponent("b.json"))
        try writeCard(#"{"name": "c", "file": "c.pt", "inptu": {}}"#, to: hub.appendingPathComponent("c.json"))
        try writeCard("{not json", to: hub.appendingPathComponent("d.json"))
        let manifest = try HubManifest.load(hub)
        #expect(manifest.entries.map(\.name) == ["a", "b"])
        let problems = Dictionary(uniqueKeysWithValues: manifest.problems.map { ($0.name, $0.message) })
        let hubName = hub.lastPathComponent
        #expect(problems["bad"] == "\(hubName)/hub.json[1]: field 'file': 'missing.pt' does not exist")
        #expect(problems["c"]?.hasPrefix("\(hubName)/c.json: field 'inptu': unknown field") == true)
        #expect(problems["d"]?.contains("not valid JSON") == true)
        #expect(problems["orphan"]?.contains("no model card") == true)
    }

    @Test("--models selects entries and their card problems; an unknown name lists the hub's models")
    func selection() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        for name in ["a", "b"] { try Data("x".utf8).write(to: hub.appendingPathComponent("\(name).pt")) }
        try writeCard(
            #"{"models": [{"name": "a", "file": "a.pt"}, {"name": "b", "file": "b.pt"}, {"name": "bad", "file": "missing.pt"}]}"#,
            to: hub.appendingPathComponent("hub.json"))
        let manifest = try HubManifest.load(hub)
        let all = try manifest.selecting(nil)
        #expect(all.entries.map(\.name) == ["a", "b"] && all.problems.map(\.name) == ["bad"])
        let some = try manifest.selecting(["b", "bad"])
        #expect(some.entries.map(\.name) == ["b"] && some.problems.map(\.name) == ["bad"])
        #expect(throws: HubError.invalidArgument("no model named zz in \(hub.path) (models: a, b)")) {
            try manifest.selecting(["a", "zz"])
        }
    }

    @Test("two cards with one name: both are skipped and reported")
    func duplicates() throws {
        let hub = try makeTempDir()
        defer { cleanup(hub) }
        try Data("x".utf8).write(to: hub.appendingPathComponent("a.pt"))
        try writeCard(#"{"name": "a", "file": "a.pt"}"#, to: hub.appendingPathComponent("a.json"))
        try writeCard(#"{"name": "a", "file": "a.pt"}"#, to: hub.appendingPathComponent("a2.json"))
        let manifest = try HubManifest.load(hub)
        #expect(manifest.entries.isEmpty)
        #expect(manifest.problems.first?.message.contains("used by several cards") == true)
    }
}
