// The program the distributed tests start as the ranks of a run (through
// `Launcher`), one role per first argument. Each role prints "RESULT key=v,v,..."
// lines that the tests parse and check; a role exits non-zero when a step it
// needs fails, and prints the error.
import Distributed
import Foundation
import Torch

func report(_ key: String, _ values: [Double]) {
    print("RESULT \(key)=" + values.map { String($0) }.joined(separator: ","))
}

func reportText(_ key: String, _ text: String) {
    print("RESULT \(key)=" + text.replacingOccurrences(of: "\n", with: " "))
}

/// Every collective once, with values that identify the rank that sent them.
func collectives(_ group: ProcessGroup) throws {
    let r = Double(group.rank)
    let sum32 = try Tensor([Float(r + 1), Float(10 * (r + 1)), 0.5])
    try group.allReduce([sum32])
    report("sum32", try sum32.toArray(of: Double.self))

    let average64 = try Tensor([2 * r + 1, -r])
    try group.allReduce([average64], op: .average)
    report("average64", try average64.toArray(of: Double.self))

    // Several tensors in one call are reduced each on its own (not added together).
    let a = try Tensor([Float(r), Float(r)])
    let b = try Tensor(rows: [[r, 1], [2, r * r]])
    try group.allReduce([a, b])
    report("pairA", try a.toArray(of: Double.self))
    report("pairB", try b.toArray(of: Double.self))

    let fromZero = try Tensor((0..<4).map { r * 100 + Double($0) })
    let fromLast = try Tensor([Float(r * 7 + 1)])
    try group.broadcast([fromZero], from: 0)
    try group.broadcast([fromLast], from: group.worldSize - 1)
    report("broadcast0", try fromZero.toArray(of: Double.self))
    report("broadcastLast", try fromLast.toArray(of: Double.self))

    let gathered = try group.allGather(Tensor([Float(r), Float(r * r + 7)]))
    report("gather", try gathered.flatMap { try $0.toArray(of: Double.self) })

    try group.barrier()
    do {
        try group.allReduce([Tensor([Int64(1)])])
        reportText("int64Error", "none")
    } catch {
        reportText("int64Error", "\(error)")
    }
}

/// A float64 buffer reduced in chunks, checked against the closed-form sum.
func chunked(_ group: ProcessGroup, count: Int, chunk: Int) throws {
    func value(_ i: Int, rank: Int) -> Double { Double(i % 1000) * Double(rank + 1) + 0.25 * Double(rank) }
    var values = (0..<count).map { value($0, rank: group.rank) }
    let start = Date()
    try group.allReduce(&values, chunkSize: chunk)
    let seconds = Date().timeIntervalSince(start)
    var worst = 0.0
    for i in 0..<count {
        let expected = (0..<group.worldSize).reduce(0.0) { $0 + value(i, rank: $1) }
        worst = max(worst, abs(values[i] - expected))
    }
    report("chunked", [Double(count), worst, seconds])
}

/// The last rank leaves right after joining; the others try a collective.
func peerExits(_ group: ProcessGroup) throws {
    if group.rank == group.worldSize - 1 { exit(3) }
    let start = Date()
    do {
        try group.allReduce([Tensor([1.0, 2.0])])
        report("peerExitElapsed", [Date().timeIntervalSince(start)])
        reportText("peerExitError", "none")
        exit(1)
    } catch {
        report("peerExitElapsed", [Date().timeIntervalSince(start)])
        reportText("peerExitError", "\(error)")
    }
}

/// The last rank stays alive but silent for longer than the timeout.
func peerStalls(_ group: ProcessGroup) throws {
    if group.rank == group.worldSize - 1 {
        Thread.sleep(forTimeInterval: group.timeout + 0.5)
        exit(0)
    }
    let start = Date()
    do {
        try group.allReduce([Tensor([1.0])])
        reportText("stallError", "none")
        exit(1)
    } catch {
        report("stallElapsed", [Date().timeIntervalSince(start)])
        reportText("stallError", "\(error)")
    }
}

