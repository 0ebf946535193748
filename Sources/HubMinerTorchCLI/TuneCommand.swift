import ArgumentParser
import Distributed
import Foundation
import HubMiner
import HubMinerCommandLine
import Report
import Tuning

/// The trainer reports through the ranking workflows' progress display.
extension ProgressReporter: TrainingProgress {}

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune a hub model on a labelled dataset with a tuning method (fine-tuning, distillation, regularisers, ...).",
        discussion: """
        Writes OUT/config.json (the resolved configuration), OUT/log.jsonl (metrics), OUT/result.json, \
        OUT/checkpoint/ and OUT/model/ (the tuned network as a hub entry). Interrupt with Ctrl-C to \
        stop after a checkpoint; run the same command with --resume to continue exactly. \
        Data-parallel: --nproc N runs N local processes, each training on 1/N of every batch \
        (--batch-size is the global batch); --distributed joins a run described by RANK, WORLD_SIZE, \
        MASTER_ADDR and MASTER_PORT (every rank must see the same hub, data and --out directory). \
        Methods: \(MethodRegistry.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
        """
    )

    @Option(help: "The hub directory.")
    var hub: String?

    @Option(help: "The target dataset.")
    var data: String?

    @Option(help: "The hub model to tune.")
    var target: String?

    @Option(help: "The tuning method (default finetune).")
    var method: String?

    @Option(help: "A run configuration file (JSON or YAML); options given here override it.")
    var config: String?

    @Option(name: .customLong("teacher"), help: "A hub model the method uses as a teacher (repeatable).")
    var teacher: [String] = []

    @Option(help: "Teachers, comma-separated.")
    var teachers: String?

    @Option(name: .customLong("option"), help: "A method option key=value (repeatable; overrides method_options).")
    var option: [String] = []

    @Option(help: "Epochs of training.")
    var epochs: Int?

    @Option(help: "Optimiser steps of training (instead of --epochs).")
    var iterations: Int?

    @Option(name: .customLong("batch-size"), help: "Batch size.")
    var batchSize: Int?

    @Option(help: "The head's learning rate (the backbone's is backbone_lr_multiplier times it).")
    var lr: Double?

    @Option(help: "Optimiser: sgd or adamw.")
    var optimizer: String?

    @Option(help: "Random seed.")
    var seed: Int?

    @Flag(help: "Random crop and horizontal flip of training images.")
    var augment = false

    @Option(help: "Output directory.")
    var out: String?

    @Flag(help: "Continue the run in --out from its checkpoint.")
    var resume = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    @Flag(help: "Be one rank of a data-parallel run (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).")
    var distributed = false

    @Option(help: "Run N local processes data-parallel (each with --distributed); --batch-size is the global batch.")
    var nproc: Int?

    func validate() throws {
        if epochs != nil && iterations != nil { throw ValidationError("give --epochs or --iterations, not both") }
        if let nproc, nproc < 1 { throw ValidationError("--nproc expects a process count of at least 1, got \(nproc)") }
        if nproc != nil && distributed {
            throw ValidationError("give --nproc N (start N local ranks) or --distributed (be one rank started by a launcher), not both")
        }
        for o in option where !o.contains("=") || o.hasPrefix("=") {
            throw ValidationError("--option expects key=value, got '\(o)'")
        }
    }

    func overrides() -> TuneOverrides {
        var o = TuneOverrides()
        o.hub = hub
        o.data = data
        o.target = target
        o.method = method
        o.teachers = teacher + (teachers?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? [])
        o.options = option.map { text in
            let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        o.epochs = epochs
        o.iterations = iterations
        o.batchSize = batchSize
        o.lr = lr
        o.optimizer = optimizer
        o.seed = seed
        o.augment = augment ? true : nil
        o.out = out
        return o
    }

    func run() throws {
        try HubMinerCommand.reportingErrors {
            if let nproc { return try launch(processes: nproc) }
            let base = try config.map { try ConfigurationFile.load($0) } ?? TuneConfiguration()
            // Joined before anything else, so a bad environment fails at once.
            let group = distributed ? try ProcessGroup.fromEnvironment() : nil
            let isWriter = (group?.rank ?? 0) == 0
            let interrupt = InterruptRequest()
            interrupt.install()
            do {
                let result = try TuneJob.run(config: base.applying(overrides()), source: config ?? "command line", resume: resume,
                                             progress: ProgressReporter(style: quiet || !isWriter ? .silent : nil),
                                             shouldStop: { interrupt.isRequested }, distributed: group)
                if isWriter { try emit(TuneRenderer.render(result, as: format), to: nil) }
            } catch let stop as TrainingInterrupted {
                FileHandle.standardError.write(Data("hubminer: \(stop)\n".utf8))
                throw ExitCode(130)
            }
        }
    }

    /// `--nproc N`: this program again as N ranks with `--distributed`, on 127.0.0.1.
    /// Their output reaches stderr prefixed with "[rank i] " (rank 0's report
    /// included); every rank stopped by Ctrl-C exits 130 and so does this process.
    private func launch(processes: Int) throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let i = arguments.firstIndex(of: "--nproc") {
            arguments.removeSubrange(i...Swift.min(i + 1, arguments.count - 1))
        }
        arguments.removeAll { $0.hasPrefix("--nproc=") }
        arguments.append("--distributed")
        // A tuning run may take days: the launcher's limit only guards against hangs
        // the collectives' own timeouts do not catch.
        // The cores are shared: each rank gets its part for libtorch's threads
        // (unless the caller chose), or N ranks would each start a thread per core.
        var environment = [String: String]()
        if ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] == nil {
            environment["OMP_NUM_THREADS"] = String(Swift.max(1, ProcessInfo.processInfo.activeProcessorCount / processes))
        }
        let launcher = Launcher(arguments: arguments, processCount: processes, environment: environment, timeLimit: 30 * 24 * 3600)
        let result = try launcher.start()
        if !result.failed.isEmpty {
            if result.failed.count == processes, result.failed.allSatisfy({ $0.status == 130 && !$0.signalled }) { throw ExitCode(130) }
            throw DistributedError.ranksFailed(result.failed)
        }
    }
}
