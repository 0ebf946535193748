import Foundation
import TestSupport
import Testing
@testable import FeatureIO

@Suite("a feature file truncated while it is being read")
struct TruncationTests {
    /// Before: the file was memory-mapped, and touching the pages lost to a truncation
    /// raised SIGBUS. Now it is read with `pread`: a truncation after opening leaves the
    /// bytes already read intact. Run in a child process so a signal fails only this test.
    @Test("bytes opened before the file shrinks stay readable (no SIGBUS)")
    func shrinkAfterOpen() async {
        await #expect(processExitsWith: .success) {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-trunc-\(UUID().uuidString).npy")
            defer { try? FileManager.default.removeItem(at: url) }
            let values = (0..<(1 << 18)).map { Double($0 % 251) }
            try FeatureFile.writeNpy(NumericArray(shape: [values.count], dtype: .float64, values: values), to: url)
            let buffer = try ByteBuffer.open(url)
            // A script re-saving the file: it shrinks to a few bytes underneath us.
            guard truncate(url.path, 16) == 0 else { exit(3) }
            var sum = 0
            for byte in buffer.bytes { sum &+= Int(byte) }
            // The whole original file was read (a truncated read would be shorter).
            exit(buffer.count > 2_000_000 && sum > 0 ? 0 : 4)
        }
    }

    @Test("a file shorter than its header says is a truncation error naming the file")
    func shortFileIsAnError() throws {
        let dir = try TemporaryDirectory.make("hubminer-short")
        defer { TemporaryDirectory.remove(dir) }
        let url = dir.appendingPathComponent("short.npy")
        try FeatureFile.writeNpy(NumericArray(shape: [1000], dtype: .float64, values: Array(repeating: 1, count: 1000)), to: url)
        #expect(truncate(url.path, 400) == 0)
        #expect(throws: FeatureIOError.self) { _ = try FeatureFile.readMatrix(at: url) }
    }
}