/// Data-parallel SGD on a linear classifier: each rank trains on its contiguous
/// shard of a global batch; the same run in one process on the whole batch is the
/// reference. Reports the largest parameter and loss-curve differences.
func dataParallel(_ group: ProcessGroup, steps: Int, bucketBytes: Int) throws {
    let samples = 8, features = 4, classes = 3
    guard samples % group.worldSize == 0 else { throw DistributedError.invalidArgument(operation: "train", message: "batch not divisible") }
    let generator = try Generator(seed: 11)
    let x = try Tensor.randn([samples, features], dtype: .float64, generator: generator)
    let y = try Tensor((0..<samples).map { Int64(($0 * 5 + 1) % classes) })
    let initialW = try Tensor.randn([classes, features], dtype: .float64, generator: generator)
    let initialB = try Tensor.randn([classes], dtype: .float64, generator: generator)

    func train(_ xs: Tensor, _ ys: Tensor, synchronize: GradientSynchronizer.Type?) throws -> (params: [Tensor], losses: [Double]) {
        let w = try initialW.clone().requiresGrad(true)
        let b = try initialB.clone().requiresGrad(true)
        let optimizer = try SGD([w, b], options: .init(learningRate: 0.5, momentum: 0.9))
        let sync = synchronize == nil ? nil : try GradientSynchronizer(group: group, parameters: [w, b], bucketBytes: bucketBytes)
        if let sync {
            // Start from rank 0's values, as a resumed or randomly initialised run must.
            try withNoGrad { try group.broadcast([w, b], from: 0) }
            _ = sync
        }
        var losses = [Double]()
        for _ in 0..<steps {
            try optimizer.zeroGrad()
            let loss = try Loss.crossEntropy(Functional.linear(xs, weight: w, bias: b), ys)
            try loss.backward()
            if let sync {
                try sync.synchronize()
                let global = try loss.detach().reshape([1]).clone()
                try group.allReduce([global], op: .average)
                losses.append(try global.item())
            } else {
                losses.append(try loss.item())
            }
            try optimizer.step()
        }
        return ([w, b], losses)
    }

    let shard = samples / group.worldSize
    let mine = try train(
        x.narrow(dim: 0, start: group.rank * shard, length: shard),
        y.narrow(dim: 0, start: group.rank * shard, length: shard),
        synchronize: GradientSynchronizer.self)
    try group.verifyIdentical(mine.params)
    reportText("identical", "yes")
    let reference = try train(x, y, synchronize: nil)
    var parameterDifference = 0.0
    for (p, q) in zip(mine.params, reference.params) {
        parameterDifference = max(parameterDifference, try (p - q).abs().max().item())
    }
    let lossDifference = zip(mine.losses, reference.losses).map { abs($0 - $1) }.max() ?? 0
    let sync = try GradientSynchronizer(group: group, parameters: mine.params, bucketBytes: bucketBytes)
    report(
        "train",
        [
            parameterDifference, lossDifference, mine.losses.first ?? 0, mine.losses.last ?? 0,
            Double(sync.buckets.count),
        ])

    // A deliberate difference on one rank must be caught.
    if group.rank == group.worldSize - 1 {
        try withNoGrad { try mine.params[1].add_(try Tensor([1e-12, 0, 0])) }
    }
    do {
        try group.verifyIdentical(mine.params)
        reportText("divergence", "none")
    } catch {
        reportText("divergence", "\(error)")
    }
}

let arguments = CommandLine.arguments.dropFirst()
do {
    TorchRuntime.threadCount = 1
    let group = try ProcessGroup.fromEnvironment()
    switch arguments.first {
    case "collectives": try collectives(group)
    case "chunked":
        try chunked(
            group, count: Int(arguments.dropFirst().first ?? "") ?? 1_000_000,
            chunk: Int(arguments.dropFirst(2).first ?? "") ?? ProcessGroup.defaultChunkSize)
    case "peer-exits": try peerExits(group)
    case "peer-stalls": try peerStalls(group)
    case "overlap": try overlap(group, bucketBytes: Int(arguments.dropFirst().first ?? "") ?? GradientSynchronizer.defaultBucketBytes)
    case "overlap-peer-dies": try overlapPeerDies(group)
    case "train": try dataParallel(group, steps: 20, bucketBytes: Int(arguments.dropFirst().first ?? "") ?? GradientSynchronizer.defaultBucketBytes)
    default:
        FileHandle.standardError.write(Data("unknown role \(arguments.first ?? "(none)")\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
