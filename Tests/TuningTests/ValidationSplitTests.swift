import Data
import Foundation
import Testing
import TestSupport

@testable import Tuning

/// Epochs are chosen on validation data; the test split is never one of them.
@Suite("Validation split")
struct ValidationSplitTests {
    /// `name.csv` with `count` texts whose words say which split they come from, so a
    /// sample read from the wrong split is recognisable.
    func writeSplit(_ name: String, count: Int, in dir: URL) throws {
        var lines = ["text,label"]
        for i in 0..<count { lines.append("\(name) sample \(i),\(i % 2 == 0 ? "pos" : "neg")") }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("\(name).csv"))
    }

    func texts(_ dataset: any Dataset) throws -> [String] {
        try (0..<dataset.count).map { try dataset.sample(at: $0).texts.joined(separator: " ") }
    }

    @Test("train and test only: validation is held out of train (seeded, stratified); no test sample is read")
    func trainAndTest() throws {
        let dir = try TemporaryDirectory.make("hubminer-validation")
        defer { TemporaryDirectory.remove(dir) }
        try writeSplit("train", count: 40, in: dir)
        try writeSplit("test", count: 30, in: dir)
        let data = try TuneData.open(dir, validationFraction: 0.25, seed: 3)
        #expect(data.record.kind == "seeded" && data.record.validation == "held-out" && data.record.train == "train")
        #expect(data.record.trainSamples + data.record.validationSamples == 40)
        #expect(data.record.validationSamples == 10)
        let seen = try texts(data.train) + texts(data.validation)
        #expect(seen.allSatisfy { $0.hasPrefix("train sample") }, "\(seen.filter { !$0.hasPrefix("train sample") })")
        #expect(Set(seen).count == 40)
        // Stratified: both classes in the held-out part, in proportion.
        let labels = try (0..<data.validation.count).map { try data.validation.sample(at: $0).label }
        #expect(Set(labels).count == 2 && labels.filter { $0 == labels[0] }.count == 5)
        // The same seed holds out the same samples.
        let again = try TuneData.open(dir, validationFraction: 0.25, seed: 3)
        #expect(try texts(again.validation) == texts(data.validation))
    }

    @Test("a dataset's own validation split is used as it is, and the test split still is not")
    func ownValidation() throws {
        let dir = try TemporaryDirectory.make("hubminer-validation")
        defer { TemporaryDirectory.remove(dir) }
        try writeSplit("train", count: 40, in: dir)
        try writeSplit("validation", count: 12, in: dir)
        try writeSplit("test", count: 30, in: dir)
        let data = try TuneData.open(dir, validationFraction: 0.25, seed: 3)
        #expect(data.record.kind == "dataset" && data.record.validation == "validation")
        #expect(data.train.count == 40 && data.validation.count == 12)
        #expect(try texts(data.validation).allSatisfy { $0.hasPrefix("validation sample") })
    }
}
