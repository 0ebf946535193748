import Cache
import Data
import FeatureIO
import Foundation
import Hub
import HubMiner
import HubMinerTorch
import Testing
@testable import Zoo
import Support

enum TinyZoo {
    /// Two models of two families on one source task, a 4-class target, 8 x 8 images:
    /// builds in well under a second.
    static func plan(models: Int = 2) -> ZooPlan {
        let source = TestTasks.orientation(train: 8, test: 2, identity: 31)
        let target = TaskSpec(
            name: "target", summary: "tiny target", labelFactors: [.orientation, .colour],
            classCodes: [[0, 0], [2, 0], [0, 2], [2, 2]], trainPerClass: 5, testPerClass: 5, identity: 32)
        let all = [
            ZooModelSpec(
                name: "tiny-cnn", architecture: .cnn(widths: [4, 8], depth: 1), source: "orient",
                training: PretrainingOptions(epochs: 1, batchSize: 16)),
            ZooModelSpec(
                name: "tiny-mlp", architecture: .mlp(hidden: [16]), source: "orient",
                training: PretrainingOptions(epochs: 1, batchSize: 16)),
        ]
        return ZooPlan(size: "tiny", imageSize: 8, sources: [source], target: target, models: Array(all.prefix(models)))
    }

    static let silent = ProgressReporter(style: .silent)
}

struct StopBuild: Error {}

