import Torch

extension ProcessGroup {
    /// Elements per collective in `allReduce(_:op:chunkSize:)`: 8 MiB of float64,
    /// large enough that per-call latency is small against the transfer, small
    /// enough that the temporary tensor stays modest.
    package static let defaultChunkSize = 1 << 20

    /// Reduces a float64 buffer (ranking statistics: Gram matrices, sums, counts)
    /// in place across ranks, `chunkSize` elements per collective, so a buffer of
    /// any size needs only one chunk of extra memory. Every rank must pass a buffer
    /// of the same length.
    package func allReduce(_ values: inout [Double], op: ReduceOp = .sum, chunkSize: Int = ProcessGroup.defaultChunkSize) throws {
        guard chunkSize > 0 else {
            throw DistributedError.invalidArgument(operation: "all-reduce", message: "chunk size must be positive, got \(chunkSize)")
        }
        // The length is checked first: ranks with different lengths would pair
        // unrelated chunks and end with a confusing size mismatch, or hang.
        let lengths = try allGather(Tensor([Double(values.count)])).map { try $0.item() }
        guard lengths.allSatisfy({ $0 == Double(values.count) }) else {
            throw DistributedError.invalidArgument(
                operation: "all-reduce", message: "buffer lengths differ across ranks: \(lengths.map { Int($0) })")
        }
        var start = 0
        while start < values.count {
            let end = min(start + chunkSize, values.count)
            let chunk = try values[start..<end].withUnsafeBufferPointer { try Tensor(copying: $0, shape: [end - start]) }
            try allReduce([chunk], op: op)
            try chunk.withUnsafeBufferPointer(of: Double.self) { reduced in
                values.withUnsafeMutableBufferPointer { all in
                    guard let source = reduced.baseAddress, let target = all.baseAddress else { return }
                    (target + start).update(from: source, count: end - start)
                }
            }
            start = end
        }
    }
}
