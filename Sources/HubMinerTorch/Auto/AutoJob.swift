import Data
import Foundation
import HubMiner
import Hub
import Ranking
import Report
import RunSchema
import Support
import Torch
import Tuning

/// What `hubminer auto` searches and where (the command's options, resolved).
package struct AutoConfiguration: Sendable {
    package var hub: URL
    package var data: URL
    package var out: URL
    package var cacheDirectory: URL
    /// nil: the default set (finetune, btuning, and multikd or kd when the hub has teachers).
    package var methods: [String]?
    package var top = 2
    package var configs = 3
    package var teachers = 3
    package var maxEpochs = 20
    package var minEpochs = 2
    package var eta = 3
    package var batchSize = 32
    package var learningRate = 0.01
    package var validationFraction = 0.2
    package var seed = 0
    /// Seconds; nil: no limit.
    package var budget: Double?
    package var threads = ProcessInfo.processInfo.activeProcessorCount
    package var device: Device = .cpu

    package init(hub: URL, data: URL, out: URL, cacheDirectory: URL) {
        self.hub = hub
        self.data = data
        self.out = out
        self.cacheDirectory = cacheDirectory
    }

    /// Everything that changes which trials run and their numbers (not the budget,
    /// threads or device): a resumed search must have the same.
    var plan: [String: String] {
        [
            "hub": hub.standardizedFileURL.path, "data": data.standardizedFileURL.path,
            "methods": methods?.joined(separator: ",") ?? "(default)", "top": "\(top)", "configs": "\(configs)",
            "teachers": "\(teachers)", "epochs": "\(maxEpochs)", "min_epochs": "\(minEpochs)", "eta": "\(eta)",
            "batch_size": "\(batchSize)", "lr": "\(learningRate)", "validation_fraction": "\(validationFraction)", "seed": "\(seed)",
        ]
    }
}

/// A configuration of the search: a model, a method (with its teachers) and settings.
package struct AutoCandidate: Sendable, Equatable {
    package var model: String
    package var method: String
    package var teachers: [String]
    package var settings: TrialSettings
}

/// What `auto` returns: the record it wrote (`auto.json`) and where its files are.
package struct AutoResult: Sendable {
    package var record: AutoRecord
    package var outputDirectory: URL
    package var report: URL
}

package enum AutoError: Error, CustomStringConvertible, Equatable {
    case otherSearch(directory: String, field: String, saved: String, given: String)
    case nothingFinished(firstFailure: String?)
    case noMethods(reasons: [String])
    case badInput(option: String, path: String, expected: String)

    package var description: String {
        switch self {
        case .otherSearch(let directory, let field, let saved, let given):
            "\(directory) holds an auto run started with \(field) = \(saved), this command gives \(given); run with the same settings to resume it, or choose another --out"
        case .nothingFinished(let failure):
            "no trial finished" + (failure.map { "; the first failure: \($0)" } ?? "")
        case .noMethods(let reasons):
            "no method can run on this hub: " + reasons.joined(separator: "; ")
        case .badInput(let option, let path, let expected):
            "\(option) \(path): expected \(expected)"
        }
    }
}

