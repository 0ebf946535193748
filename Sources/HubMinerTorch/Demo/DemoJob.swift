import FeatureIO
import Foundation
import Report
import HubMiner
import Ranking
import RunSchema
import Tuning
import Zoo
import Support
import Torch

/// Where a demo runs and how it reports.
package struct DemoConfiguration: Sendable {
    package var plan: DemoPlan
    /// Zoo seed (tasks, initial weights).
    package var seed: UInt64
    /// The run directory (ranking, ground truth, evaluation, tuning runs, report);
    /// nil: `<cache>/demo/<plan>-seed<seed>-<fingerprint>`.
    package var runDirectory: URL?
    /// Cache root: the zoo and extracted features live here, shared across runs.
    package var cacheDirectory: URL
    /// The model tuned by every method; nil picks the hub's median model by LogME.
    package var student: String?
    package var threads: Int
    /// Where extraction and tuning run (the zoo's small models are pre-trained on the
    /// CPU, so the zoo is the same whichever device the demo uses).
    package var device: Device = .cpu

    package init(
        plan: DemoPlan, seed: UInt64 = 0, runDirectory: URL? = nil, cacheDirectory: URL, student: String? = nil,
        threads: Int = ProcessInfo.processInfo.activeProcessorCount
    ) {
        self.plan = plan
        self.seed = seed
        self.runDirectory = runDirectory
        self.cacheDirectory = cacheDirectory
        self.student = student
        self.threads = threads
    }

    /// `<cache>/demo/<plan>-seed<seed>-<fingerprint>`: re-running the same demo with
    /// the same build of the program reuses its finished stages; another plan, zoo or
    /// build gets a directory of its own.
    package static func defaultRunDirectory(plan: DemoPlan, seed: UInt64, fingerprint: String, cacheDirectory: URL) -> URL {
        cacheDirectory.appendingPathComponent("demo")
            .appendingPathComponent("\(plan.name)-seed\(seed)-\(SHA256.hex(fingerprint).prefix(10))")
    }
}

