import Foundation
import HubMiner
import Linalg
import Ranking
import Testing

@Suite("Flat statistics buffers and the row split")
struct StatisticsBufferTests {
    @Test("the sum of two shards' buffers is the buffer of the merged statistics, and it reads back")
    func shardBuffersAdd() throws {
        let problem = try RankProblem.make(samples: 41, dimension: 5, classes: 3, models: 1)
        let targets = problem.targets
        let features = problem.features[0]
        let first = 0..<17, second = 17..<41
        var a = FeatureStatistics(modelName: "m", featureDimension: 5, targets: targets, classGrams: true)
        try a.accumulate(features: features.rows(first), targets: targets, rows: first)
        var b = FeatureStatistics(modelName: "m", featureDimension: 5, targets: targets, classGrams: true)
        try b.accumulate(features: features.rows(second), targets: targets, rows: second)
        let whole = try FeatureStatistics(modelName: "m", features: features, targets: targets, classGrams: true)

        let summed = zip(a.flattened(), b.flattened()).map { $0 + $1 }
        #expect(summed.count == FeatureStatistics.flatLength(featureDimension: 5, targetCount: 3, classGramCount: 3))
        #expect(summed.count == 1 + 15 + 15 + 3 + 5 + 9 + 1 + 5 + 3 * 15)
        let expected = whole.flattened()
        for (x, y) in zip(summed, expected) { #expect(abs(x - y) <= 1e-12 * max(1, abs(y))) }

        let restored = try a.replacingValues(with: summed, origins: [])
        #expect(restored.sampleCount == 41)
        #expect(restored.flattened() == summed)
        #expect(restored.classes == whole.classes && restored.columnNames == whole.columnNames)
        // The lower triangle is not carried; the full Gram matrix is rebuilt from the upper one.
        let gram = restored.gram, reference = whole.gram
        for i in gram.storage.indices { #expect(abs(gram.storage[i] - reference.storage[i]) <= 1e-12 * max(1, abs(reference.storage[i]))) }
    }

    @Test("a buffer of the wrong length or a fractional count is refused, naming the model")
    func malformedBuffers() throws {
        let problem = try RankProblem.make(samples: 10, dimension: 3, classes: 2, models: 1)
        let stats = try FeatureStatistics(modelName: "alpha", features: problem.features[0], targets: problem.targets)
        var buffer = stats.flattened()
        #expect(throws: StatisticsError.self) { try stats.replacingValues(with: Array(buffer.dropLast()), origins: []) }
        buffer[0] = 2.5
        let error = try #require(throws: StatisticsError.self) { try stats.replacingValues(with: buffer, origins: []) }
        #expect("\(error)".contains("alpha"))
    }

    @Test("rows are split into contiguous ranges that cover every row once", arguments: [(0, 3), (1, 2), (7, 2), (101, 4), (5, 8)])
    func rowSplit(count: Int, worldSize: Int) {
        let ranges = (0..<worldSize).map { RankPartition.rows(of: count, rank: $0, worldSize: worldSize) }
        #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == count)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
        #expect(RankPartition.owner(ofModel: 5, worldSize: worldSize) == 5 % worldSize)
    }
}
