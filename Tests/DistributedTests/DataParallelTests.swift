import Distributed
import Testing

@Suite("Data-parallel training", .serialized)
struct DataParallelTests {
    @Test(
        "2 processes on half batches match 1 process on the whole batch; parameters stay identical",
        arguments: [GradientSynchronizer.defaultBucketBytes, 100])
    func twoProcessesMatchOne(bucketBytes: Int) throws {
        let run = try WorkerRun.start(["train", String(bucketBytes)])
        #expect(run.result.failed.isEmpty, "\(run.log)")
        for rank in 0..<2 {
            #expect(run.text("identical", rank: rank) == "yes", "\(run.log)")
            let numbers = try run.numbers("train", rank: rank)
            try #require(numbers.count == 5)
            #expect(numbers[0] <= 1e-6, "largest parameter difference \(numbers[0])")
            #expect(numbers[1] <= 1e-6, "largest loss-curve difference \(numbers[1])")
            #expect(numbers[3] < numbers[2], "the loss must fall (\(numbers[2]) -> \(numbers[3]))")
            // 96 bytes of weight and 24 of bias: one bucket by default, two at 100 bytes.
            #expect(numbers[4] == (bucketBytes == 100 ? 2 : 1))
            let divergence = try #require(run.text("divergence", rank: rank))
            #expect(divergence == "parameters differ across processes: ranks [1] disagree with rank 0", "\(divergence)")
            print("bucket \(bucketBytes) B, rank \(rank): max |param diff| \(numbers[0]), max |loss diff| \(numbers[1])")
        }
    }
}