/// `hubminer demo`: the whole paradigm on the built-in zoo.
///
/// 1. build (or reuse) the zoo: a hub of pre-trained models and a target task;
/// 2. extract every model's features on the target's training split (cached) and
///    rank with every metric;
/// 3. fine-tune every model on the target: the ground truth each ranking is judged by;
/// 4. evaluate every metric (weighted tau, ...) against it;
/// 5. tune one student with each method over the plan's seeds: `finetune` (the
///    baseline), `btuning` (top-K hub models by LogME as teachers), `kd` (the
///    fine-tuned top-1 model by LogME as teacher) and `multikd` (the fine-tuned top-K,
///    weighted by LogME);
/// 6. write run.json and the HTML report.
///
/// Every stage writes its files atomically into the run directory and is skipped
/// when its output already exists, so an interrupted demo resumes where it stopped;
/// tuning runs resume from their own checkpoints.
package enum DemoJob {
    package static func run(
        _ config: DemoConfiguration, progress: ProgressReporter = ProgressReporter(),
        shouldStop: @escaping () -> Bool = { false }
    ) throws -> DemoSummary {
        var timings: [(stage: String, seconds: Double)] = []
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            defer { timings.append((stage, Date().timeIntervalSince(start))) }
            return try body()
        }

        // 1. The zoo.
        // Beside the built-in zoos `hubminer zoo build` makes, so either command reuses the other's.
        let zooDirectory = config.cacheDirectory.appendingPathComponent("zoo").appendingPathComponent(config.plan.zoo.size)
        let zoo = try timed("zoo") {
            try ZooBuilder.build(plan: config.plan.zoo, seed: config.seed, directory: zooDirectory, progress: progress)
        }
        // The program's own digest too: finished stages computed by another build of
        // HubMiner (other tuning or ranking code) are never shown as this one's.
        let fingerprint = config.plan.fingerprint(zoo: zoo.manifest.fingerprint) + "|program " + ProgramExecution.executableDigest
        let run =
            config.runDirectory
            ?? DemoConfiguration.defaultRunDirectory(
                plan: config.plan, seed: config.seed, fingerprint: fingerprint,
                cacheDirectory: config.cacheDirectory)
        try claim(run, fingerprint: fingerprint)
        progress.log("demo: run directory \(run.path)")

        // 2. Ranking with every metric (features through the extraction cache).
        let rankingURL = run.appendingPathComponent("ranking.json")
        let ranking: RankingResult = try timed("rank") {
            if let saved = try? readRanking(rankingURL) { progress.log("demo: ranking reused from \(rankingURL.path)"); return saved }
            progress.log("demo: extracting features and ranking \(zoo.manifest.models.count) models with every metric")
            var extract = ExtractConfiguration(
                hub: zoo.hub, data: zoo.target, split: .train, batchSize: 100,
                cacheDirectory: config.cacheDirectory,
                threads: config.threads)
            extract.device = config.device
            var rank = RankConfiguration(
                featuresDirectory: run, labelsFile: run, metrics: MetricRegistry.all,
                skipInapplicableMetrics: true, threads: config.threads)
            rank.logME = LogME()
            let (result, _) = try HubRankJob.run(extract: extract, rank: rank, progress: progress)
            try writeAtomically(Data(try RankingRenderer.render(result, as: .json).utf8), to: rankingURL)
            return result
        }
        let byLogME = ranking.models.sorted { $0.score > $1.score }.map(\.name)
        guard byLogME.count >= 3 else { throw DemoError.tooFewModels(count: byLogME.count) }

        // 3. Ground truth: every model fine-tuned on the target, scored by the test
        //    accuracy of the epoch chosen on validation (read once, after the choice).
        let groundTruth: [String: Double] = try timed("ground truth") {
            var out = [String: Double]()
            progress.log("demo: fine-tuning each of \(byLogME.count) models on the target (the ground truth)")
            for (i, model) in byLogME.enumerated() {
                let result = try tune(
                    config, hub: zoo.hub, data: zoo.target, student: model, method: "finetune", teachers: [],
                    seed: config.plan.seeds[0], epochs: config.plan.groundTruthEpochs,
                    out: run.appendingPathComponent("ground_truth").appendingPathComponent(model),
                    label: "ground truth \(i + 1)/\(byLogME.count) \(model)", progress: progress, shouldStop: shouldStop)
                out[model] = result.groundTruth
            }
            return out
        }
        try writeGroundTruth(groundTruth, to: run)

        // 4. How well each metric predicted the ground truth.
        let evaluation: [String: RankingQuality] = try timed("evaluate") {
            let report = try EvaluateJob.run(scores: rankingURL, truth: run.appendingPathComponent("ground_truth.csv"), truthColumn: "top1")
            let json = try EvaluationRenderer.render(
                metrics: report.metrics, baselines: Set(report.baselines),
                models: report.models.count, as: .json)
            try writeAtomically(Data(json.utf8), to: run.appendingPathComponent("evaluation.json"))
            return report.metrics
        }

        // 5. Tuning the student with each method.
        let student = try config.student ?? medianModel(byLogME)
        guard byLogME.contains(student) else { throw DemoError.unknownStudent(name: student, models: byLogME) }
        let others = byLogME.filter { $0 != student }
        let teachers = Array(others.prefix(config.plan.teacherCount))
        // KD-style teachers must speak the target's classes: the fine-tuned exports
        // of the top models by LogME, gathered with the student in a hub of their own
        // (B-Tuning ranks the zoo itself, where no model has seen the target).
        let teacherHub = try makeTeacherHub(run: run, zooHub: zoo.hub, student: student, teachers: teachers)
        var tuning: [DemoSummary.MethodAccuracy] = []
        try timed("tuning") {
            for method in config.plan.methods {
                var accuracy = DemoSummary.MethodAccuracy(method: method, best: [], last: [], test: [])
                for seed in config.plan.seeds {
                    let (hub, names): (URL, [String]) =
                        switch method {
                        case "kd": (teacherHub, [tunedName(teachers[0])])
                        case "multikd": (teacherHub, teachers.map(tunedName))
                        default: (zoo.hub, [])
                        }
                    let result = try tune(
                        config, hub: hub, data: zoo.target, student: student, method: method, teachers: names,
                        seed: seed, epochs: config.plan.tuningEpochs,
                        out: run.appendingPathComponent("tuning").appendingPathComponent(method).appendingPathComponent("seed-\(seed)"),
                        label: "\(method) seed \(seed)", progress: progress, shouldStop: shouldStop, export: false)
                    accuracy.best.append(result.best)
                    accuracy.last.append(result.last)
                    if let test = result.test { accuracy.test.append(test) }
                }
                tuning.append(accuracy)
            }
        }

        // 6. run.json and the report.
        try writeRunInfo(config, zoo: zoo, student: student, teachers: teachers, timings: timings, to: run)
        let report = run.appendingPathComponent("report.html")
        let page = ReportRenderer.render(try RunDirectory.load(run.path))
        try writeAtomically(Data(page.utf8), to: report)
        return DemoSummary(
            runDirectory: run, report: report, ranking: ranking, groundTruth: groundTruth, evaluation: evaluation,
            student: student, teachers: teachers, tuning: tuning, timings: timings)
    }

    static let fingerprintFile = "demo-fingerprint.txt"

    /// Makes `run` this demo's directory: a new or empty directory gets the
    /// fingerprint; one holding another demo's results is refused (reusing them
    /// would mix two plans' numbers).
    static func claim(_ run: URL, fingerprint: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: run, withIntermediateDirectories: true)
        let file = run.appendingPathComponent(fingerprintFile)
        if let saved = try? String(contentsOf: file, encoding: .utf8) {
            guard saved == fingerprint else { throw DemoError.otherRun(directory: run.path) }
            return
        }
        guard (try fm.contentsOfDirectory(atPath: run.path)).isEmpty else { throw DemoError.otherRun(directory: run.path) }
        try writeAtomically(Data(fingerprint.utf8), to: file)
    }

    /// The exported name of a model fine-tuned on the target.
    static func tunedName(_ model: String) -> String { "\(model)-target" }

    /// The model in the middle of the LogME ranking: a typical hub model, neither
    /// the obvious best (little left to gain) nor the worst.
    static func medianModel(_ byLogME: [String]) throws -> String {
        byLogME[byLogME.count / 2]
    }

    struct RunOutcome {
        /// Validation top-1 of the chosen (best) and the last epoch.
        var best: Double
        var last: Double
        /// Test top-1 of the chosen epoch (evaluated once, after selection on
        /// validation); nil when the target has no test split.
        var test: Double?

        /// What the ground truth records for a model: its test accuracy, or its
        /// validation accuracy when the data has no test split.
        var groundTruth: Double { test ?? best }
    }

    /// One tuning run, reused when its result exists and resumed from its checkpoint
    /// when it was interrupted.
    static func tune(
        _ config: DemoConfiguration, hub: URL, data: URL, student: String, method: String, teachers: [String],
        seed: Int, epochs: Int, out: URL, label: String, progress: ProgressReporter,
        shouldStop: @escaping () -> Bool, export: Bool = true
    ) throws -> RunOutcome {
        let resultURL = out.appendingPathComponent("result.json")
        if let saved = try? readOutcome(resultURL) {
            progress.log("demo: \(label): reused (best validation top-1 \(String(format: "%.3f", saved.best)))")
            return saved
        }
        var tune = TuneConfiguration()
        tune.hub = hub.path
        tune.data = data.path
        tune.target = student
        tune.method = method
        tune.teachers = teachers
        tune.out = out.path
        tune.seed = seed
        tune.epochs = epochs
        tune.batchSize = config.plan.batchSize
        tune.optimizer.lr = config.plan.learningRate
        if method == "btuning" {
            // B-Tuning picks its own teachers from the zoo: as many as the others get.
            tune.methodOptions["k"] = OptionValue(.number(Double(config.plan.teacherCount)))
        }
        tune.export.enabled = export
        tune.export.name = tunedName(student)
        let resume = FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint").path)
        let result = try TuneJob.run(
            config: tune, source: "demo", resume: resume,
            progress: DemoTrainingProgress(progress, label: label), shouldStop: shouldStop, device: config.device)
        progress.log(
            "demo: \(label): best validation top-1 \(String(format: "%.3f", result.best.top1)), last \(String(format: "%.3f", result.last.top1))"
                + (result.test.map { ", test top-1 \(String(format: "%.3f", $0.top1)) (evaluated once)" } ?? "")
                + ", \(String(format: "%.1f", result.result.seconds ?? 0)) s"
        )
        return RunOutcome(best: result.best.top1, last: result.last.top1, test: result.test?.top1)
    }

    /// A finished run's `result.json`, read with the type the trainer writes.
    static func readOutcome(_ url: URL) throws -> RunOutcome {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw DemoError.unreadable(file: url.path, reason: error.localizedDescription) }
        let result = try TuningResult.load(data, file: url.path)
        return RunOutcome(best: result.best.top1, last: result.last.top1, test: result.test?.top1)
    }

    static func readRanking(_ url: URL) throws -> RankingResult {
        try JSONDecoder().decode(RankingResult.self, from: try Data(contentsOf: url))
    }

    static func writeGroundTruth(_ truth: [String: Double], to run: URL) throws {
        let models = truth.keys.sorted()
        var csv = "model,top1\n"
        for m in models { csv += "\(m),\(truth[m]!)\n" }
        try writeAtomically(Data(csv.utf8), to: run.appendingPathComponent("ground_truth.csv"))
        try writeAtomically(
            try RunJSON.encode(GroundTruth(metric: "top1", models: truth)), to: run.appendingPathComponent("ground_truth.json"))
    }

    /// A hub holding the student (linked from the zoo) and the teachers' fine-tuned
    /// exports (linked from their ground-truth runs).
    static func makeTeacherHub(run: URL, zooHub: URL, student: String, teachers: [String]) throws -> URL {
        let fm = FileManager.default
        let hub = run.appendingPathComponent("teacher_hub")
        try? fm.removeItem(at: hub)
        try fm.createDirectory(at: hub, withIntermediateDirectories: true)
        func link(_ from: URL) throws {
            try fm.createSymbolicLink(at: hub.appendingPathComponent(from.lastPathComponent), withDestinationURL: from)
        }
        for ext in ["pt", "json"] { try link(zooHub.appendingPathComponent("\(student).\(ext)")) }
        for teacher in teachers {
            let exported = run.appendingPathComponent("ground_truth").appendingPathComponent(teacher).appendingPathComponent("model")
            let files = try fm.contentsOfDirectory(at: exported, includingPropertiesForKeys: nil)
            guard !files.isEmpty else { throw DemoError.unreadable(file: exported.path, reason: "no exported model of \(teacher)") }
            for file in files { try link(file) }
        }
        return hub
    }

    static func writeRunInfo(
        _ config: DemoConfiguration, zoo: BuiltZoo, student: String, teachers: [String],
        timings: [(stage: String, seconds: Double)], to run: URL
    ) throws {
        let plan = config.plan
        let info = RunInfo(
            title: "HubMiner demo (\(plan.name))", created: ISO8601DateFormatter().string(from: Date()), hub: zoo.hub.path,
            task: "target task of the \(plan.zoo.size) zoo: \(plan.zoo.target.summary)",
            timings: timings.map { RunInfo.StageTiming(stage: $0.stage, seconds: $0.seconds) })
        let recorded = DemoRunConfiguration(
            plan: plan.name, seed: Int(config.seed), student: student, teachers: teachers,
            groundTruthEpochs: plan.groundTruthEpochs, tuningEpochs: plan.tuningEpochs, batchSize: plan.batchSize,
            learningRate: plan.learningRate, seeds: plan.seeds, methods: plan.methods, models: zoo.manifest.models.map(\.name))
        try writeAtomically(try info.encoded(config: recorded), to: run.appendingPathComponent("run.json"))
    }
}

/// The demo's settings as run.json records them (the report shows them as text).
struct DemoRunConfiguration: Encodable {
    var plan: String
    var seed: Int
    var student: String
    var teachers: [String]
    var groundTruthEpochs: Int
    var tuningEpochs: Int
    var batchSize: Int
    var learningRate: Double
    var seeds: [Int]
    var methods: [String]
    var models: [String]

    enum CodingKeys: String, CodingKey {
        case plan, seed, student, teachers, groundTruthEpochs = "ground_truth_epochs", tuningEpochs = "tuning_epochs"
        case batchSize = "batch_size", learningRate = "learning_rate", seeds, methods, models
    }
}

/// Shows a tuning run's epochs on the demo's progress display, labelled with the run.
final class DemoTrainingProgress: TrainingProgress {
    let base: ProgressReporter
    let label: String
    init(_ base: ProgressReporter, label: String) {
        self.base = base
        self.label = label
    }
    func begin(_ phase: String, total: Int, unit: String) { base.begin("\(label): \(phase)", total: total, unit: unit) }
    func advance(_ note: String) { base.advance(note) }
    func finish() { base.finish() }
    func log(_ message: String) { base.log("\(label): \(message)") }
}
