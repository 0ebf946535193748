import Foundation
import Linalg
import Support

/// The zoo's random numbers: the project's SplitMix64 (`SeededGenerator`) with the
/// derived operations that must never change with the standard library's
/// algorithms written out here (bounded integers, shuffles), so generated tasks
/// and initial weights stay the same across toolchains.
package struct ZooRandom: Sendable {
    private var generator: SeededGenerator

    package init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// A generator for one item of a stream (an image index, a model), independent
    /// of how many numbers other items drew.
    /// (The project's one stream derivation, `SeededGenerator(seed:stream:)`.)
    package init(seed: UInt64, stream: UInt64, index: UInt64 = 0) {
        generator = SeededGenerator(seed: seed, stream: stream, index)
    }

    package mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [0, 1) with 53 random bits.
    package mutating func uniform() -> Double { generator.uniform() }

    package mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * uniform()
    }

    /// Uniform in 0..<n (n > 0), by rejection so there is no modulo bias.
    package mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let x = next()
            if x < limit { return Int(x % bound) }
        }
    }

    /// Standard normal (Box-Muller).
    package mutating func normal() -> Double { generator.normal() }

    package mutating func bernoulli(_ p: Double) -> Bool { uniform() < p }

    /// Fisher-Yates.
    package mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, int(below: i + 1))
        }
    }
}

/// A stable 64-bit hash of a string (FNV-1a), to derive seeds from names.
func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 {
        h ^= UInt64(byte)
        h &*= 0x0000_0100_0000_01B3
    }
    return h
}
