import Foundation
import Data
import Distributed
import Torch

/// Errors of data-parallel tuning, each naming the rank, the iteration or the
/// setting involved.
package enum DataParallelError: Error, CustomStringConvertible, Equatable {
    /// The global batch cannot be split into equal shards.
    case indivisibleBatch(what: String, rows: Int, worldSize: Int)
    /// A collective failed during training (a peer died or stalled).
    case communication(rank: Int, worldSize: Int, during: String, message: String)
    /// After an epoch the ranks' parameters differ.
    case parametersDiverged(epoch: Int, ranks: [Int])

    package var description: String {
        switch self {
        case let .indivisibleBatch(what, rows, worldSize):
            return
                "data-parallel tuning: \(what) has \(rows) rows, which \(worldSize) processes cannot share equally; choose a batch_size that is a multiple of the process count"
        case let .communication(rank, worldSize, during, message):
            return "data-parallel tuning: rank \(rank) of \(worldSize) lost contact with the other processes during \(during): \(message)"
        case let .parametersDiverged(epoch, ranks):
            return
                "data-parallel tuning: after epoch \(epoch) the parameters of rank(s) \(ranks.map(String.init).joined(separator: ", ")) differ from rank 0's"
        }
    }
}

/// What the trainer does differently on one of several processes (docs/DISTRIBUTED.md,
/// "Data-parallel tuning"):
/// - every rank iterates the same global batch order and decodes its own equal
///   shard of each batch (`DataShard`);
/// - the gradients of every trainable tensor are averaged, in buckets all-reduced
///   while backward runs (`OverlappingGradientReducer`; `GradientSynchronizer`
///   after backward with `HUBMINER_GRADIENT_REDUCTION=after-backward`), so every
///   rank takes the step one process takes on the global batch;
/// - per-step loss sums, correct counts and the stop request are summed in one
///   small all-reduce, so rank 0 logs global values and all ranks stop together;
/// - evaluation is split by rank and its counts summed;
/// - buffers (batch-norm running statistics) are per rank while training, as in
///   PyTorch's DDP without SyncBN, and are broadcast from rank 0 before every
///   evaluation and checkpoint; parameters are checked identical after every epoch;
/// - only rank 0 writes files.
final class DataParallel {
    let group: ProcessGroup
    var rank: Int { group.rank }
    var worldSize: Int { group.worldSize }
    var isWriter: Bool { group.rank == 0 }
    let reduction: GradientReduction
    private(set) var synchronizer: GradientSynchronizer?
    private(set) var reducer: OverlappingGradientReducer?

    /// How gradients are averaged: `.overlapping` (default) all-reduces buckets
    /// while backward runs; `.afterBackward` is the earlier post-backward
    /// synchroniser, kept for comparison. Both give the same gradients.
    enum GradientReduction: String {
        case overlapping = "overlap"
        case afterBackward = "after-backward"

        /// `HUBMINER_GRADIENT_REDUCTION=after-backward` selects the post-backward
        /// synchroniser (benchmarks compare the two); unset or `overlap` overlaps.
        static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GradientReduction {
            guard let value = environment["HUBMINER_GRADIENT_REDUCTION"], !value.isEmpty else { return .overlapping }
            guard let reduction = GradientReduction(rawValue: value) else {
                throw DistributedError.environment(
                    variable: "HUBMINER_GRADIENT_REDUCTION", value: value,
                    expected: "'overlap' or 'after-backward'")
            }
            return reduction
        }
    }

    init(group: ProcessGroup, reduction: GradientReduction = .overlapping) {
        self.group = group
        self.reduction = reduction
    }

    var shard: DataShard { DataShard(index: group.rank, count: group.worldSize) }

    /// The global batch and, when the last batch is kept, the last partial batch
    /// must split into equal shards: gradient averaging with equal weights is
    /// only the global mean when every rank holds as many rows.
    func checkDivisible(batch: Int, trainCount: Int, dropLast: Bool) throws {
        guard batch % worldSize == 0 else {
            throw DataParallelError.indivisibleBatch(what: "the global batch (batch_size \(batch))", rows: batch, worldSize: worldSize)
        }
        let remainder = trainCount % batch
        if !dropLast && remainder != 0 && remainder % worldSize != 0 {
            throw DataParallelError.indivisibleBatch(
                what: "the last training batch (drop_last is false, \(trainCount) samples)",
                rows: remainder, worldSize: worldSize)
        }
    }

    /// Buckets over the tensors the optimiser updates, fixed once so every rank packs alike.
    func prepare(trainable: [Tensor]) throws {
        switch reduction {
        case .overlapping: reducer = try OverlappingGradientReducer(group: group, parameters: trainable)
        case .afterBackward: synchronizer = try GradientSynchronizer(group: group, parameters: trainable)
        }
    }

    /// Replaces `tensors` by rank 0's values. Collectives carry floating-point
    /// tensors only, so an integer buffer (a batch counter) travels as float64.
    func broadcast(_ tensors: [Tensor], during: String) throws {
        try communicate(during) {
            try withNoGrad {
                let floating = tensors.filter { $0.dtype == .float32 || $0.dtype == .float64 }
                if !floating.isEmpty { try group.broadcast(floating, from: 0) }
                for t in tensors where t.dtype != .float32 && t.dtype != .float64 {
                    let carrier = try t.to(.float64).contiguous()
                    try group.broadcast([carrier], from: 0)
                    try t.copy_(try carrier.to(t.dtype))
                }
            }
        }
    }

    func averageGradients(iteration: Int) throws {
        try communicate("the gradient all-reduce of iteration \(iteration)") {
            try reducer?.finish()
            try synchronizer?.synchronize()
        }
    }

    /// Sums `values` over the ranks (one all-reduce of a few float64 numbers).
    func sum(_ values: [Double], during: String) throws -> [Double] {
        let carrier = try Tensor(values)
        try communicate(during) { try group.allReduce([carrier], op: .sum) }
        return try carrier.toArray(of: Double.self)
    }

    /// Throws naming the ranks whose `tensors` differ from rank 0's.
    func verifyIdentical(_ tensors: [Tensor], epoch: Int) throws {
        let floating = tensors.filter { $0.dtype == .float32 || $0.dtype == .float64 }
        do {
            try group.verifyIdentical(floating)
        } catch DistributedError.parametersDiverged(let ranks) {
            throw DataParallelError.parametersDiverged(epoch: epoch, ranks: ranks)
        } catch let error as DistributedError {
            throw DataParallelError.communication(
                rank: rank, worldSize: worldSize, during: "the parameter check after epoch \(epoch)",
                message: "\(error)")
        }
    }

    private func communicate(_ during: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as DistributedError {
            throw DataParallelError.communication(rank: rank, worldSize: worldSize, during: during, message: "\(error)")
        }
    }
}
