import Data
import Distributed
import FeatureIO
import Foundation
import Hub
import RunSchema
import Torch
import Support

/// What `hubminer tune` reports: `result.json` (the shared run-directory type, so
/// the report reads exactly what this writes) and where the run's files are.
/// `result.best`, `result.iterations`, ... read as `best`, `iterations`.
@dynamicMemberLookup
package struct TuneResult: Sendable, Equatable {
    /// `OUT/result.json`.
    package var result: TuningResult
    package var outputDirectory: URL
    /// The exported hub entry's directory (nil when export is off).
    package var exportedModel: URL?

    package subscript<T>(dynamicMember field: KeyPath<TuningResult, T>) -> T { result[keyPath: field] }
}

/// `hubminer tune`: resolves the configuration, opens the hub, the data and the
/// student, lets the method build its terms, writes `config.json`, trains
/// (resuming when asked), exports the tuned model and writes `result.json`.
package enum TuneJob {
    /// `config` has the command line applied already; `source` names the config file
    /// (or "command line") in messages. `shouldStop` is polled between steps.
    ///
    /// With `distributed`, this process is one rank of a data-parallel run: every
    /// rank reads the hub, the data and (on `resume`) the checkpoint from the same
    /// paths, which must therefore be one shared directory; only rank 0 writes
    /// `config.json`, `notes.txt`, the log, checkpoints, the export and `result.json`.
    ///
    /// `device` is where the student, its teachers, the head and every batch live;
    /// it is not part of the run's configuration: checkpoints and the export hold
    /// CPU tensors, so a run started on a GPU resumes on a CPU and the reverse.
    ///
    /// The test split: when the dataset has one and `evaluateTest` is set, it is read
    /// once, after training, for the weights of the epoch chosen on validation, and
    /// reported as `result.test`. `auto` runs its trials without it and evaluates
    /// only its winner (by resuming the finished run with `evaluateTest`).
    /// `accessLog` records every sample read (tests prove the rule with it).
    package static func run(
        config raw: TuneConfiguration, source: String, resume: Bool,
        progress: any TrainingProgress = SilentProgress(),
        shouldStop: @escaping () -> Bool = { false },
        distributed: ProcessGroup? = nil,
        device: Device = .cpu,
        evaluateTest: Bool = true,
        accessLog: SplitAccessLog? = nil
    ) throws -> TuneResult {
        let isWriter = (distributed?.rank ?? 0) == 0
        var config = try raw.resolved(source: source)
        let method = try MethodRegistry.method(named: config.method, source: source)
        let manifest = try HubManifest.load(URL(fileURLWithPath: config.hub!))
        let known = manifest.entries.map(\.name).joined(separator: ", ")
        guard let entry = manifest.entry(named: config.target!) else {
            let problem = manifest.problems.first { $0.name == config.target }.map { "; its card has a problem: \($0.message)" } ?? ""
            throw TuningError.invalidConfiguration(
                file: source, field: "target",
                message: "no model '\(config.target!)' in the hub \(config.hub!)\(problem) (models: \(known))")
        }
        // The export's name becomes file names: check it now, not after training.
        if config.export.enabled {
            let name = config.export.name ?? "\(entry.name)-\(config.method)"
            if let (field, message) = ModelCard(name: name, file: name + ".pt").validationProblem(), field == "name" {
                throw TuningError.invalidConfiguration(
                    file: source, field: "export.name",
                    message: "the exported model's name \(config.export.name == nil ? "(target-method) " : "")" + message)
            }
        }
        for teacher in config.teachers where manifest.entry(named: teacher) == nil {
            throw TuningError.invalidConfiguration(
                file: source, field: "teachers",
                message: "no model '\(teacher)' in the hub \(config.hub!) (models: \(known))")
        }
        // One spelling per directory (`run`, `./run`, `/abs/run`): the path is part of
        // the configuration a resume must repeat.
        config.out = URL(fileURLWithPath: config.out).standardizedFileURL.path
        let out = URL(fileURLWithPath: config.out)
        // Held until this function returns (the process ends): a second run into the
        // same directory would mix config.json, checkpoints and result.json of two runs.
        let lock = isWriter ? try RunDirectoryLock(directory: out) : nil
        defer { lock?.release() }
        let checkpoint = out.appendingPathComponent("checkpoint").appendingPathComponent(CheckpointStore.stateName)
        if !resume && FileManager.default.fileExists(atPath: checkpoint.path) {
            throw TuningError.checkpoint(
                message: "\(out.path) already holds a run's checkpoint; pass --resume to continue it or choose another --out")
        }

        let data = try TuneData.open(
            URL(fileURLWithPath: config.data!), validationFraction: config.split.validationFraction,
            seed: UInt64(config.split.seed), trainPerClass: config.split.trainPerClass, accessLog: accessLog)
        let student = try HubModel(entry: entry)
        // Everything the run makes from the student (initial copies, teachers, the
        // head, terms) follows it to its device; files are written from CPU copies.
        try student.move(to: device)
        let resources = MethodResources(
            hub: manifest, student: student, train: data.train, batchSize: config.batchSize,
            workers: config.workers, source: source)
        let options = MethodOptions(config.methodOptions.mapValues(\.value), source: source)
        // The student's parameters as the trainer will train them (a checkpoint
        // folder's load frozen), so methods see the trainable ones.
        if config.optimizer.backboneLrMultiplier != 0 { try student.setTrainable(true) }
        let parameters = try student.namedParameters()
        let context = MethodContext(
            method: config.method, student: student, studentParameters: parameters,
            initialParameters: Dictionary(uniqueKeysWithValues: try parameters.map { ($0.name, try $0.tensor.detach().clone()) }),
            classCount: data.train.classNames.count, options: options, teacherNames: config.teachers, hub: manifest,
            loadModel: { try resources.loadModel($0) },
            trainingOutputs: { try resources.trainingOutputs($0, needs: $1) },
            trainingLabels: try resources.trainingLabels(), augmented: config.augment && entry.card.input.kind == .image,
            configSource: source)
        // Terms that draw random initial values (regressors, projections) use
        // libtorch's global generator: seed it so the run is reproducible.
        let terms = try GlobalGenerator.lock.withLock {
            TorchRuntime.manualSeed(Trainer.derivedSeed(UInt64(config.seed), stream: 3))
            return try method.makeTerms(context)
        }
        // What the terms found while being built (B-Tuning's teacher ranking, a
        // degenerate student projection): notes on the progress display, warnings
        // on stderr even when quiet, both in OUT/notes.txt.
        var notes: [String] = []
        for case let term as any LossTermNotes in terms {
            for note in term.notes { progress.log("\(term.name): \(note)"); notes.append("\(term.name): \(note)") }
            for warning in term.warnings {
                FileHandle.standardError.write(Data("hubminer: warning: \(term.name): \(warning)\n".utf8))
                notes.append("warning: \(term.name): \(warning)")
            }
        }
        // Methods whose paper weights the cross-entropy itself (KD: 0.1 CE + 0.9 KD)
        // scale the configured `ce_weight` by their own factor.
        if let weighting = method as? any WeightsCrossEntropy.Type {
            config.ceWeight *= try weighting.crossEntropyWeight(options)
        }
        if let unused = options.unusedKeys.first {
            throw TuningError.invalidConfiguration(
                file: source, field: "method_options.\(unused)",
                message: "method '\(config.method)' has no option '\(unused)'"
                    + (options.resolved.isEmpty ? " (it takes none)" : " (its options: \(options.resolved.keys.sorted().joined(separator: ", ")))"))
        }

        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let resolved = try config.resolvedJSON(methodOptions: options.resolved, dataSplit: data.record)
        let configURL = out.appendingPathComponent("config.json")
        if resume, let saved = try? Data(contentsOf: configURL) {
            try ConfigurationComparison.requireSame(saved: saved, current: resolved, file: configURL.path)
        }
        if isWriter { try writeAtomically(resolved, to: configURL) }
        if isWriter && !notes.isEmpty {
            try writeAtomically(Data((notes.joined(separator: "\n") + "\n").utf8), to: out.appendingPathComponent("notes.txt"))
        }

        let trainer = try Trainer(
            config: config, student: student, train: data.train, validation: data.validation,
            methodTerms: terms, output: out, progress: progress, distributed: distributed)
        trainer.shouldStop = shouldStop
        trainer.fingerprint = RunFingerprint.of(
            resolvedConfiguration: resolved, train: data.train.fingerprint, validation: data.validation.fingerprint)
        let outcome = try trainer.run(resume: resume)

        var exported: URL?
        if config.export.enabled && isWriter {
            if config.export.weights == "best" { try trainer.loadBestWeights() }
            // The exported module holds CPU tensors, so it loads on any machine.
            try student.move(to: .cpu)
            for p in trainer.head.parameters { try p.move(to: .cpu) }
            let name = config.export.name ?? "\(entry.name)-\(config.method)"
            let record = config.export.weights == "best" ? outcome.best : outcome.last
            let description =
                "\(entry.name) tuned with \(config.method) (seed \(config.seed), epoch \(record.epoch), validation top-1 "
                + String(format: "%.4f", record.metrics.top1) + ")"
            exported = try ModelExport.export(
                model: student, head: trainer.head, name: name, to: out.appendingPathComponent("model"),
                description: description,
                sourceDataset: URL(fileURLWithPath: config.data!).lastPathComponent
            ).directory
        }

        // The test split, once, for the chosen epoch's weights: nothing is chosen after this.
        var test: TuningResult.TestEvaluation?
        if evaluateTest && isWriter,
            let testSplit = try TuneData.openTest(
                URL(fileURLWithPath: config.data!), classNames: data.train.classNames, accessLog: accessLog)
        {
            accessLog?.record(.selected("epoch \(outcome.best.epoch) of \(out.lastPathComponent)"))
            if !(exported != nil && config.export.weights == "best") { try trainer.loadBestWeights() }
            let metrics = try trainer.evaluateTest(testSplit)
            test = .init(
                epoch: outcome.best.epoch, top1: metrics.top1, top5: metrics.top5, meanClass: metrics.meanClass, loss: metrics.loss,
                samples: metrics.samples)
            progress.log(
                "test top-1 \(String(format: "%.4f", metrics.top1)) on \(metrics.samples) samples (epoch \(outcome.best.epoch)'s weights; "
                    + TuningResult.TestEvaluation.protocolText + ")")
        }

        let file = TuningResult(
            method: config.method, model: entry.name, seed: config.seed, classes: trainer.classCount,
            epochs: outcome.epochs, iterations: outcome.iterations, best: .init(outcome.best), last: .init(outcome.last),
            seconds: outcome.seconds, terms: trainer.terms.map { .init(name: $0.name, weight: $0.weight) }, test: test)
        if isWriter {
            try writeAtomically(try RunJSON.encode(file) + Data("\n".utf8), to: out.appendingPathComponent("result.json"))
        }
        return TuneResult(result: file, outputDirectory: out, exportedModel: exported)
    }
}

