// The program the data-parallel tuning tests start as the ranks of a run (through
// `Launcher`, or as one process with WORLD_SIZE=1 for the reference run):
//
//   TuningWorker CONFIG.json DUMP_DIR [--resume] [--stop-after N] [--die-after N]
//
// It trains the configured run with the trainer (rank 0 writes the run's files),
// then saves this rank's final parameters, buffers and head as
// DUMP_DIR/weights-rank<r>.pt so the test can compare ranks and runs.
// `--stop-after N` asks every rank to stop after N steps (the interruption path:
// a checkpoint, then exit 130); `--die-after N` kills the last rank with SIGKILL at
// its N-th step, so the others must fail on their own within the timeout.
import Distributed
import Foundation
import Hub
import Torch
import Tuning

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, in arguments: [String]) -> Int? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return Int(arguments[i + 1])
}

do {
    TorchRuntime.threadCount = 1
    guard arguments.count >= 2 else {
        FileHandle.standardError.write(Data("usage: TuningWorker CONFIG.json DUMP_DIR [--resume] [--stop-after N] [--die-after N]\n".utf8))
        exit(2)
    }
    let group = try ProcessGroup.fromEnvironment()
    let config = try ConfigurationFile.load(arguments[0]).resolved(source: arguments[0])
    let dump = URL(fileURLWithPath: arguments[1])
    let manifest = try HubManifest.load(URL(fileURLWithPath: config.hub!))
    let student = try HubModel(hub: manifest, name: config.target!)
    let data = try TuneData.open(
        URL(fileURLWithPath: config.data!), validationFraction: config.split.validationFraction,
        seed: UInt64(config.split.seed))
    let trainer = try Trainer(
        config: config, student: student, train: data.train, validation: data.validation,
        methodTerms: [], output: URL(fileURLWithPath: config.out), distributed: group)
    var steps = 0
    let stopAfter = option("--stop-after", in: arguments), dieAfter = option("--die-after", in: arguments)
    trainer.shouldStop = {
        steps += 1
        if let dieAfter, steps >= dieAfter, group.rank == group.worldSize - 1 { kill(getpid(), SIGKILL) }
        return stopAfter.map { steps >= $0 } ?? false
    }
    do {
        let outcome = try trainer.run(resume: arguments.contains("--resume"))
        print("RESULT outcome=\(outcome.iterations),\(outcome.last.metrics.top1)")
    } catch let stop as TrainingInterrupted {
        print("RESULT interrupted=\(stop)")
        exit(130)
    }
    let named = try student.namedParameters().map(\.tensor) + student.namedBuffers().map(\.tensor) + trainer.head.parameters
    try TensorList.save(try named.map { try $0.detach().contiguous() }, to: dump.appendingPathComponent("weights-rank\(group.rank).pt").path)
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