/// `hubminer auto`: rank the hub, search the top models x methods x settings by
/// successive halving on validation accuracy within the budget, choose the winner
/// on validation, evaluate it once on test, export it, write the report.
///
/// Every trial is a `tune` run in `OUT/trials/<id>/` (its own checkpoints, log and
/// result); `OUT/trials.json` (the ledger) is rewritten atomically after each trial,
/// so a killed search, run again, skips the trials with a result and resumes the one
/// that was running from its checkpoint. See docs/AUTO.md.
package enum AutoJob {
    package static let defaultMethods = ["finetune", "btuning", "multikd"]
    static let planFile = "auto-plan.json"
    static let ledgerFile = "trials.json"
    /// Written in the winner's trial directory once it has been evaluated on test and exported.
    static let chosenFile = "chosen.json"

    package static func run(
        _ config: AutoConfiguration, progress: ProgressReporter = ProgressReporter(),
        shouldStop: @escaping () -> Bool = { false }, accessLog: SplitAccessLog? = nil
    ) throws -> AutoResult {
        let started = Date()
        let fm = FileManager.default
        // Bad input fails here, before anything is extracted or trained.
        for name in config.methods ?? [] { _ = try MethodRegistry.method(named: name, source: "--methods") }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: config.hub.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw AutoError.badInput(option: "--hub", path: config.hub.path, expected: "a hub directory (models and their cards)")
        }
        let manifest = try HubManifest.load(config.hub)
        guard fm.fileExists(atPath: config.data.path) else {
            throw AutoError.badInput(option: "--data", path: config.data.path, expected: "a dataset (a folder or file that exists)")
        }
        // The split tune will use (train and validation only: the test split is not opened here).
        let split = try TuneData.open(config.data, validationFraction: config.validationFraction, seed: UInt64(config.seed))
        let classCount = split.train.classNames.count

        try fm.createDirectory(at: config.out, withIntermediateDirectories: true)
        try claim(config)

        // 1. Ranking (LogME, features through the extraction cache), kept in OUT.
        let rankingURL = config.out.appendingPathComponent("ranking.json")
        let ranking: RankingResult
        if let saved = try? JSONDecoder().decode(RankingResult.self, from: Data(contentsOf: rankingURL)) {
            progress.log("auto: ranking reused from \(rankingURL.path)")
            ranking = saved
        } else {
            progress.log("auto: ranking \(manifest.entries.count) models by LogME")
            let splits = try DatasetLoader.splits(config.data)
            var extract = ExtractConfiguration(
                hub: config.hub, data: config.data, split: splits.contains(.train) ? .train : nil, batchSize: 100,
                cacheDirectory: config.cacheDirectory, threads: config.threads)
            extract.device = config.device
            let rank = RankConfiguration(featuresDirectory: config.out, labelsFile: config.out, threads: config.threads)
            ranking = try HubRankJob.run(extract: extract, rank: rank, progress: progress).0
            try writeAtomically(Data(try RankingRenderer.render(ranking, as: .json).utf8), to: rankingURL)
        }
        let byLogME = ranking.models.sorted { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
        let topModels = Array(byLogME.prefix(config.top).map(\.name))

        // 2. The configurations.
        var notes: [String] = []
        for failure in ranking.failed { notes.append("\(failure.name) could not be ranked: \(failure.error)") }
        let candidates = try makeCandidates(
            config, models: topModels, byLogME: byLogME.map(\.name), manifest: manifest, classCount: classCount, notes: &notes)
        let schedule = SuccessiveHalving(count: candidates.count, eta: config.eta, minEpochs: config.minEpochs, maxEpochs: config.maxEpochs)
        progress.log(
            "auto: \(candidates.count) configuration(s) of \(topModels.joined(separator: ", ")); rungs "
                + zip(schedule.rungSizes, schedule.rungEpochs).map { "\($0.0) x \($0.1) epochs" }.joined(separator: ", "))

        // 3. The search.
        let ledgerURL = config.out.appendingPathComponent(ledgerFile)
        var ledger = (try? AutoLedger.load(Data(contentsOf: ledgerURL), file: ledgerURL.path)) ?? AutoLedger(trials: [])
        let previousSeconds = ledger.seconds ?? 0
        func elapsed() -> Double { previousSeconds + Date().timeIntervalSince(started) }
        var results = [TrialKey: Double?]()
        for trial in ledger.trials {
            results[TrialKey(configuration: trial.configuration, rung: trial.rung)] = trial.status == .finished ? trial.validationTop1 : nil
        }
        if !ledger.trials.isEmpty { progress.log("auto: \(ledger.trials.count) trial(s) already done, not repeated") }
        var stoppedByBudget = false
        // Once a choice has been evaluated on the test split the search is closed: more
        // trials (a larger budget) and a second test evaluation would make the test
        // split part of the selection.
        let closed = ledger.trials.first {
            FileManager.default.fileExists(atPath: trialDirectory(config, $0.id).appendingPathComponent(chosenFile).path)
        }
        if let closed {
            notes.append(
                "the search was closed when its choice (\(closed.id)) was evaluated on the test split; run again, it is reused as it is (search further in another --out)"
            )
        }
        while closed == nil {
            let decision = schedule.next(
                results: results, elapsed: elapsed(), budget: config.budget,
                estimate: { Self.estimate($0, schedule: schedule, candidates: candidates, trials: ledger.trials) })
            guard case .run(let key) = decision else {
                if case .outOfBudget(let next) = decision {
                    stoppedByBudget = true
                    notes.append(
                        "the budget stopped the search before trial \(next) (\(String(format: "%.0f", elapsed())) s used of \(String(format: "%.0f", config.budget ?? 0)) s)"
                    )
                }
                break
            }
            let candidate = candidates[key.configuration]
            let done = ledger.trials.count
            let eta = remainingSeconds(schedule: schedule, results: results, candidates: candidates, trials: ledger.trials)
            let etaText =
                eta.map { seconds in
                    ", ETA " + clock(config.budget.map { Swift.min(seconds, Swift.max(0, $0 - elapsed())) } ?? seconds)
                } ?? ""
            let label = "auto: trial \(done + 1)/\(schedule.plannedTrials) \(key) \(candidate.model) \(candidate.method)\(etaText)"
            let trial = try runTrial(
                key, candidate, epochs: schedule.rungEpochs[key.rung], config: config, label: label, progress: progress,
                shouldStop: shouldStop, accessLog: accessLog)
            results[key] = trial.status == .finished ? trial.validationTop1 : nil
            ledger.trials.append(trial)
            ledger.seconds = elapsed()
            try writeAtomically(try RunJSON.encode(ledger), to: ledgerURL)
            progress.log(
                "auto: \(key) \(candidate.model) \(candidate.method) \(trial.settings): "
                    + (trial.status == .finished
                        ? "validation top-1 \(String(format: "%.4f", trial.validationTop1 ?? .nan))" : "failed: \(trial.error ?? "")"))
        }

        // A closed search keeps saying whether its budget stopped it.
        if closed != nil && schedule.next(results: results) != .finished { stoppedByBudget = true }

        // 4. The winner, chosen on validation; the test split is read once, for it alone.
        var choice: AutoRecord.Choice?
        let winnerKey = closed.map { TrialKey(configuration: $0.configuration, rung: $0.rung) } ?? schedule.winner(results: results)
        if let key = winnerKey, let trial = ledger.trials.first(where: { $0.id == key.description }) {
            accessLog?.record(.selected("winner \(key)"))
            let candidate = candidates[key.configuration]
            let reason = Self.reason(key, trials: ledger.trials)
            let finished = try finish(key, candidate, epochs: trial.epochs, config: config, progress: progress, accessLog: accessLog)
            choice = AutoRecord.Choice(
                trial: trial.id, model: trial.model, method: trial.method, settings: trial.settings, epochs: trial.epochs,
                validationTop1: trial.validationTop1 ?? .nan, reason: reason, test: finished.test, exportedModel: finished.exportedModel?.path)
        } else {
            let failure = ledger.trials.first { $0.status == .failed }.map { "\($0.id): \($0.error ?? "")" }
            throw AutoError.nothingFinished(firstFailure: failure)
        }

        // 5. auto.json and the report.
        let topSet = Set(topModels)
        let record = AutoRecord(
            hub: config.hub.path, data: config.data.path, validation: split.record.validation, seed: config.seed,
            budgetSeconds: config.budget, eta: config.eta, rungEpochs: schedule.rungEpochs, rungSizes: schedule.rungSizes,
            ranking: byLogME.map { .init(model: $0.name, logme: $0.score, candidate: topSet.contains($0.name)) }, notes: notes,
            trials: ledger.trials, stoppedByBudget: stoppedByBudget, choice: choice, seconds: elapsed())
        try writeAtomically(try RunJSON.encode(record) + Data("\n".utf8), to: config.out.appendingPathComponent("auto.json"))
        var logs = [String: TuningLog]()
        for trial in ledger.trials {
            let url = trialDirectory(config, trial.id).appendingPathComponent("log.jsonl")
            if let data = try? Data(contentsOf: url), let log = try? TuningLog.load(data, file: url.path) { logs[trial.id] = log }
        }
        let report = config.out.appendingPathComponent("report.html")
        try writeAtomically(Data(AutoReportRenderer.render(record, logs: logs).utf8), to: report)
        return AutoResult(record: record, outputDirectory: config.out, report: report)
    }

    /// Why `key` won, in one sentence: its validation top-1 against its rung's, and its
    /// place at every rung on its way there.
    static func reason(_ key: TrialKey, trials: [AutoTrial]) -> String {
        func text(_ x: Double?) -> String { String(format: "%.4f", x ?? .nan) }
        let finalRung = AutoRenderer.ordered(trials.filter { $0.rung == key.rung && $0.status == .finished })
        guard let winner = finalRung.first(where: { $0.configuration == key.configuration }) else { return "" }
        var sentence =
            "the highest validation top-1 (\(text(winner.validationTop1))) of the \(finalRung.count) trial(s) of rung \(key.rung), "
            + "the longest training the search reached (\(winner.epochs) epochs)"
        if finalRung.count > 1 { sentence += "; runner-up \(finalRung[1].id) at \(text(finalRung[1].validationTop1))" }
        var path = [String]()
        for rung in 0..<key.rung {
            let members = AutoRenderer.ordered(trials.filter { $0.rung == rung })
            if let place = members.firstIndex(where: { $0.configuration == key.configuration }) {
                path.append("\(text(members[place].validationTop1)) at \(members[place].epochs) epochs, \(place + 1) of \(members.count)")
            }
        }
        if !path.isEmpty { sentence += "; on its way: " + path.joined(separator: "; ") }
        return sentence
    }

    // MARK: Configurations

    /// Top models x methods x settings, ordered so that every model and method's
    /// default settings come first (a budget that stops rung 0 early still has them).
    static func makeCandidates(
        _ config: AutoConfiguration, models: [String], byLogME: [String], manifest: HubManifest, classCount: Int,
        notes: inout [String]
    ) throws -> [AutoCandidate] {
        let dataName = config.data.lastPathComponent
        // Models that give the target's classes: `tune` exports made on this dataset.
        let targetTeachers = manifest.entries.filter {
            $0.card.metadata.sourceDataset == dataName && $0.card.metadata.sourceClasses == classCount
        }.map(\.name)
        var perModel: [(model: String, method: String, teachers: [String])] = []
        var skipped: [String] = []
        for model in models {
            for name in config.methods ?? defaultMethods {
                var method = name
                var teachers: [String] = []
                switch name {
                case "btuning":
                    teachers = Array(byLogME.filter { $0 != model }.prefix(config.teachers))
                    if teachers.isEmpty { skipped.append("btuning for \(model): the hub has no other model to teach it"); continue }
                case "multikd", "kd":
                    teachers = targetTeachers.filter { $0 != model }
                    if teachers.isEmpty {
                        skipped.append(
                            "\(name) for \(model): no other hub model gives the target's \(classCount) classes (models `tune` exported on \(dataName))"
                        )
                        continue
                    }
                    // multikd needs two teachers: with one, the same knowledge is kd's.
                    if name == "multikd" && teachers.count == 1 { method = "kd" }
                    if name == "kd" { teachers = [teachers[0]] }
                default:
                    break
                }
                if !perModel.contains(where: { $0.model == model && $0.method == method }) {
                    perModel.append((model, method, teachers))
                }
            }
        }
        notes += skipped
        guard !perModel.isEmpty else { throw AutoError.noMethods(reasons: skipped) }
        var settings = [String: [TrialSettings]]()
        for method in Set(perModel.map(\.method)) {
            let type = try MethodRegistry.method(named: method, source: "--methods")
            settings[method] = SearchSpace.sample(
                method: type, baseLearningRate: config.learningRate, count: config.configs,
                seed: SeededGenerator.derivedSeed(UInt64(config.seed), stream: stableHash(method)))
        }
        var out = [AutoCandidate]()
        for index in 0..<config.configs {
            for entry in perModel {
                guard let list = settings[entry.method], index < list.count else { continue }
                out.append(AutoCandidate(model: entry.model, method: entry.method, teachers: entry.teachers, settings: list[index]))
            }
        }
        return out
    }

    /// A method name's stream number (stable across builds and registry order).
    static func stableHash(_ text: String) -> UInt64 {
        UInt64(SHA256.hex(text).prefix(16), radix: 16) ?? 0
    }

    // MARK: Trials

    static func trialDirectory(_ config: AutoConfiguration, _ id: String) -> URL {
        config.out.appendingPathComponent("trials").appendingPathComponent(id)
    }

    static func tuneConfiguration(_ candidate: AutoCandidate, epochs: Int, config: AutoConfiguration, directory: URL) -> TuneConfiguration {
        var tune = TuneConfiguration()
        tune.hub = config.hub.path
        tune.data = config.data.path
        tune.target = candidate.model
        tune.method = candidate.method
        tune.teachers = candidate.teachers
        tune.out = directory.path
        tune.seed = config.seed
        tune.epochs = epochs
        tune.batchSize = config.batchSize
        tune.optimizer.lr = candidate.settings.learningRate
        for (key, value) in candidate.settings.options { tune.methodOptions[key] = OptionValue(.number(value)) }
        tune.split.validationFraction = config.validationFraction
        tune.split.seed = config.seed
        tune.export.enabled = false
        return tune
    }

    /// One trial: its result when it has one, else its `tune` run (resumed from its
    /// checkpoint when it was interrupted). A failure is recorded, not thrown (an
    /// interruption is thrown: the search stops there and resumes there).
    static func runTrial(
        _ key: TrialKey, _ candidate: AutoCandidate, epochs: Int, config: AutoConfiguration, label: String,
        progress: ProgressReporter, shouldStop: @escaping () -> Bool, accessLog: SplitAccessLog?
    ) throws -> AutoTrial {
        let directory = trialDirectory(config, key.description)
        var trial = AutoTrial(
            id: key.description, configuration: key.configuration, rung: key.rung, model: candidate.model, method: candidate.method,
            teachers: candidate.teachers, learningRate: candidate.settings.learningRate, options: candidate.settings.options,
            epochs: epochs, status: .failed)
        let resultURL = directory.appendingPathComponent("result.json")
        if let data = try? Data(contentsOf: resultURL), let saved = try? TuningResult.load(data, file: resultURL.path) {
            trial.status = .finished
            trial.validationTop1 = saved.best.top1
            trial.bestEpoch = saved.best.epoch
            trial.seconds = saved.seconds
            return trial
        }
        let resume = FileManager.default.fileExists(
            atPath: directory.appendingPathComponent("checkpoint").appendingPathComponent("state.json").path)
        let started = Date()
        do {
            let result = try TuneJob.run(
                config: tuneConfiguration(candidate, epochs: epochs, config: config, directory: directory),
                source: "auto trial \(key)", resume: resume, progress: DemoTrainingProgress(progress, label: label),
                shouldStop: shouldStop, device: config.device, evaluateTest: false, accessLog: accessLog)
            trial.status = .finished
            trial.validationTop1 = result.best.top1
            trial.bestEpoch = result.best.epoch
            // Wall-clock seconds of the whole trial (loading the models, teachers'
            // outputs, training, evaluations): what the budget's estimates need. A
            // resumed trial has at least its training seconds of every session.
            trial.seconds = Swift.max(Date().timeIntervalSince(started), result.result.seconds ?? 0)
        } catch let stop as TrainingInterrupted {
            throw stop
        } catch {
            trial.error = ErrorText.oneLine(error)
        }
        return trial
    }

    /// The winner's run, resumed at its end: the chosen epoch's weights are evaluated
    /// once on the test split and exported as a hub entry. Reused when done before.
    static func finish(
        _ key: TrialKey, _ candidate: AutoCandidate, epochs: Int, config: AutoConfiguration, progress: ProgressReporter,
        accessLog: SplitAccessLog?
    ) throws -> (test: TuningResult.TestEvaluation?, exportedModel: URL?) {
        let directory = trialDirectory(config, key.description)
        let exported = directory.appendingPathComponent("model")
        let marker = directory.appendingPathComponent(chosenFile)
        let resultURL = directory.appendingPathComponent("result.json")
        if FileManager.default.fileExists(atPath: marker.path), let data = try? Data(contentsOf: resultURL),
            let saved = try? TuningResult.load(data, file: resultURL.path)
        {
            progress.log("auto: the chosen trial \(key) was evaluated and exported before (reused)")
            return (saved.test, FileManager.default.fileExists(atPath: exported.path) ? exported : nil)
        }
        var tune = tuneConfiguration(candidate, epochs: epochs, config: config, directory: directory)
        tune.export.enabled = true
        progress.log("auto: evaluating the chosen trial \(key) once on the test split and exporting it")
        let result = try TuneJob.run(
            config: tune, source: "auto trial \(key)", resume: true, progress: DemoTrainingProgress(progress, label: "auto: \(key)"),
            device: config.device, evaluateTest: true, accessLog: accessLog)
        // Written last: a kill before this re-runs the (idempotent) evaluation and export.
        try writeAtomically(Data("{\"trial\": \"\(key)\"}\n".utf8), to: marker)
        return (result.test, result.exportedModel)
    }

    // MARK: Estimates

    /// Seconds per epoch measured on finished trials: of the same model and method
    /// when there are some, else of all; nil when none has finished.
    static func secondsPerEpoch(_ candidate: AutoCandidate, trials: [AutoTrial]) -> Double? {
        func rate(_ list: [AutoTrial]) -> Double? {
            let timed = list.filter { $0.status == .finished && ($0.seconds ?? 0) > 0 && $0.epochs > 0 }
            guard !timed.isEmpty else { return nil }
            return timed.map { $0.seconds! }.reduce(0, +) / Double(timed.map(\.epochs).reduce(0, +))
        }
        return rate(trials.filter { $0.model == candidate.model && $0.method == candidate.method }) ?? rate(trials)
    }

    static func estimate(_ key: TrialKey, schedule: SuccessiveHalving, candidates: [AutoCandidate], trials: [AutoTrial]) -> Double? {
        secondsPerEpoch(candidates[key.configuration], trials: trials).map { $0 * Double(schedule.rungEpochs[key.rung]) }
    }

    /// Seconds the trials still planned would take at the measured mean rate.
    static func remainingSeconds(
        schedule: SuccessiveHalving, results: [TrialKey: Double?], candidates: [AutoCandidate], trials: [AutoTrial]
    ) -> Double? {
        let timed = trials.filter { $0.status == .finished && ($0.seconds ?? 0) > 0 }
        guard !timed.isEmpty else { return nil }
        let rate = timed.map { $0.seconds! }.reduce(0, +) / Double(timed.map(\.epochs).reduce(0, +))
        return schedule.remainingTrials(results: results).map { Double($0.count * schedule.rungEpochs[$0.rung]) * rate }.reduce(0, +)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    // MARK: The output directory

    /// Makes OUT this search's: a new directory gets the plan; one holding another
    /// search's plan is refused, naming the first setting that differs.
    static func claim(_ config: AutoConfiguration) throws {
        let file = config.out.appendingPathComponent(planFile)
        let plan = config.plan
        if let data = try? Data(contentsOf: file) {
            let saved = (try? JSONDecoder().decode([String: String].self, from: data)) ?? [:]
            for key in plan.keys.sorted() where saved[key] != plan[key] {
                throw AutoError.otherSearch(directory: config.out.path, field: key, saved: saved[key] ?? "(unset)", given: plan[key]!)
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeAtomically(try encoder.encode(plan), to: file)
    }
}
