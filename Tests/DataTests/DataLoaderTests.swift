import Foundation
import Testing
@testable import Data

/// Counts sample reads, optionally slowly, to observe the loader from outside.
final class CountingDataset: Dataset, @unchecked Sendable { // counter guarded by `lock`
    let count: Int
    let delay: TimeInterval
    private let lock = NSLock()
    private var reads = 0
    init(count: Int, delay: TimeInterval = 0) { self.count = count; self.delay = delay }
    var classNames: [String] { ["a", "b"] }
    var kind: SampleKind { .tabular }
    var fingerprint: String { "counting" }
    var readCount: Int { lock.lock(); defer { lock.unlock() }; return reads }
    func sample(at index: Int) throws -> Sample {
        lock.lock(); reads += 1; lock.unlock()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return Sample(values: [Float(index)], shape: [1], label: index % 2)
    }
}

@Suite("DataLoader")
struct DataLoaderTests {
    func all(_ it: BatchIterator) throws -> [Batch] {
        var out = [Batch]()
        while let b = try it.nextBatch() { out.append(b) }
        return out
    }

    @Test("every sample exactly once per epoch, with and without shuffling", arguments: [false, true])
    func coverage(shuffle: Bool) throws {
        let loader = DataLoader(dataset: SyntheticDataset(count: 23), batchSize: 5, transform: nil, shuffle: shuffle, seed: 4, workers: 2)
        let batches = try all(loader.makeIterator())
        #expect(batches.map(\.count) == [5, 5, 5, 5, 3])
        let indices = batches.flatMap(\.indices)
        #expect(indices.sorted() == Array(0..<23))
        #expect((indices == Array(0..<23)) == !shuffle)
        let b = batches[0]
        #expect(b.shape == [5, 1, 2, 2])
        #expect(b.labels == b.indices.map { $0 % 3 })
        #expect(b.values[4..<8].allSatisfy { $0 == Float(b.indices[1]) })
        // The next epoch is shuffled differently; the same epoch is reproducible.
        let next = try all(loader.makeIterator()).flatMap(\.indices)
        #expect((next != indices) == shuffle)
        #expect(try all(loader.iterator(epoch: 0)).flatMap(\.indices) == indices)
    }

    @Test("the same seed gives the same batches with 1 and 2 workers, random transforms included")
    func determinism() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        try makeImageFolder(dir, classes: ["a", "b"], perClass: 6, size: 8)
        let dataset = try DatasetLoader.open(dir, split: nil)
        let transform = Compose([RandomResizedCrop(size: 5), RandomHorizontalFlip()])
        func run(_ workers: Int, seed: UInt64) throws -> [Batch] {
            try all(DataLoader(dataset: dataset, batchSize: 5, transform: transform, shuffle: true, seed: seed, workers: workers).makeIterator())
        }
        let one = try run(1, seed: 7)
        #expect(one == (try run(2, seed: 7)))
        #expect(one == (try run(3, seed: 7)))
        #expect(one != (try run(1, seed: 8)))
        #expect(one[0].shape == [5, 3, 5, 5])
    }

    @Test("dropLast drops the short final batch")
    func dropLast() throws {
        let loader = DataLoader(dataset: SyntheticDataset(count: 23), batchSize: 5, transform: nil, shuffle: true, seed: 1, dropLast: true)
        #expect(loader.batchCount == 4)
        #expect(try all(loader.makeIterator()).map(\.count) == [5, 5, 5, 5])
        let empty = DataLoader(dataset: SyntheticDataset(count: 3), batchSize: 5, transform: nil, shuffle: false, seed: 1, dropLast: true)
        #expect(try empty.makeIterator().nextBatch() == nil)
    }

    @Test("never more than `prefetch` batches built ahead of a slow consumer")
    func bounded() throws {
        let dataset = CountingDataset(count: 60)
        let loader = DataLoader(dataset: dataset, batchSize: 4, transform: nil, shuffle: false, seed: 0, prefetch: 2, workers: 3)
        let it = loader.makeIterator()
        var consumed = 0
        while let _ = try it.nextBatch() {
            consumed += 1
            Thread.sleep(forTimeInterval: 0.004)
            // Batches read so far: the consumed ones plus at most `prefetch` ahead.
            #expect(dataset.readCount <= (consumed + 2) * 4)
        }
        #expect(consumed == 15)
        #expect(it.peakBuffered <= 2 && it.peakBuffered >= 1)
    }

    @Test("stopping early shuts the workers down")
    func earlyStop() throws {
        let dataset = CountingDataset(count: 400, delay: 0.001)
        let loader = DataLoader(dataset: dataset, batchSize: 4, transform: nil, shuffle: false, seed: 0, prefetch: 2, workers: 2)
        let it = loader.makeIterator()
        _ = try it.nextBatch()
        it.close()
        #expect(it.runningWorkers == 0)
        let reads = dataset.readCount
        Thread.sleep(forTimeInterval: 0.02)
        #expect(dataset.readCount == reads)
        #expect(reads <= 3 * 4)
        #expect(try it.nextBatch() == nil)

        // Dropping the iterator mid-epoch also stops its threads.
        let other = CountingDataset(count: 400, delay: 0.001)
        do {
            let it2 = DataLoader(dataset: other, batchSize: 4, transform: nil, shuffle: false, seed: 0).makeIterator()
            _ = try it2.nextBatch()
        }
        let after = other.readCount
        Thread.sleep(forTimeInterval: 0.02)
        #expect(other.readCount == after)
    }

    @Test("a failing sample surfaces as a thrown error naming the file, then iteration ends", arguments: [1, 2])
    func failure(workers: Int) throws {
        let loader = DataLoader(
            dataset: SyntheticDataset(count: 20, failing: 13), batchSize: 4, transform: nil, shuffle: false, seed: 0,
            workers: workers)
        let it = loader.makeIterator()
        var good = 0
        do {
            while try it.nextBatch() != nil { good += 1 }
            Issue.record("no error")
        } catch let e as DataError {
            #expect(e.description.contains("broken/file13.png"))
        }
        #expect(good == 3)
        #expect(try it.nextBatch() == nil)
        #expect(it.runningWorkers == 0)

        // for-in keeps the error on the iterator.
        let it2 = loader.makeIterator()
        var seen = 0
        while let _ = it2.next() { seen += 1 }
        #expect(seen == 3 && it2.error != nil)

        // forEachBatch rethrows.
        var visited = 0
        #expect(throws: DataError.self) { try loader.forEachBatch { _ in visited += 1 } }
        #expect(visited == 3)
    }

    @Test("samples of different shapes in one batch are an error naming the sample")
    func shapeMismatch() throws {
        let loader = DataLoader(dataset: SyntheticDataset(count: 8, oddShapeAt: 5), batchSize: 4, transform: nil, shuffle: false, seed: 0)
        let it = loader.makeIterator()
        _ = try it.nextBatch()
        do { _ = try it.nextBatch(); Issue.record("collated") } catch let e as DataError {
            #expect(e.description.contains("mem/5") && e.description.contains("Resize"))
        }
    }
}
