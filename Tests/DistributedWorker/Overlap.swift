import Distributed
import Foundation
import Torch

/// The overlapping reducer against the post-backward synchroniser and against one
/// process's full-batch gradient, over 3 steps (the reducer resets between steps)
/// of a 2-layer float32 network. Parameter `unused` enters rank 0's loss only
/// (as `sum(unused * c)`, gradient c), so its averaged gradient must be c / P;
/// a frozen tensor's gradient must be zero.
/// Reports: largest |overlap - synchroniser|, largest |overlap - full batch| over
/// the used parameters, largest |unused grad - c/P| and |frozen grad|, bucket count, fewest buckets
/// launched by the hooks before `finish()` in a step.
func overlap(_ group: ProcessGroup, bucketBytes: Int) throws {
    let samples = 8, features = 5, hidden = 7, classes = 3
    let generator = try Generator(seed: 23)
    let initial = [
        try Tensor.randn([hidden, features], generator: generator), try Tensor.randn([hidden], generator: generator),
        try Tensor.randn([classes, hidden], generator: generator), try Tensor.randn([classes], generator: generator),
        try Tensor.randn([4], generator: generator),
    ]
    let c = try Tensor([Float(0.5), -1.5, 2.0, 0.25])
    func fresh() throws -> [Tensor] { try initial.map { try $0.clone().requiresGrad(true) } }
    let overlapped = try fresh(), synchronised = try fresh(), whole = try fresh()
    // A frozen tensor among the parameters (last, so in the first bucket): it never
    // gets a gradient, counts as zeros, and must not hold its bucket back.
    let frozen = [try Tensor.randn([2], generator: generator), try Tensor.randn([2], generator: generator)]
    let reducer = try OverlappingGradientReducer(group: group, parameters: overlapped + [frozen[0]], bucketBytes: bucketBytes)
    let synchroniser = try GradientSynchronizer(group: group, parameters: synchronised + [frozen[1]], bucketBytes: bucketBytes)

    func loss(_ p: [Tensor], _ x: Tensor, _ y: Tensor, useExtra: Bool) throws -> Tensor {
        let h = try Functional.linear(x, weight: p[0], bias: p[1]).relu()
        let value = try Loss.crossEntropy(Functional.linear(h, weight: p[2], bias: p[3]), y)
        return useExtra ? try value + (p[4] * c).sum() : value
    }
    let shard = samples / group.worldSize
    var worstSync = 0.0, worstWhole = 0.0, worstUnused = 0.0, launchedEarly = Int.max
    for step in 0..<3 {
        let x = try Tensor.randn([samples, features], generator: generator)
        let y = try Tensor((0..<samples).map { Int64(($0 * 7 + step) % classes) })
        let xs = try x.narrow(dim: 0, start: group.rank * shard, length: shard)
        let ys = try y.narrow(dim: 0, start: group.rank * shard, length: shard)
        for p in overlapped + synchronised + whole + frozen { try p.setGrad(nil) }
        try loss(overlapped, xs, ys, useExtra: group.rank == 0).backward()
        launchedEarly = min(launchedEarly, try reducer.launchedBuckets())
        try reducer.finish()
        try loss(synchronised, xs, ys, useExtra: group.rank == 0).backward()
        try synchroniser.synchronize()
        try loss(whole, x, y, useExtra: false).backward()
        worstUnused = max(worstUnused, try requireGrad(frozen[0]).abs().max().item())
        worstSync = max(worstSync, try (requireGrad(frozen[0]) - requireGrad(frozen[1])).abs().max().item())
        for i in 0..<5 {
            let g = try requireGrad(overlapped[i])
            worstSync = max(worstSync, try (g - requireGrad(synchronised[i])).abs().max().item())
            if i < 4 {
                worstWhole = max(worstWhole, try (g - requireGrad(whole[i])).abs().max().item())
            } else {
                worstUnused = max(worstUnused, try (g - c * (1.0 / Double(group.worldSize))).abs().max().item())
            }
        }
    }
    report("overlap", [worstSync, worstWhole, worstUnused, Double(reducer.bucketCount), Double(launchedEarly)])
}

/// The last rank completes one step, then exits before its second backward pass;
/// the others must fail in `finish()` within the timeout, naming the bucket.
func overlapPeerDies(_ group: ProcessGroup) throws {
    let generator = try Generator(seed: 5)
    let w = try Tensor.randn([3, 4], generator: generator).requiresGrad(true)
    let b = try Tensor.randn([3], generator: generator).requiresGrad(true)
    let reducer = try OverlappingGradientReducer(group: group, parameters: [w, b], bucketBytes: 16)
    let x = try Tensor.randn([2, 4], generator: generator)
    for step in 0..<2 {
        if step == 1 && group.rank == group.worldSize - 1 { exit(3) }
        try w.setGrad(nil)
        try b.setGrad(nil)
        try Functional.linear(x, weight: w, bias: b).sum().backward()
        let start = Date()
        do {
            try reducer.finish()
        } catch {
            report("overlapDeathElapsed", [Date().timeIntervalSince(start)])
            reportText("overlapDeathError", "\(error)")
            return
        }
    }
    reportText("overlapDeathError", "none")
}

private func requireGrad(_ t: Tensor) throws -> Tensor {
    guard let g = t.grad else { throw DistributedError.invalidArgument(operation: "overlap", message: "a parameter has no gradient") }
    return g
}