@Suite struct ZooBuilds {
    func modified(_ url: URL) throws -> Date {
        try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date)
    }

    /// The built directory is an ordinary hub every command accepts, plus the target
    /// dataset and the manifest.
    @Test func tinyBuildIsAUsableHub() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let built = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 3, directory: dir, progress: TinyZoo.silent, workers: 2)
        #expect(!built.reused)
        #expect(built.trainedModels == ["tiny-cnn", "tiny-mlp"])
        let hub = try HubManifest.load(built.hub)
        #expect(hub.problems.isEmpty, "\(hub.problems)")
        #expect(hub.entries.map(\.name) == ["tiny-cnn", "tiny-mlp"])
        for entry in hub.entries {
            let probe = try FeatureExtractor(entry: entry).probe()
            let expected = entry.name == "tiny-cnn" ? 8 : 16
            #expect(probe.dimension == expected)
            #expect(probe.sourceClasses == 8)
            #expect(entry.card.representation.method == "features")
            #expect(entry.card.sourceHead?.method == "forward")
            #expect(entry.card.input.sampleShape == [3, 8, 8])
            #expect(entry.card.metadata.sourceDataset == "orient")
            #expect(entry.card.metadata.featureDimension == expected)
        }
        let manifest = try #require(ZooManifest.read(from: dir))
        #expect(manifest == built.manifest)
        #expect(manifest.seed == 3 && manifest.size == "tiny" && manifest.models.count == 2)
        #expect(manifest.models.allSatisfy { $0.hints == Stage(method: "hints") && (0...1).contains($0.targetProbeAccuracy) })
        #expect((0...1).contains(manifest.targetPixelProbeAccuracy))
        #expect(manifest.models[0].parameters == 4 * 3 * 9 + 8 * 4 * 9 + 2 * (4 + 8) + 8 * 8 + 8)

        // The target is a dataset the extraction workflow reads, end to end through the cache.
        #expect(try DatasetLoader.open(built.target, split: .train).count == 20)
        let result = try ExtractJob.run(
            ExtractConfiguration(
                hub: built.hub, data: built.target, split: .test,
                cacheDirectory: dir.appendingPathComponent("cache")), progress: TinyZoo.silent)
        #expect(result.failed.isEmpty)
        #expect(result.models.map(\.rows) == [20, 20])
    }

    /// Built once, a second build with the same plan and seed is a no-op.
    @Test func secondBuildIsANoOp() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let first = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent)
        let model = first.hub.appendingPathComponent("tiny-cnn.pt")
        let stamp = try modified(model)
        let started = Date()
        let second = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent)
        let seconds = Date().timeIntervalSince(started)
        #expect(second.reused && second.trainedModels.isEmpty)
        #expect(seconds < 0.5, "no-op took \(seconds) s")
        #expect(second.manifest == first.manifest)
        #expect(try modified(model) == stamp)
    }

    /// A build stopped after its first model resumes with the second only; the first
    /// model's file is untouched.
    @Test func interruptedBuildResumes() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        #expect(throws: StopBuild.self) {
            try ZooBuilder.build(
                plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent, workers: 1,
                hooks: ZooBuildHooks(afterModel: { _ in throw StopBuild() }))
        }
        #expect(ZooManifest.read(from: dir) == nil)
        let first = dir.appendingPathComponent("hub/tiny-cnn.pt")
        let digest = try FileDigest.sha256(of: first)
        let stamp = try modified(first)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("hub/tiny-mlp.pt").path))
        // The half-built hub lists the finished model and nothing else.
        #expect(try HubManifest.load(dir.appendingPathComponent("hub")).entries.map(\.name) == ["tiny-cnn"])

        let resumed = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent, workers: 1)
        #expect(resumed.trainedModels == ["tiny-mlp"])
        #expect(try FileDigest.sha256(of: first) == digest)
        #expect(try modified(first) == stamp)
        #expect(resumed.manifest.models.map(\.name) == ["tiny-cnn", "tiny-mlp"])

        // A model file that no longer matches its record is trained again.
        try Data("corrupt".utf8).write(to: first)
        let repaired = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent, workers: 1)
        #expect(repaired.trainedModels == ["tiny-cnn"])
        #expect(try FileDigest.sha256(of: first) == digest)
    }

    /// Another seed rebuilds everything (other data, other weights); a plan without
    /// a model (or a task) removes that model's files (the task's folder) and keeps the rest.
    @Test func seedAndPlanChangesRebuild() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let one = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 1, directory: dir, progress: TinyZoo.silent)
        let model = one.hub.appendingPathComponent("tiny-mlp.pt")
        let digest = try FileDigest.sha256(of: model)
        let two = try ZooBuilder.build(plan: TinyZoo.plan(), seed: 2, directory: dir, progress: TinyZoo.silent)
        #expect(!two.reused && two.trainedModels == ["tiny-cnn", "tiny-mlp"])
        #expect(try FileDigest.sha256(of: model) != digest)
        #expect(TaskDatasetWriter.readDescription(two.target)?.seed == 2)
        #expect(two.manifest.fingerprint != one.manifest.fingerprint)

        // A task added to the plan gets its folder; removed again, the folder goes too.
        var withSpare = TinyZoo.plan()
        withSpare.sources.append(TestTasks.colour(train: 2, test: 1))
        let spare = try ZooBuilder.build(plan: withSpare, seed: 2, directory: dir, progress: TinyZoo.silent)
        #expect(spare.trainedModels.isEmpty)
        #expect(TaskDatasetWriter.readDescription(dir.appendingPathComponent("sources/colour")) != nil)

        let smaller = try ZooBuilder.build(plan: TinyZoo.plan(models: 1), seed: 2, directory: dir, progress: TinyZoo.silent)
        #expect(smaller.trainedModels.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("sources/colour").path))
        #expect(TaskDatasetWriter.readDescription(dir.appendingPathComponent("sources/orient"))?.seed == 2)
        #expect(!FileManager.default.fileExists(atPath: model.path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("records/tiny-mlp.json").path))
        #expect(try HubManifest.load(smaller.hub).entries.map(\.name) == ["tiny-cnn"])
    }

    @Test func badPlansAreNamed() throws {
        var plan = TinyZoo.plan()
        plan.models[1].source = "nowhere"
        let error = #expect(throws: ZooError.self) {
            try ZooBuilder.build(plan: plan, seed: 0, directory: FileManager.default.temporaryDirectory, progress: TinyZoo.silent)
        }
        #expect(error?.description == "zoo plan 'tiny': model tiny-mlp: source task 'nowhere' is not among orient")
        plan = TinyZoo.plan()
        plan.models[1].name = "tiny-cnn"
        #expect(plan.validationProblem() == "zoo plan 'tiny': two models share a name")
    }

    /// The built-in plans meet the zoo's promises: >= 10 models over >= 3 families and
    /// >= 4 source tasks for the full zoo, all of each used; a target whose label
    /// factors no source task shares; few target labels per class.
    @Test func builtInPlansKeepTheirPromises() throws {
        for size in ZooSize.allCases {
            let plan = ZooCatalogue.plan(size)
            #expect(plan.validationProblem() == nil)
            #expect(Set(plan.models.map(\.architecture.family)).count == 3)
            #expect(Set(plan.models.map(\.source)) == Set(plan.sources.map(\.name)))
            #expect(plan.sources.count >= 4)
            for source in plan.sources {
                #expect(Set(source.labelFactors) != Set(plan.target.labelFactors), "\(source.name) is labelled like the target")
            }
            #expect((20...40).contains(plan.target.trainPerClass) && plan.target.classCount == 10)
        }
        #expect(ZooCatalogue.plan(.full).models.count >= 10)
        #expect(ZooCatalogue.plan(.quick).models.count < ZooCatalogue.plan(.full).models.count)
    }
}
