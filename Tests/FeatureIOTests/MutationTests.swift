import Foundation
import Testing
import FeatureIO
import Linalg

/// Random truncations and bit flips of valid files: each mutant either reads or throws
/// a `FeatureIOError`; none may crash, hang, or throw anything else.
/// `FEATUREIO_MUTATIONS=N` runs N mutants per seed file instead of 60 (for a long soak).
@Suite struct MutationTests {
    static let rounds = ProcessInfo.processInfo.environment["FEATUREIO_MUTATIONS"].flatMap { Int($0) } ?? 60

    static let seeds: [(String, String?)] = [
        ("float32_le.npy", nil), ("fortran_3d.npy", nil), ("version3.npy", nil),
        ("several.npz", "labels"), ("several_compressed.npz", "features"), ("zip64_central.npz", "features"),
        ("all_dtypes.safetensors", "t_f32"), ("messy.csv", nil),
    ]

    @Test(arguments: seeds.map(\.0))
    func mutantsNeverCrash(_ name: String) throws {
        let key = Self.seeds.first { $0.0 == name }?.1
        let original = try Fixtures.bytes(name)
        let dir = try ScratchDirectory()
        var rng = SplitMix64(state: name.utf8.reduce(UInt64(original.count)) { $0 &* 31 &+ UInt64($1) })
        var outcomes = (read: 0, threw: 0)
        for round in 0..<Self.rounds {
            var bytes = original
            switch round % 4 {
            case 0:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &rng)))
            case 1:
                // Headers and directories are where parsing can go wrong: favor both ends.
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let region =
                        Bool.random(using: &rng)
                        ? 0..<min(bytes.count, 160)
                        : max(0, bytes.count - 160)..<bytes.count
                    let i = Int.random(in: region, using: &rng)
                    bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                }
            case 2:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = [0x00, 0xff, 0x7f, 0x80, UInt8(ascii: "9"), UInt8(ascii: ",")][Int.random(in: 0..<6, using: &rng)]
            default:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8.random(in: 1...255, using: &rng)
                bytes = Array(bytes.prefix(max(i, bytes.count - Int.random(in: 0..<8, using: &rng))))
            }
            let url = try dir.write("m-\(round)-" + name, bytes)
            do {
                _ = try FeatureFile.keys(at: url)
                let array = try FeatureFile.readArray(at: url, key: key)
                #expect(array.values.count == array.shape.reduce(1, *))
                if array.shape.count <= 2 && !array.shape.isEmpty {
                    let reader = try MatrixRowReader(url: url, key: key)
                    _ = try reader.readRows(0..<reader.rows)
                }
                outcomes.read += 1
            } catch is FeatureIOError {
                outcomes.threw += 1
            } catch {
                Issue.record("\(name) round \(round): unexpected error type \(error)")
            }
        }
        #expect(outcomes.read + outcomes.threw == Self.rounds)
        #expect(outcomes.threw > 0)
    }
}
