import Foundation
import Support

/// Batches a dataset on background threads, ahead of the consumer.
///
/// Threading: each epoch starts `workers` threads. Batch `b` of the epoch's order is
/// decoded, transformed and collated by whichever worker takes it; the consumer
/// receives batches strictly in order, so the sequence of batches depends only on
/// `seed` and the epoch, never on `workers` or timing. Transform randomness for a
/// sample comes from a generator seeded by (seed, epoch, dataset index).
///
/// Memory bound: a worker only starts batch `b` when `b < consumed + prefetch`, so at
/// most `prefetch` batches are being built or waiting at any time, plus the one the
/// consumer holds. With `workers > prefetch` the extra workers idle.
///
/// Errors: the first failing batch (in order) is thrown from `nextBatch()` with the
/// dataset's error, which names the file; the iterator then stops its threads and
/// returns nil afterwards. A consumer that stops early calls `close()` (or drops
/// the iterator: `deinit` closes), which stops and joins the threads.
public final class DataLoader: Sequence, Sendable {
    public let dataset: any Dataset
    public let batchSize: Int
    public let transform: (any Transform)?
    public let shuffle: Bool
    public let seed: UInt64
    public let dropLast: Bool
    public let prefetch: Int
    public let workers: Int
    /// Data-parallel training: this process's part of every batch (see `DataShard`).
    public let shard: DataShard?
    /// The next epoch number (`for batch in loader` twice gives epochs 0, 1).
    private let epochs = Locked(0)

    public init(
        dataset: any Dataset, batchSize: Int, transform: (any Transform)?, shuffle: Bool, seed: UInt64,
        dropLast: Bool = false, prefetch: Int = 2, workers: Int = 1, shard: DataShard? = nil
    ) {
        precondition(batchSize > 0, "DataLoader: batchSize must be positive")
        precondition(prefetch > 0, "DataLoader: prefetch must be positive")
        precondition(workers > 0, "DataLoader: workers must be positive")
        self.dataset = dataset
        self.batchSize = batchSize
        self.transform = transform
        self.shuffle = shuffle
        self.seed = seed
        self.dropLast = dropLast
        self.prefetch = prefetch
        self.workers = workers
        self.shard = shard
    }

    /// Batches per epoch.
    public var batchCount: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The dataset indices of epoch `epoch` in batch order (all of them, before dropLast).
    public func order(epoch: Int) -> [Int] {
        var order = Array(0..<dataset.count)
        if shuffle, order.count > 1 {
            var rng = DataRandom(seed: seed, stream: UInt64(truncatingIfNeeded: epoch))
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.int(below: i + 1)) }
        }
        return order
    }

    /// The next epoch's iterator (epochs count from 0 per loader).
    public func makeIterator() -> BatchIterator {
        iterator(
            epoch: epochs.withLock { n in
                defer { n += 1 }; return n
            })
    }

    /// An iterator over epoch `epoch`; the same epoch always yields the same batches.
    public func iterator(epoch: Int) -> BatchIterator {
        let order = order(epoch: epoch)
        let batches = batchCount
        let plan = LoaderPlan(
            dataset: dataset, transform: transform, order: order, batchSize: batchSize,
            batches: batches, seed: seed, epoch: epoch, shard: shard)
        return BatchIterator(plan: plan, prefetch: prefetch, workers: Swift.min(workers, Swift.max(batches, 1)))
    }

    /// Runs `body` on every batch of the next epoch (or `epoch`), in order. A reading
    /// error, or an error thrown by `body`, stops the workers and is rethrown: the
    /// safe form of `for batch in loader`, which cannot throw.
    public func forEachBatch(epoch: Int? = nil, _ body: (Batch) throws -> Void) throws {
        let it = epoch.map { iterator(epoch: $0) } ?? makeIterator()
        defer { it.close() }
        while let batch = try it.nextBatch() { try body(batch) }
    }

    /// Collates samples into a batch; all must share one shape.
    public static func collate(_ samples: [Sample], indices: [Int]) throws -> Batch {
        guard let first = samples.first else { return Batch(values: [], shape: [0], labels: [], indices: []) }
        let size = first.values.count
        var values = [Float]()
        values.reserveCapacity(size * samples.count)
        var labels = [Int]()
        labels.reserveCapacity(samples.count)
        var texts = [[String]]()
        var targets = [[Float]]()
        for s in samples {
            guard s.shape == first.shape, s.values.count == size else {
                throw DataError.shapeMismatch(sample: s.name, shape: s.shape, expected: first.shape, firstSample: first.name)
            }
            // Text samples of a batch all hold a text, or all a pair.
            guard s.texts.count == first.texts.count, (s.targets == nil) == (first.targets == nil) else {
                throw DataError.invalidArgument(
                    "\(s.name): \(s.texts.count) texts and \(s.targets == nil ? "no" : "some") targets, "
                        + "unlike \(first.name) (\(first.texts.count) texts) in the same batch")
            }
            values.append(contentsOf: s.values)
            labels.append(s.label ?? -1)
            if !s.texts.isEmpty { texts.append(s.texts) }
            if let t = s.targets { targets.append(t) }
        }
        return Batch(values: values, shape: [samples.count] + first.shape, labels: labels, indices: indices, texts: texts, targets: targets)
    }
}

