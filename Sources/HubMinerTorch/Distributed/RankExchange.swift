import Distributed
import Foundation
import Ranking
import Torch

/// The collectives of a distributed ranking, each wrapped so a failure says which
/// step and model it was (the peer's death shows up here), and counting the
/// float64 values this rank all-reduced.
final class RankExchange {
    let group: ProcessGroup
    private(set) var valuesAllReduced = 0

    init(group: ProcessGroup) { self.group = group }

    /// Every rank must see the same models and labels (a shared directory, or the
    /// same copy everywhere); otherwise the reductions would pair unrelated data.
    func requireSameInputs(models: [String], samples: Int) throws {
        let mine = [Double(models.count), Double(samples), Self.fingerprint(models)]
        let all = try step("checking that every rank sees the same models and labels") {
            try group.allGather(Tensor(mine)).map { try $0.toArray(of: Double.self) }
        }
        for (rank, theirs) in all.enumerated() where theirs != mine {
            throw RankExchangeError.inputsDiffer(
                rank: rank,
                detail:
                    "rank \(group.rank) sees \(models.count) models and \(samples) labels, rank \(rank) sees \(Int(theirs[0])) models and \(Int(theirs[1])) labels"
                    + (theirs[0] == mine[0] ? " (different model names)" : ""))
        }
    }

    /// Whether every rank accumulated `model` with the same shapes. A 3-value
    /// all-reduce: failures, and the sums of D and of the buffer length, which equal
    /// world size times this rank's values exactly when all ranks agree.
    func agree(on model: String, statistics: FeatureStatistics?) throws -> Bool {
        var header: [Double] = statistics.map { [0.0, Double($0.featureDimension), Double($0.flatLength)] } ?? [1, 0, 0]
        try step("agreeing on \(model)") { try group.allReduce(&header) }
        valuesAllReduced += 3
        guard header[0] == 0, let statistics else { return false }
        let p = Double(group.worldSize)
        guard header[1] == p * Double(statistics.featureDimension), header[2] == p * Double(statistics.flatLength) else {
            throw RankExchangeError.inputsDiffer(
                rank: group.rank, detail: "\(model): ranks read different feature dimensions (this rank: \(statistics.featureDimension))")
        }
        return true
    }

    /// Sums `buffer` across ranks in place.
    func allReduce(_ buffer: inout [Double], model: String) throws {
        try step("reducing the statistics of \(model)") { try group.allReduce(&buffer) }
        valuesAllReduced += buffer.count
    }

    /// Every rank's `value`, in rank order (JSON bytes, one float64 per byte,
    /// padded to the longest: results are kilobytes).
    func gather<Value: Codable>(_ value: Value) throws -> [Value] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let bytes = try encoder.encode(value)
        return try step("gathering the results") {
            let lengths = try group.allGather(Tensor([Double(bytes.count)])).map { Int(try $0.item()) }
            let longest = lengths.max() ?? 0
            var padded = bytes.map(Double.init)
            padded += [Double](repeating: 0, count: longest - bytes.count)
            let all = try group.allGather(Tensor(padded))
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return try zip(all, lengths).map { tensor, length in
                let values = try tensor.toArray(of: Double.self).prefix(length)
                return try decoder.decode(Value.self, from: Data(values.map { UInt8($0) }))
            }
        }
    }

    private func step<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as DistributedError {
            throw RankExchangeError.collective(step: what, rank: group.rank, worldSize: group.worldSize, underlying: error)
        }
    }

    /// A 52-bit FNV-1a hash of the names (exact in a float64).
    static func fingerprint(_ names: [String]) -> Double {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in names.joined(separator: "\u{0}").utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        return Double(hash >> 12)
    }
}

package enum RankExchangeError: Error, CustomStringConvertible {
    case inputsDiffer(rank: Int, detail: String)
    case collective(step: String, rank: Int, worldSize: Int, underlying: DistributedError)

    package var description: String {
        switch self {
        case let .inputsDiffer(_, detail):
            return "distributed ranking: the ranks' inputs differ: \(detail); give every rank the same --features and --labels"
        case let .collective(step, rank, worldSize, underlying):
            return "distributed ranking failed on rank \(rank) of \(worldSize) while \(step) (another rank exited or stalled?): \(underlying)"
        }
    }
}
