import Linalg
import Support

extension SeededGenerator {
    /// Per class, the samples in a seeded random order: every sample draws one key
    /// in index order and each class sorts its members by key. The order of a class
    /// depends only on the seed and the sample indices, never on the class ids, so
    /// splits and subsamples built on it are invariant to relabelling the classes.
    static func classMembersInRandomOrder(labels: [Int], classCount: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        let keys = labels.map { _ in rng.next() }
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, y) in labels.enumerated() { byClass[y].append(i) }
        return byClass.map { members in members.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 } }
    }
}
