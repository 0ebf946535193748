import Foundation
import Linalg

/// NCE: negative conditional entropy (Tran, Nguyen, Hassner, "Transferability and
/// Hardness of Supervised Classification Tasks", ICCV 2019).
///
/// The source labels are hard: zᵢ = argmax_z θᵢ(z) of the PTM's source-class
/// probabilities (ties go to the lowest source index). From the empirical joint of
/// (y, z) counts, P(y, z) = #{i : yᵢ = y, zᵢ = z} / N,
///
///     NCE = -H(Y | Z) = Σ_{y,z} P(y, z) log( P(y, z) / P(z) )
///
/// with 0 log 0 = 0. It is at most 0 (labels a function of the source labels);
/// higher is better, as in the paper's transferability reading.
///
/// Cost: O(N·S) for the argmax, O(C·S) for the entropy.
///
/// Conventions: θ is validated exactly as for LEEP (the paper defines NCE on hard
/// labels; validating the soft probabilities catches a wrong file early).
public struct NCE: TransferabilityMetric {
    public static let name = "nce"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.sourceProbabilities] }
    public var tasks: [TaskKind] { [.classification] }
    /// Reads source probabilities only: null directions and feature scale do not apply.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// Absolute tolerance on each row sum of θ.
    public var rowSumTolerance: Double

    public init(rowSumTolerance: Double = 1e-4) {
        self.rowSumTolerance = rowSumTolerance
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        let (labels, classCount) = try input.requireClasses(for: name)
        let theta = try input.requireSourceProbabilities(for: name)
        guard rowSumTolerance >= 0, rowSumTolerance < 1 else {
            throw MetricError.invalidParameter(metric: name, name: "rowSumTolerance", value: "\(rowSumTolerance)", expected: "in [0, 1)")
        }
        let s = theta.columns
        guard theta.rows == labels.count, s >= 1 else {
            try SourceProbabilities.validate(theta, sampleCount: labels.count, tolerance: rowSumTolerance, metric: name)
            throw MetricError.degenerate(metric: name, reason: "source probabilities have no columns")
        }
        // One sweep validates every row and takes its argmax; a row failing the quick
        // check is re-examined by the shared validator, which names the problem.
        // The sweep reads all N x S entries once; it is split over the cores in row
        // blocks (each block writes only its own slots), since it is memory-bound.
        var source = [Int](repeating: 0, count: labels.count)
        let rows = theta.rows
        // Below ~16M entries the sweep is memory-bound in one thread (about 2 ms for
        // 3000 x 1000) and starting worker threads costs as much as it saves.
        let workers = rows * s < 16_000_000 ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows / 256))
        let tolerance = rowSumTolerance
        let suspectFlags = theta.storage.withUnsafeBufferPointer { p -> [Bool] in
            guard let base = p.baseAddress else { return [] }
            return source.withUnsafeMutableBufferPointer { out -> [Bool] in
                var flags = [Bool](repeating: false, count: workers)
                flags.withUnsafeMutableBufferPointer { flagBuffer in
                    // Disjoint row blocks per worker; the pointers outlive the parallel loop.
                    let shared = SharedPointers(theta: base, argmax: out.baseAddress!, flags: flagBuffer.baseAddress!)
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let start = rows * w / workers, end = rows * (w + 1) / workers
                        var bad = false
                        for r in start..<end {
                            let (sum, smallest, argmax) = rowSummary(shared.theta + r * s, count: s)
                            shared.argmax[r] = argmax
                            if !(sum.isFinite && smallest >= 0 && abs(sum - 1) <= tolerance) { bad = true }
                        }
                        shared.flags[w] = bad
                    }
                }
                return flags
            }
        }
        let suspect = suspectFlags.contains(true)
        if suspect {
            try SourceProbabilities.validate(theta, sampleCount: labels.count, tolerance: rowSumTolerance, metric: name)
        }
        let value = Self.negativeConditionalEntropy(target: labels, classCount: classCount, source: source, sourceCount: s)
        let used = Set(source).count
        return MetricResult(score: value, details: ["source_classes_used": Double(used)])
    }

    /// argmax of each row, ties to the lowest index.
    static func hardLabels(_ theta: Matrix) -> [Int] {
        let s = theta.columns
        return theta.storage.withUnsafeBufferPointer { p in
            (0..<theta.rows).map { r in
                var best = 0
                var bestValue = p[r * s]
                for z in 1..<max(s, 1) where p[r * s + z] > bestValue { best = z; bestValue = p[r * s + z] }
                return best
            }
        }
    }

    /// Σ_{y,z} P(y, z) log(P(y, z) / P(z)) from paired hard labels.
    static func negativeConditionalEntropy(target: [Int], classCount: Int, source: [Int], sourceCount: Int) -> Double {
        var counts = [Int](repeating: 0, count: classCount * sourceCount)
        var sourceCounts = [Int](repeating: 0, count: sourceCount)
        for (y, z) in zip(target, source) {
            counts[y * sourceCount + z] += 1
            sourceCounts[z] += 1
        }
        let n = Double(max(target.count, 1))
        var value = 0.0
        for y in 0..<classCount {
            for z in 0..<sourceCount {
                let c = counts[y * sourceCount + z]
                guard c > 0 else { continue }
                value += Double(c) / n * log(Double(c) / Double(sourceCounts[z]))
            }
        }
        return value
    }
}

/// Raw pointers handed to the parallel sweep. @unchecked: each worker reads the whole
/// of `theta` and writes only its own row block of `argmax` and its own `flags` slot,
/// and the buffers stay alive for the duration of `concurrentPerform`.
private struct SharedPointers: @unchecked Sendable {
    let theta: UnsafePointer<Double>
    let argmax: UnsafeMutablePointer<Int>
    let flags: UnsafeMutablePointer<Bool>
}