/// Part `index` of `count` of every batch: rows [index n / count, (index + 1) n / count)
/// of a batch of n. Every process iterates the same global order (seeded by seed
/// and epoch) and decodes only its own rows; the transform's random numbers are
/// still drawn per dataset index, so the union of the shards is exactly the batch
/// one process would load.
public struct DataShard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "DataShard: index \(index) is not in 0..<\(count)")
        self.index = index
        self.count = count
    }

    public func range(in rows: Int) -> Range<Int> {
        (index * rows / count)..<((index + 1) * rows / count)
    }
}

/// What one epoch computes; immutable and shared by the worker threads.
struct LoaderPlan: Sendable {
    let dataset: any Dataset
    let transform: (any Transform)?
    let order: [Int]
    let batchSize: Int
    let batches: Int
    let seed: UInt64
    let epoch: Int
    let shard: DataShard?

    func build(_ b: Int) throws -> Batch {
        var indices = Array(order[(b * batchSize)..<min(order.count, (b + 1) * batchSize)])
        if let shard { indices = Array(indices[shard.range(in: indices.count)]) }
        var samples = [Sample]()
        samples.reserveCapacity(indices.count)
        for index in indices {
            var sample = try dataset.sample(at: index)
            if let transform {
                var random = DataRandom(seed: seed, stream: UInt64(truncatingIfNeeded: epoch), UInt64(index))
                sample = try transform.apply(sample, random: &random)
            }
            samples.append(sample)
        }
        return try DataLoader.collate(samples, indices: indices)
    }
}

/// Shared state of one epoch: the bounded buffer between workers and consumer.
/// `@unchecked Sendable`: every field is read and written under `condition`.
final class LoaderState: @unchecked Sendable {
    let condition = NSCondition()
    var nextToStart = 0
    var consumed = 0
    var ready = [Int: Result<Batch, any Error>]()
    var building = 0
    var cancelled = false
    var liveWorkers = 0
    /// Stop starting batches after this one (set when a batch fails).
    var lastToStart = Int.max
    /// The most batches ever built or waiting at once (instrumentation for tests).
    var peakBuffered = 0
}

/// One epoch's batches, in order. Not safe to use from several threads at once.
public final class BatchIterator: IteratorProtocol {
    private let plan: LoaderPlan
    private let prefetch: Int
    private let state = LoaderState()
    private var finished = false
    /// The error that ended iteration through `next()`, if any.
    public private(set) var error: (any Error)?

    init(plan: LoaderPlan, prefetch: Int, workers: Int) {
        self.plan = plan
        self.prefetch = prefetch
        if plan.batches == 0 { finished = true; return }
        state.liveWorkers = workers
        for w in 0..<workers {
            let thread = Thread { [state, plan, prefetch] in BatchIterator.work(state: state, plan: plan, prefetch: prefetch) }
            thread.name = "DataLoader worker \(w)"
            thread.start()
        }
    }

    deinit { close() }

    private static func work(state: LoaderState, plan: LoaderPlan, prefetch: Int) {
        let c = state.condition
        c.lock()
        while true {
            while !state.cancelled, state.nextToStart < plan.batches, state.nextToStart <= state.lastToStart,
                state.nextToStart >= state.consumed + prefetch
            {
                c.wait()
            }
            if state.cancelled || state.nextToStart >= plan.batches || state.nextToStart > state.lastToStart { break }
            let b = state.nextToStart
            state.nextToStart += 1
            state.building += 1
            state.peakBuffered = max(state.peakBuffered, state.building + state.ready.count)
            c.unlock()
            let result = Result { try plan.build(b) }
            c.lock()
            state.building -= 1
            if case .failure = result { state.lastToStart = min(state.lastToStart, b) }
            if !state.cancelled { state.ready[b] = result }
            c.broadcast()
        }
        state.liveWorkers -= 1
        c.broadcast()
        c.unlock()
    }

    /// The next batch, nil at the end of the epoch; a failure to read or transform a
    /// sample is thrown (and ends the epoch).
    public func nextBatch() throws -> Batch? {
        if finished { return nil }
        let c = state.condition
        c.lock()
        if state.consumed >= plan.batches {
            c.unlock()
            finish()
            return nil
        }
        while state.ready[state.consumed] == nil, !state.cancelled { c.wait() }
        let result = state.ready.removeValue(forKey: state.consumed)
        state.consumed += 1
        c.broadcast()
        c.unlock()
        switch result {
        case .success(let batch)?:
            return batch
        case .failure(let error)?:
            finish()
            throw error
        case nil:
            finish()
            return nil
        }
    }

    /// `nextBatch()` for `for`-loops: an error ends the loop and is kept in `error`,
    /// so check it after the loop (or use `nextBatch()` to get it thrown).
    public func next() -> Batch? {
        do {
            return try nextBatch()
        } catch {
            self.error = error
            return nil
        }
    }

    /// Stops the workers (after the batch each is building) and waits for them to
    /// exit. Safe to call more than once.
    public func close() {
        finish()
    }

    private func finish() {
        finished = true
        let c = state.condition
        c.lock()
        state.cancelled = true
        c.broadcast()
        while state.liveWorkers > 0 { c.wait() }
        state.ready.removeAll()
        c.unlock()
    }

    /// Worker threads still running (0 after `close()` or the end of the epoch).
    public var runningWorkers: Int {
        state.condition.lock(); defer { state.condition.unlock() }
        return state.liveWorkers
    }

    /// The largest number of batches built or buffered at once so far (never more
    /// than `prefetch`).
    public var peakBuffered: Int {
        state.condition.lock(); defer { state.condition.unlock() }
        return state.peakBuffered
    }
}
