import ArgumentParser
import Distributed
import Foundation
import HubMiner
import Report
import Tuning
import Support
import Torch

/// The trainer reports through the ranking workflows' progress display.
extension ProgressReporter: TrainingProgress {}

extension TuneOptions {
    /// What the command line sets on top of the run configuration file.
    package func overrides() -> TuneOverrides {
        var o = TuneOverrides()
        o.hub = hub
        o.data = data
        o.target = target
        o.method = method
        o.teachers = teacherList
        o.options = methodOptions
        o.epochs = epochs
        o.iterations = iterations
        o.batchSize = batchSize
        o.lr = lr
        o.optimizer = optimizer
        o.seed = seed
        o.augment = augment ? true : nil
        o.evalCrop = evalCrop
        o.out = out
        return o
    }
}

extension TuneOptions {
    /// Runs `tune`: one process, one rank of a data-parallel run, or the launcher of N local ranks.
    package func run() throws {
        // `--device cuda` without a GPU fails here, before anything is launched or read.
        var device = try deviceOptions.resolved()
        if nproc != nil || distributed {
            // `auto` on a GPU machine runs data-parallel ranks on the CPU where the
            // NCCL plugin is missing; an explicit `cuda` gets the error saying so.
            if deviceOptions.device == "auto", !ProcessGroup.Backend.for(device).isAvailable() { device = .cpu }
            try ProcessGroup.Backend.for(device).requireAvailable()
        }
        try output.check(inputs: inputs)
        if let out {
            try OutputTarget.checkFolder(
                URL(fileURLWithPath: out), option: "--out", inputs: inputs, allowInsideInputs: output.allowOutputInInputs)
        }
        if let nproc { return try launch(processes: nproc) }
        let base = try config.map { try ConfigurationFile.load($0) } ?? TuneConfiguration()
        // Joined before anything else, so a bad environment fails at once; the
        // backend follows the device (Gloo on the CPU, NCCL on GPUs).
        // Each rank's GPU is known before the group is created: NCCL binds to it.
        if distributed, case .cuda = device {
            let rank = try DistributedEnvironment.parse(ProcessInfo.processInfo.environment).rank
            device = Self.rankDevice(device, rank: rank)
        }
        let group = distributed ? try ProcessGroup.fromEnvironment(backend: .for(device), device: device) : nil
        let isWriter = (group?.rank ?? 0) == 0
        let interrupt = InterruptRequest()
        interrupt.install()
        do {
            let result = try TuneJob.run(
                config: base.applying(overrides()), source: config ?? "command line", resume: resume,
                progress: ProgressReporter(style: output.quiet || !isWriter ? .silent : nil),
                shouldStop: { interrupt.isRequested }, distributed: group, device: device)
            if isWriter {
                try output.deliver(
                    TuneRenderer.render(
                        result.result, outputDirectory: result.outputDirectory.path, exportedModel: result.exportedModel?.path,
                        as: output.format),
                    summary:
                        "tuned \(result.model) with \(result.method): best validation top-1 \(String(format: "%.4f", result.best.top1)) at epoch \(result.best.epoch)"
                        + (result.test.map { "; test top-1 \(String(format: "%.4f", $0.top1)) (\($0.evaluation))" } ?? "")
                        + "; run in \(result.outputDirectory.relativePath)",
                    inputs: inputs)
            }
        } catch let stop as TrainingInterrupted {
            FileHandle.standardError.write(Data("hubminer: \(stop)\n".utf8))
            throw ExitCode(130)
        }
    }

    /// Each rank of a data-parallel run on GPUs takes its own: LOCAL_RANK's GPU when a
    /// launcher sets it, else the rank's modulo the GPUs present (one machine).
    static func rankDevice(_ device: Device, rank: Int?) -> Device {
        guard case .cuda = device, let rank else { return device }
        let count = Swift.max(1, Device.cudaDeviceCount)
        let local = ProcessInfo.processInfo.environment["LOCAL_RANK"].flatMap { Int($0) } ?? rank
        return .cuda(local % count)
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
