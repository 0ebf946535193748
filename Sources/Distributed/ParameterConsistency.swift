import Torch

extension ProcessGroup {
    /// Throws `.parametersDiverged` unless every rank holds bit-identical values in
    /// `tensors` (same order and shapes on every rank). Each rank hashes the raw
    /// bytes and the 64-bit hashes are all-gathered: 32 bytes per rank on the wire.
    package func verifyIdentical(_ tensors: [Tensor]) throws {
        let local = try Self.checksum(tensors)
        let gathered = try allGather(Tensor(local)).map { try $0.toArray(of: Double.self) }
        let differing = gathered.indices.filter { gathered[$0] != gathered[0] }
        if !differing.isEmpty { throw DistributedError.parametersDiverged(ranks: differing) }
    }

    /// FNV-1a over every tensor's bytes (float32/float64), as four 16-bit parts
    /// stored in float64 so the tensor carries the hash exactly.
    static func checksum(_ tensors: [Tensor]) throws -> [Double] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: UnsafeRawBufferPointer) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        for t in tensors {
            let c = try t.detach().contiguous()
            switch c.dtype {
            case .float32: try c.withUnsafeBufferPointer(of: Float.self) { mix(UnsafeRawBufferPointer($0)) }
            case .float64: try c.withUnsafeBufferPointer(of: Double.self) { mix(UnsafeRawBufferPointer($0)) }
            default:
                throw DistributedError.invalidArgument(operation: "verifyIdentical", message: "expected float32 or float64 tensors, got \(c.dtype)")
            }
        }
        return (0..<4).map { Double((hash >> (16 * UInt64($0))) & 0xffff) }
    }
}
