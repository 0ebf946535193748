import Data
import FeatureIO
import Foundation
import Testing
@testable import Zoo

/// Small task specs for the tests.
enum TestTasks {
    static func orientation(train: Int = 6, test: Int = 3, identity: UInt64 = 11) -> TaskSpec {
        TaskSpec(
            name: "orient", summary: "orientation", labelFactors: [.orientation], classCodes: (0..<8).map { [$0] },
            trainPerClass: train, testPerClass: test, identity: identity)
    }

    static func colour(train: Int = 40, test: Int = 10) -> TaskSpec {
        TaskSpec(
            name: "colour", summary: "colour", labelFactors: [.colour], classCodes: (0..<6).map { [$0] },
            trainPerClass: train, testPerClass: test, identity: 12)
    }

    static func glyphsOnly(classes: Int = 6, train: Int = 40, test: Int = 10) -> TaskSpec {
        TaskSpec(
            name: "glyphs", summary: "glyphs", labelFactors: [], classCodes: Array(repeating: [], count: classes),
            specificShare: 1, glyphCount: classes, trainPerClass: train, testPerClass: test, identity: 13)
    }
}

@Suite struct ProceduralTasks {
    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let spec = TestTasks.orientation()
        let a = try TaskGenerator.generate(spec, imageSize: 12, seed: 5)
        let b = try TaskGenerator.generate(spec, imageSize: 12, seed: 5)
        let c = try TaskGenerator.generate(spec, imageSize: 12, seed: 6)
        #expect(a.train.images == b.train.images && a.train.labels == b.train.labels)
        #expect(a.test.images == b.test.images && a.test.labels == b.test.labels)
        #expect(a.train.images != c.train.images)
        #expect(a.train.labels != c.train.labels)
        // The two splits are different images.
        #expect(Array(a.train.images.prefix(432)) != Array(a.test.images.prefix(432)))
        #expect(a.train.images.count == 8 * 6 * 3 * 12 * 12)

