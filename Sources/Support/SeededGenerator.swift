import Foundation

/// SplitMix64: a small, fast, seeded generator, so every randomised computation in
/// HubMiner is a pure function of its inputs and an explicit seed (the system
/// generator is not reproducible).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one of many independent streams (epoch, sample, model, ...)
    /// derived from a seed, so results do not depend on which thread runs first.
    /// This is the project's one stream derivation: data splits and shuffles, the
    /// zoo's tasks and models, and the trainer's seeds all come from it.
    public init(seed: UInt64, stream: UInt64...) { self.init(seed: seed, streams: stream) }

    /// `init(seed:stream:)` with the stream path as an array.
    public init(seed: UInt64, streams: [UInt64]) {
        var s = SeededGenerator(seed: seed)
        var mixed = s.next()
        for v in streams {
            var t = SeededGenerator(seed: mixed ^ (v &* 0xD1B5_4A32_D192_ED03))
            mixed = t.next()
        }
        self.init(seed: mixed)
    }

    /// A seed for one purpose (a stream of `seed`), for APIs that take a seed.
    public static func derivedSeed(_ seed: UInt64, stream: UInt64...) -> UInt64 {
        var g = SeededGenerator(seed: seed, streams: stream)
        return g.next()
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<n (n > 0), by rejection so there is no modulo bias.
    public mutating func int(below n: Int) -> Int { Int.random(in: 0..<n, using: &self) }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = Swift.max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
