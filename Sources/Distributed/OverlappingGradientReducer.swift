internal import CTorch
import Torch

/// Data-parallel gradient averaging that overlaps the backward pass, as PyTorch's
/// DDP `Reducer` does. Same result as `GradientSynchronizer.synchronize()`: after
/// `backward()`, `finish()` leaves every parameter's gradient equal to its average
/// over the ranks (a parameter without a gradient on a rank counts as zero there).
///
/// How: at creation every parameter gets an autograd hook and a slot in a flat
/// bucket of at most `bucketBytes` (one dtype; parameters taken in reverse order,
/// since backward produces the last layers' gradients first). When autograd has
/// computed a parameter's gradient, the hook copies it into its slot; a bucket
/// whose slots are all filled is all-reduced asynchronously while backward goes on
/// (buckets go on the wire in bucket order on every rank, as Gloo pairs collectives
/// by order). `finish()` reduces the remaining buckets, waits for all of them and
/// writes the averages into the gradients.
///
/// Contract: zero (or clear) the gradients before `backward()`, as with the
/// post-backward synchroniser; exactly one `backward()` through these parameters
/// per `finish()` (the hooks see this step's gradient, not an accumulated one).
/// The hooks stay until the reducer is released.
package final class OverlappingGradientReducer {
    package let group: ProcessGroup
    package let parameters: [Tensor]
    package let bucketBytes: Int
    /// Number of buckets (one all-reduce each per step).
    package let bucketCount: Int
    private let handle: OpaquePointer

    package init(group: ProcessGroup, parameters: [Tensor], bucketBytes: Int = GradientSynchronizer.defaultBucketBytes) throws {
        self.group = group
        self.parameters = parameters
        self.bucketBytes = bucketBytes
        var out: OpaquePointer? = nil
        let status = withExtendedLifetime(group) {
            withHandles(parameters) { hs in
                hs.withUnsafeBufferPointer { ht_dist_reducer_create(group.handle, $0.baseAddress, Int64(hs.count), Int64(bucketBytes), &out) }
            }
        }
        guard status == 0, let out else {
            throw DistributedError.invalidArgument(operation: "OverlappingGradientReducer", message: lastErrorMessage())
        }
        handle = out
        var count: Int64 = 0
        guard ht_dist_reducer_bucket_count(out, &count) == 0 else {
            ht_dist_reducer_free(out)
            throw DistributedError.invalidArgument(operation: "OverlappingGradientReducer", message: lastErrorMessage())
        }
        bucketCount = Int(count)
    }

    deinit {
        withExtendedLifetime(parameters) { ht_dist_reducer_free(handle) }
    }

    /// Buckets already on the wire in this step: between `backward()` and
    /// `finish()`, those the hooks launched while backward ran.
    package func launchedBuckets() throws -> Int {
        var count: Int64 = 0
        guard ht_dist_reducer_launched(handle, &count) == 0 else {
            throw DistributedError.invalidArgument(operation: "OverlappingGradientReducer", message: lastErrorMessage())
        }
        return Int(count)
    }

    /// After `backward()`: averages the gradients across ranks in place, waiting
    /// at most `timeout` seconds (default: the group's) for every bucket.
    package func finish(timeout: Double? = nil) throws {
        let milliseconds = Int64(((timeout ?? group.timeout) * 1000).rounded(.up))
        let status = withExtendedLifetime(group) { ht_dist_reducer_finish(handle, milliseconds) }
        if status != 0 {
            throw DistributedError.collective(
                operation: "gradient all-reduce", rank: group.rank, worldSize: group.worldSize,
                message: lastErrorMessage())
        }
    }
}