/// A resumed run must be the run that was interrupted: its resolved configuration
/// may differ only in fields that do not change the numbers: loader threads, and the
/// export, which acts after training (`auto` resumes its winning trial to export it).
enum ConfigurationComparison {
    static let ignored: Set<String> = ["workers", "export"]

    static func requireSame(saved: Data, current: Data, file: String) throws {
        guard let a = try? JSONSerialization.jsonObject(with: saved) as? [String: Any],
            let b = try? JSONSerialization.jsonObject(with: current) as? [String: Any]
        else {
            throw TuningError.checkpoint(message: "\(file) is not a configuration written by this program")
        }
        if let (field, old, new) = firstDifference(a, b, path: []) {
            throw TuningError.checkpoint(
                message:
                    "the run in \(URL(fileURLWithPath: file).deletingLastPathComponent().path) was started with \(field) = \(old), this command gives \(new); resume with the same settings"
            )
        }
    }

    /// A value's JSON text (keys sorted), for comparing without bridging quirks.
    private static func canonical(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) else { return "\(value)" }
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    private static func firstDifference(_ a: [String: Any], _ b: [String: Any], path: [String]) -> (String, String, String)? {
        for key in Set(a.keys).union(b.keys).sorted() where !(path.isEmpty && ignored.contains(key)) {
            let field = (path + [key]).joined(separator: ".")
            switch (a[key], b[key]) {
            case let (x as [String: Any], y as [String: Any]):
                if let d = firstDifference(x, y, path: path + [key]) { return d }
            case let (x?, y?):
                if canonical(x) != canonical(y) { return (field, canonical(x), canonical(y)) }
            case let (x?, nil): return (field, "\(x)", "(unset)")
            case let (nil, y?): return (field, "(unset)", "\(y)")
            case (nil, nil): break
            }
        }
        return nil
    }
}
