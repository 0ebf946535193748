import Foundation
import FeatureIO
import Support

/// Seeded train/validation/test splits.
public struct SeededSplit {
    /// Splits `0..<count` into `fractions.count` disjoint parts covering everything.
    /// Fractions are normalised to sum to 1. With `labels`, each class is split
    /// separately (stratified), so every part keeps the class proportions. Each part
    /// is sorted; the same arguments always give the same parts.
    public static func split(count: Int, fractions: [Double], seed: UInt64, labels: [Int?]? = nil) -> [[Int]] {
        guard !fractions.isEmpty else { return [] }
        let total = fractions.reduce(0) { $0 + max(0, $1) }
        let weights = fractions.map { total > 0 ? max(0, $0) / total : 1.0 / Double(fractions.count) }
        var groups = [[Int]]()
        if let labels, labels.count == count {
            var byLabel = [Int: [Int]]()
            var unlabelled = [Int]()
            for i in 0..<count {
                if let l = labels[i] { byLabel[l, default: []].append(i) } else { unlabelled.append(i) }
            }
            groups = byLabel.keys.sorted().compactMap { byLabel[$0] }
            if !unlabelled.isEmpty { groups.append(unlabelled) }
        } else {
            groups = [Array(0..<count)]
        }
        var parts = [[Int]](repeating: [], count: fractions.count)
        for (g, group) in groups.enumerated() {
            var members = group
            var rng = DataRandom(seed: seed, stream: UInt64(g))
            // Fisher-Yates with our own generator: Swift's shuffle(using:) is not
            // guaranteed to stay the same across standard-library versions.
            if members.count > 1 {
                for i in stride(from: members.count - 1, to: 0, by: -1) {
                    members.swapAt(i, rng.int(below: i + 1))
                }
            }
            // Largest-remainder rounding: sizes sum to the group size exactly.
            let n = members.count
            var sizes = weights.map { Int(($0 * Double(n)).rounded(.down)) }
            var remainders = weights.enumerated().map { ($0.offset, $0.element * Double(n) - Double(sizes[$0.offset])) }
            remainders.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var missing = n - sizes.reduce(0, +)
            var k = 0
            while missing > 0 {
                sizes[remainders[k % remainders.count].0] += 1
                missing -= 1
                k += 1
            }
            var start = 0
            for (p, size) in sizes.enumerated() {
                parts[p].append(contentsOf: members[start..<(start + size)])
                start += size
            }
        }
        return parts.map { $0.sorted() }
    }

    /// `split` applied to a dataset, stratified by its labels, as subset views.
    public static func subsets(of dataset: any Dataset, fractions: [Double], seed: UInt64, stratified: Bool = true) throws -> [SubsetDataset] {
        let labels = stratified ? try dataset.labels() : nil
        return split(count: dataset.count, fractions: fractions, seed: seed, labels: labels).map {
            SubsetDataset(base: dataset, indices: $0)
        }
    }
}

/// A view of some samples of another dataset, in the given order.
public struct SubsetDataset: Dataset {
    public let base: any Dataset
    public let indices: [Int]

    public init(base: any Dataset, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public var kind: SampleKind { base.kind }

    func baseIndex(_ index: Int) throws -> Int {
        guard index >= 0, index < indices.count else { throw DataError.invalidArgument("subset index \(index) outside 0..<\(indices.count)") }
        return indices[index]
    }

    public func sample(at index: Int) throws -> Sample { try base.sample(at: baseIndex(index)) }
    public func label(at index: Int) throws -> Int? { try base.label(at: baseIndex(index)) }

    /// The base's fingerprint and the indices.
    public var fingerprint: String {
        var h = SHA256.Hasher()
        h.update(Array("subset:\(base.fingerprint):".utf8))
        var bytes = [UInt8]()
        bytes.reserveCapacity(indices.count * 8)
        for i in indices { withUnsafeBytes(of: UInt64(i).littleEndian) { bytes.append(contentsOf: $0) } }
        h.update(bytes)
        return h.finalizeHex()
    }
}
