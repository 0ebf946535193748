import Distributed
import Testing

@Suite("Overlapping gradient reducer", .serialized)
struct OverlappingReducerTests {
    @Test(
        "2 processes: equal to the post-backward synchroniser and to 1 process's full-batch gradient; an unused parameter gets the average with zero",
        arguments: [GradientSynchronizer.defaultBucketBytes, 100])
    func matchesSynchroniserAndFullBatch(bucketBytes: Int) throws {
        let run = try WorkerRun.start(["overlap", String(bucketBytes)])
        #expect(run.result.failed.isEmpty, "\(run.log)")
        for rank in 0..<2 {
            let numbers = try run.numbers("overlap", rank: rank)
            try #require(numbers.count == 5)
            #expect(numbers[0] <= 1e-6, "largest |overlap - synchroniser| \(numbers[0])")
            #expect(numbers[1] <= 1e-6, "largest |overlap - full batch| \(numbers[1])")
            #expect(numbers[2] <= 1e-6, "largest |unused gradient - c/2| \(numbers[2])")
            // 8 (frozen) + 16 + 12 + 84 + 28 + 140 bytes in reverse order: one bucket
            // by default; at 100 bytes [frozen, extra, bias2], [weight2], [bias1], [weight1].
            #expect(numbers[3] == (bucketBytes == 100 ? 4 : 1))
            // Overlap: on rank 0 every gradient arrives during backward, so every
            // bucket is on the wire before finish(); rank 1 never computes the unused
            // parameter's gradient, whose bucket is the first, so buckets wait for it
            // (launched in order) and none leaves before finish().
            #expect(numbers[4] == (rank == 0 ? numbers[3] : 0), "buckets launched during backward: \(numbers[4])")
            print("overlap, bucket \(bucketBytes) B, rank \(rank): vs sync \(numbers[0]), vs full batch \(numbers[1]), unused \(numbers[2])")
        }
    }

    @Test("a peer that exits mid-run makes finish() fail naming the bucket, within the timeout")
    func peerDies() throws {
        let run = try WorkerRun.start(["overlap-peer-dies"], timeout: 3)
        #expect(run.result.exits.map(\.status) == [0, 3], "\(run.log)")
        let message = try #require(run.text("overlapDeathError", rank: 0), "\(run.log)")
        #expect(message.hasPrefix("gradient all-reduce failed on rank 0 of 2: all-reduce of gradient bucket 1 of 2"), "\(message)")
        let elapsed = try run.numbers("overlapDeathElapsed", rank: 0)
        #expect(elapsed.count == 1 && elapsed[0] < 3.5, "\(elapsed)")
        print("peer death: \(elapsed) s, \(message)")
    }
}
