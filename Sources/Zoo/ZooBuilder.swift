import FeatureIO
import Foundation
import Hub
import Linalg
import Torch
import Support

/// Test and tooling hooks. `afterModel` runs once a model is fully written (model
/// file, card, record); throwing from it stops the build there, as a killed process
/// would (the resume tests use it).
package struct ZooBuildHooks: Sendable {
    package var afterModel: (@Sendable (String) throws -> Void)?
    package init(afterModel: (@Sendable (String) throws -> Void)? = nil) { self.afterModel = afterModel }
}

/// Builds a zoo directory, or finds it already built:
///
///     DIR/zoo.json               the manifest (written last)
///     DIR/hub/<model>.pt         TorchScript, with features/forward/hints methods
///     DIR/hub/<model>.json       its model card
///     DIR/target/                the target task (NumPy dataset: train/, test/)
///     DIR/sources/<task>/        each source task (same layout)
///     DIR/records/<model>.json   per-model build record (fingerprint, file digest, results)
///
/// Caching: a `zoo.json` with the same fingerprint (versions, seed, plan) whose
/// model files match the digests their records hold makes the build a no-op. Otherwise each model whose
/// record matches its own fingerprint and whose file digest matches is kept, and the
/// rest are trained, each written atomically (model, then card, then record), so an
/// interrupted build resumes where it stopped. A changed seed, version or plan
/// changes the fingerprints and rebuilds. Files of models no longer in the plan are
/// removed from `hub/` and `records/`, tasks no longer in it from `sources/`.
package enum ZooBuilder {
    package static let hubFolder = "hub"
    package static let targetFolder = "target"
    package static let sourcesFolder = "sources"
    package static let recordsFolder = "records"

    /// `<cache>/zoo/<size>`: where `zoo build` and the demo keep a built-in zoo.
    package static func defaultDirectory(size: ZooSize, cacheDirectory: URL) -> URL {
        cacheDirectory.appendingPathComponent("zoo").appendingPathComponent(size.rawValue)
    }

    /// Builds (or finds) the built-in zoo of `size`. `workers`: models trained at once,
    /// one core each (default: every core).
    package static func build(
        size: ZooSize, seed: UInt64 = 0, directory: URL, progress: ProgressReporter = ProgressReporter(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, hooks: ZooBuildHooks = ZooBuildHooks()
    ) throws -> BuiltZoo {
        try build(plan: ZooCatalogue.plan(size), seed: seed, directory: directory, progress: progress, workers: workers, hooks: hooks)
    }

    package static func build(
        plan: ZooPlan, seed: UInt64, directory: URL, progress: ProgressReporter = ProgressReporter(),
        workers: Int = ProcessInfo.processInfo.activeProcessorCount, hooks: ZooBuildHooks = ZooBuildHooks()
    ) throws -> BuiltZoo {
        let started = Date()
        if let problem = plan.validationProblem() { throw ZooError.invalidArgument(problem) }
        let fingerprint = try planFingerprint(plan, seed: seed)
        let layout = Layout(directory: directory)
        if let existing = ZooManifest.read(from: directory), existing.fingerprint == fingerprint, isComplete(existing, layout) {
            progress.log(
                String(
                    format: "zoo: %@ zoo (seed %llu) already built in %@ (checked in %.0f ms)", plan.size, seed, directory.path,
                    Date().timeIntervalSince(started) * 1000))
            return BuiltZoo(
                directory: directory, hub: layout.hub, target: layout.target, manifest: existing, reused: true, trainedModels: [],
                seconds: Date().timeIntervalSince(started))
        }
        progress.log("zoo: building the \(plan.size) zoo (seed \(seed), \(plan.models.count) models) in \(directory.path)")
        for dir in [layout.hub, layout.records, layout.sources] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        // A stale manifest must not survive a partial rebuild.
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(ZooManifest.fileName))

        let target = Target(
            task: try prepareTask(plan.target, imageSize: plan.imageSize, seed: seed, directory: layout.target, progress: progress),
            fingerprint: try taskFingerprint(plan.target, imageSize: plan.imageSize, seed: seed))
        var sources = [String: GeneratedTask]()
        for spec in plan.sources {
            sources[spec.name] = try prepareTask(
                spec, imageSize: plan.imageSize, seed: seed,
                directory: layout.sources.appendingPathComponent(spec.name), progress: progress)
        }
        var (summaries, pending) = try keepFinished(plan, seed: seed, layout: layout, target: target, progress: progress)
        for summary in try train(
            pending, plan: plan, seed: seed, sources: sources, target: target, layout: layout, workers: workers,
            progress: progress, hooks: hooks)
        {
            summaries[summary.name] = summary
        }
        try removeStale(plan, layout)

        let manifest = ZooManifest(
            generatorVersion: ZooVersion.generator, builderVersion: ZooVersion.builder, seed: seed, size: plan.size,
            fingerprint: fingerprint, imageSize: plan.imageSize, hub: hubFolder,
            target: ZooTaskSummary(plan.target, directory: targetFolder),
            sources: plan.sources.map { ZooTaskSummary($0, directory: sourcesFolder + "/" + $0.name) },
            models: plan.models.map { summaries[$0.name]! },
            buildSeconds: Date().timeIntervalSince(started),
            targetPixelProbeAccuracy: try pixelProbe(target.task))
        try writeAtomically(try ZooJSON.encode(manifest), to: directory.appendingPathComponent(ZooManifest.fileName))
        progress.log(
            String(
                format: "zoo: built in %.1f s; target linear-probe accuracy %.2f to %.2f across models (raw pixels %.2f)",
                manifest.buildSeconds, manifest.models.map(\.targetProbeAccuracy).min() ?? 0,
                manifest.models.map(\.targetProbeAccuracy).max() ?? 0, manifest.targetPixelProbeAccuracy))
        return BuiltZoo(
            directory: directory, hub: layout.hub, target: layout.target, manifest: manifest, reused: false,
            trainedModels: plan.models.map(\.name).filter { name in pending.contains { $0.model.name == name } },
            seconds: manifest.buildSeconds)
    }

    /// The folders of a zoo directory.
    struct Layout {
        let hub: URL, target: URL, sources: URL, records: URL
        init(directory: URL) {
            hub = directory.appendingPathComponent(ZooBuilder.hubFolder)
            target = directory.appendingPathComponent(ZooBuilder.targetFolder)
            sources = directory.appendingPathComponent(ZooBuilder.sourcesFolder)
            records = directory.appendingPathComponent(ZooBuilder.recordsFolder)
        }
    }

    /// The generated target and the fingerprint its probe accuracies are tied to.
    struct Target: Sendable {
        let task: GeneratedTask
        let fingerprint: String
    }

    /// A model still to be trained: its place in the plan and its fingerprint.
    typealias PendingModel = (index: Int, model: ZooModelSpec, fingerprint: String)

    // MARK: Steps

    /// Splits the plan's models into those an earlier build finished (their summaries;
    /// the probe is measured again when the target changed) and those to train.
    static func keepFinished(
        _ plan: ZooPlan, seed: UInt64, layout: Layout, target: Target,
        progress: ProgressReporter
    ) throws -> ([String: ZooModelSummary], [PendingModel]) {
        var kept = [String: ZooModelSummary]()
        var pending = [PendingModel]()
        for (index, model) in plan.models.enumerated() {
            let modelFingerprint = try self.modelFingerprint(model, plan: plan, seed: seed)
            guard var record = reusable(model, fingerprint: modelFingerprint, hub: layout.hub, records: layout.records) else {
                pending.append((index, model, modelFingerprint))
                continue
            }
            if record.targetFingerprint != target.fingerprint {
                try withSingleThreadedTorch {
                    let network = try ScriptModule(contentsOf: layout.hub.appendingPathComponent(record.summary.file).path)
                    record.summary.targetProbeAccuracy = try probe(network, target: target.task)
                }
                record.targetFingerprint = target.fingerprint
                try writeAtomically(try ZooJSON.encode(record), to: layout.records.appendingPathComponent(model.name + ".json"))
            }
            progress.log("zoo: [\(index + 1)/\(plan.models.count)] \(model.name): kept from an earlier build")
            kept[model.name] = record.summary
        }
        return (kept, pending)
    }

    /// Trains the pending models, one per worker thread, the costliest first (so the
    /// last job to finish is a short one); progress counts epochs over all of them.
    static func train(
        _ pending: [PendingModel], plan: ZooPlan, seed: UInt64, sources: [String: GeneratedTask], target: Target,
        layout: Layout, workers: Int, progress: ProgressReporter, hooks: ZooBuildHooks
    ) throws -> [ZooModelSummary] {
        guard !pending.isEmpty else { return [] }
        let jobs = pending.sorted { trainingCost($0.model, plan: plan) > trainingCost($1.model, plan: plan) }
        let results = Locked([ZooModelSummary]())
        let (imageSize, total) = (plan.imageSize, plan.models.count)
        progress.log("zoo: pre-training \(jobs.count) model(s) on \(min(workers, jobs.count)) thread(s)")
        progress.begin("zoo: training", total: jobs.reduce(0) { $0 + $1.model.training.epochs }, unit: "epochs")
        // The bar's line ends even when a model fails.
        defer { progress.finish() }
        try WorkerPool.run(jobs: jobs.count, workers: workers) { j in
            let (index, model, modelFingerprint) = jobs[j]
            let summary = try trainAndSave(
                model, task: sources[model.source]!, target: target, imageSize: imageSize, seed: seed,
                layout: layout, fingerprint: modelFingerprint, progress: progress)
            results.withLock { $0.append(summary) }
            progress.log(
                String(
                    format: "zoo: [%d/%d] %@ (%@ on %@): source accuracy %.3f, target probe %.3f, %.1f s",
                    index + 1, total, model.name, model.architecture.family, model.source, summary.result.sourceAccuracy,
                    summary.targetProbeAccuracy, summary.result.seconds))
            try hooks.afterModel?(model.name)
        }
        return results.current
    }

    /// Generates a task, and writes its dataset directory unless an identical one is there.
    static func prepareTask(_ spec: TaskSpec, imageSize: Int, seed: UInt64, directory: URL, progress: ProgressReporter) throws -> GeneratedTask {
        let task = try TaskGenerator.generate(spec, imageSize: imageSize, seed: seed)
        let existing = TaskDatasetWriter.readDescription(directory)
        if existing?.spec != spec || existing?.seed != seed || existing?.imageSize != imageSize
            || existing?.generatorVersion != ZooVersion.generator
        {
            try? FileManager.default.removeItem(at: directory)
            try TaskDatasetWriter.write(task, seed: seed, to: directory)
            progress.log("zoo: task \(spec.name): \(task.train.count) training and \(task.test.count) test images written")
        }
        return task
    }

    /// Builds and pre-trains one model, measures its target probe, then writes model
    /// file, card and record, each atomically and in that order.
    static func trainAndSave(
        _ model: ZooModelSpec, task: GeneratedTask, target: Target, imageSize: Int, seed: UInt64,
        layout: Layout, fingerprint: String, progress: ProgressReporter
    ) throws -> ZooModelSummary {
        let network = try NetworkBuilder.make(
            model.architecture, imageSize: imageSize, classes: task.spec.classCount,
            seed: modelSeed(model.name, seed: seed))
        let result = try Pretrainer.train(
            network, task: task, options: model.training, seed: modelSeed(model.name, seed: seed) &+ 1,
            name: model.name
        ) { epoch, epochs, loss in
            progress.advance(String(format: "%@ epoch %d/%d loss %.3f", model.name, epoch, epochs, loss))
        }
        let summary = ZooModelSummary(
            name: model.name, family: model.architecture.family, architecture: model.architecture,
            sourceTask: model.source, parameters: try NetworkBuilder.parameterCount(network),
            featureDimension: model.architecture.featureDimension, sourceClasses: task.spec.classCount,
            training: model.training, result: result, targetProbeAccuracy: try probe(network, target: target.task),
            hints: Stage(method: "hints"), file: model.name + ".pt")
        let modelURL = layout.hub.appendingPathComponent(summary.file)
        try saveAtomically(network, to: modelURL)
        let record = ZooModelRecord(
            fingerprint: fingerprint, targetFingerprint: target.fingerprint,
            modelSHA256: try FileDigest.sha256(of: modelURL), summary: summary)
        try writeAtomically(
            try HubManifest.encodeCard(card(for: summary, imageSize: imageSize)),
            to: layout.hub.appendingPathComponent(model.name + ".json"))
        try writeAtomically(try ZooJSON.encode(record), to: layout.records.appendingPathComponent(model.name + ".json"))
        return summary
    }

    /// Estimated training cost: epochs x images x (multiply-accumulates per image plus a
    /// per-image share of the fixed per-step overhead, about that of a 20k-MAC network
    /// at batch 32, measured on the zoo's small models).
    static func trainingCost(_ model: ZooModelSpec, plan: ZooPlan) -> Double {
        let images = Double(plan.source(named: model.source).map { $0.trainPerClass * $0.classCount } ?? 0)
        return Double(model.training.epochs) * images * Double(model.architecture.multiplyAccumulates(imageSize: plan.imageSize) + 20_000)
    }

    /// Runs `body` with libtorch and OpenBLAS on one thread (as the workers run).
    static func withSingleThreadedTorch<T>(_ body: () throws -> T) rethrows -> T {
        TorchRuntime.threadSettingLock.lock()
        defer { TorchRuntime.threadSettingLock.unlock() }
        let previous = TorchRuntime.threadCount
        defer { TorchRuntime.threadCount = previous }
        TorchRuntime.threadCount = 1
        return try BLASRuntime.withThreadCount(1, body)
    }

    /// Linear-probe accuracy of the network's features on the target task.
    static func probe(_ network: ScriptModule, target: GeneratedTask) throws -> Double {
        try network.eval()
        func features(_ split: GeneratedSplit) throws -> Matrix {
            try withNoGrad {
                let x = try Tensor(taking: split.floatImages(), shape: [split.count] + split.sampleShape)
                return try network.run(method: "features", [.tensor(x)]).tensor().to(.float64).toMatrix()
            }
        }
        return try ZooProbe.accuracy(
            train: try features(target.train), trainLabels: target.train.labels,
            test: try features(target.test), testLabels: target.test.labels)
    }

    /// The same probe on raw pixels: the baseline a model's features must beat.
    static func pixelProbe(_ target: GeneratedTask) throws -> Double {
        func pixels(_ split: GeneratedSplit) -> Matrix {
            Matrix(rows: split.count, columns: split.sampleShape.reduce(1, *), storage: split.images.map { Double($0) / 255 })
        }
        return try ZooProbe.accuracy(
            train: pixels(target.train), trainLabels: target.train.labels,
            test: pixels(target.test), testLabels: target.test.labels)
    }
}

/// `records/<model>.json`: what a build needs to decide whether a model can be kept.
struct ZooModelRecord: Codable {
    var fingerprint: String
    /// The target the probe accuracy was measured on.
    var targetFingerprint: String
    var modelSHA256: String
    var summary: ZooModelSummary

    enum CodingKeys: String, CodingKey {
        case fingerprint, targetFingerprint = "target_fingerprint", modelSHA256 = "model_sha256", summary
    }
}