        // Written datasets are byte-identical for one seed.
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try TaskDatasetWriter.write(a, seed: 5, to: dir.appendingPathComponent("a"))
        try TaskDatasetWriter.write(b, seed: 5, to: dir.appendingPathComponent("b"))
        for file in ["train/images.npy", "train/labels.npy", "test/images.npy", "test/labels.npy", "task.json"] {
            let x = try Data(contentsOf: dir.appendingPathComponent("a/" + file))
            let y = try Data(contentsOf: dir.appendingPathComponent("b/" + file))
            #expect(x == y, "\(file) differs")
        }
    }

    @Test func everyClassHasExactlyItsShare() throws {
        let spec = TestTasks.orientation(train: 7, test: 4)
        let task = try TaskGenerator.generate(spec, imageSize: 10, seed: 1)
        for (split, perClass) in [(task.train, 7), (task.test, 4)] {
            let counts = Dictionary(grouping: split.labels, by: { $0 }).mapValues(\.count)
            #expect(counts.count == 8)
            #expect(counts.values.allSatisfy { $0 == perClass })
        }
        // Shuffled, not in class order.
        #expect(task.train.labels != task.train.labels.sorted())
    }

    /// The label factors take the class's code; other factors vary freely.
    @Test func labelFactorsFollowTheClassCode() throws {
        let spec = TaskSpec(
            name: "pair", summary: "", labelFactors: [.colour, .layout],
            classCodes: TaskSpec.spreadCodes([.colour, .layout], count: 9, seed: 3), trainPerClass: 20, testPerClass: 1, identity: 4)
        let task = try TaskGenerator.generate(spec, imageSize: 10, seed: 2)
        for (latent, label) in zip(task.train.latents, task.train.labels) {
            #expect([latent.value(of: .colour), latent.value(of: .layout)] == spec.classCodes[label])
            #expect(latent.glyph == nil && !latent.labelFromGlyph)
        }
        let orientations = Set(task.train.latents.map { $0.value(of: .orientation) })
        #expect(orientations.count == 8)
    }

    /// Accuracy of predicting the label from one shared factor's value by majority
    /// vote over the training images, scored on the test images (the best over the
    /// shared factors).
    func bestSharedFactorAccuracy(_ task: GeneratedTask) -> Double {
        var best = 0.0
        for (f, factor) in SceneFactor.allCases.enumerated() {
            var votes = [[Int]](repeating: [Int](repeating: 0, count: task.spec.classCount), count: factor.cardinality)
            for (l, y) in zip(task.train.latents, task.train.labels) { votes[l.shared[f]][y] += 1 }
            let majority = votes.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
            let correct = zip(task.test.latents, task.test.labels).filter { majority[$0.shared[f]] == $1 }.count
            best = max(best, Double(correct) / Double(task.test.count))
        }
        return best
    }

    /// `specific_share` moves the label from shared factors to the task's glyphs:
    /// at 0 a shared factor predicts it perfectly, at 1 no shared factor beats chance,
    /// in between the share of glyph-labelled images matches the knob.
    @Test func specificShareDecidesWhatCarriesTheLabel() throws {
        func task(share: Double) throws -> GeneratedTask {
            let spec = TaskSpec(
                name: "knob", summary: "", labelFactors: [.orientation], classCodes: (0..<8).map { [$0] },
                specificShare: share, glyphCount: 8, trainPerClass: 60, testPerClass: 40, identity: 21)
            return try TaskGenerator.generate(spec, imageSize: 8, seed: 3)
        }
        let shared = try task(share: 0), half = try task(share: 0.5), specific = try task(share: 1)
        #expect(bestSharedFactorAccuracy(shared) == 1)
        // Chance is 1/8; 320 test images put the standard error near 0.02.
        #expect(bestSharedFactorAccuracy(specific) < 0.125 + 0.08)
        let fromGlyph = Double(half.train.latents.filter(\.labelFromGlyph).count) / Double(half.train.count)
        #expect(abs(fromGlyph - 0.5) < 0.07)
        // Half the images keep the code: accuracy 0.5 + 0.5 / 8 expected.
        #expect(abs(bestSharedFactorAccuracy(half) - 0.5625) < 0.08)
        // Glyph-labelled images show their class's glyph.
        for (l, y) in zip(specific.train.latents, specific.train.labels) { #expect(l.glyph == y) }
    }

    /// Measured on pixels: mean colour predicts a colour task's label but not a
    /// glyph task's (nearest class-mean of the per-channel image means).
    @Test func colourStatisticsCarryOnlyTheColourTask() throws {
        func meanColourAccuracy(_ spec: TaskSpec) throws -> Double {
            let task = try TaskGenerator.generate(spec, imageSize: 12, seed: 9)
            func stats(_ split: GeneratedSplit, _ i: Int) -> [Double] {
                let plane = 144
                return (0..<3).map { c in
                    (0..<plane).reduce(0.0) { $0 + Double(split.images[i * 3 * plane + c * plane + $1]) } / Double(plane)
                }
            }
            var centroids = [[Double]](repeating: [0, 0, 0], count: spec.classCount)
            var counts = [Double](repeating: 0, count: spec.classCount)
            for i in 0..<task.train.count {
                let s = stats(task.train, i), y = task.train.labels[i]
                for c in 0..<3 { centroids[y][c] += s[c] }
                counts[y] += 1
            }
            for y in 0..<spec.classCount { for c in 0..<3 { centroids[y][c] /= counts[y] } }
            var correct = 0
            for i in 0..<task.test.count {
                let s = stats(task.test, i)
                let nearest = centroids.indices.min { a, b in
                    zip(centroids[a], s).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                        < zip(centroids[b], s).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                }!
                if nearest == task.test.labels[i] { correct += 1 }
            }
            return Double(correct) / Double(task.test.count)
        }
        let colour = try meanColourAccuracy(TestTasks.colour(train: 40, test: 30))
        let glyphs = try meanColourAccuracy(TestTasks.glyphsOnly(classes: 6, train: 40, test: 30))
        #expect(colour > 0.6, "colour task from mean colour: \(colour)")
        #expect(glyphs < 1.0 / 6 + 0.1, "glyph task from mean colour: \(glyphs)")
    }

    @Test func spreadCodesAreDistinctAndBalanced() {
        let codes = TaskSpec.spreadCodes([.colour, .frequency], count: 12, seed: 7)
        #expect(Set(codes).count == 12)
        let colourUse = Dictionary(grouping: codes, by: { $0[0] }).mapValues(\.count)
        #expect(colourUse.count == 6 && colourUse.values.allSatisfy { $0 == 2 })
        let frequencyUse = Dictionary(grouping: codes, by: { $0[1] }).mapValues(\.count)
        #expect(frequencyUse.values.allSatisfy { $0 == 4 })
        #expect(TaskSpec.spreadCodes([.colour, .frequency], count: 99, seed: 1).count == 18)
    }

    @Test func badSpecsAreNamed() {
        var spec = TestTasks.orientation()
        spec.classCodes[2] = [9]
        #expect(throws: ZooError.invalidTask("task 'orient': field 'class_codes[2]': orientation value 9 outside 0..<8")) {
            try TaskGenerator.generate(spec, imageSize: 8, seed: 0)
        }
        spec = TestTasks.orientation()
        spec.classCodes[1] = [0]
        #expect(spec.validationProblem()?.contains("two classes share a code") == true)
        spec = TestTasks.orientation()
        spec.specificShare = 0.5
        #expect(spec.validationProblem()?.contains("glyph_count") == true)
        #expect(throws: ZooError.self) { try TaskGenerator.generate(TestTasks.orientation(), imageSize: 4, seed: 0) }
    }

    /// The written directory is a NumPy dataset with train and test splits that the
    /// Data layer reads back exactly (8-bit pixels scaled by 1/255, class names).
    @Test func writtenDatasetReadsBackThroughTheDataLayer() throws {
        let spec = TestTasks.orientation(train: 3, test: 2)
        let task = try TaskGenerator.generate(spec, imageSize: 8, seed: 4)
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try TaskDatasetWriter.write(task, seed: 4, to: dir)
        #expect(try DatasetLoader.splits(dir) == [.train, .test])
        let train = try DatasetLoader.open(dir, split: .train)
        #expect(train.count == 24)
        #expect(train.classNames == ["orient0", "orient22.5", "orient45", "orient67.5", "orient90", "orient112.5", "orient135", "orient157.5"])
        let sample = try train.sample(at: 5)
        #expect(sample.shape == [3, 8, 8])
        #expect(sample.label == task.train.labels[5])
        let expected = task.train.images[(5 * 192)..<(6 * 192)].map { Float(Double($0) / 255) }
        #expect(sample.values == expected)
        #expect(try DatasetLoader.open(dir, split: .test).count == 16)
        let description = try #require(TaskDatasetWriter.readDescription(dir))
        #expect(description.spec == spec && description.seed == 4 && description.imageSize == 8)
    }
}
