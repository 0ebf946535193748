import Foundation
import Testing
import Linalg
@testable import Ranking

/// Timings on the benchmark data written by benchmarks/metrics/reference_metrics_b.py; runs
/// only when HUBMINER_METRICS_BENCH names that file (use a release build).
@Suite("Metrics benchmark (opt-in)", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HUBMINER_METRICS_BENCH"] != nil))
struct MetricsBenchmarkTests {
    @Test func timings() throws {
        let path = try #require(ProcessInfo.processInfo.environment["HUBMINER_METRICS_BENCH"])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func int64(at offset: Int) -> Int {
            Int(Int64(littleEndian: data.subdata(in: offset..<(offset + 8)).withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }))
        }
        let n = int64(at: 0), d = int64(at: 8)
        let labels = (0..<n).map { int64(at: 24 + 8 * $0) }
        let start = 24 + 8 * n
        var values = [Double](repeating: 0, count: n * d)
        values.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + 8 * n * d)])) }
        }
        let features = Matrix(rows: n, columns: d, storage: values)
        let targets = try TargetEncoder.encodeClasses(labels)
        // The stand-in source head of the Python script: softmax of the first 1000 columns.
        let s = min(1000, d)
        let theta = Matrix(rows: n, columns: s) { r, row in
            var m = -Double.infinity
            for j in 0..<s { m = max(m, features[r, j]) }
            var sum = 0.0
            for j in 0..<s { row[j] = exp(features[r, j] - m); sum += row[j] }
            for j in 0..<s { row[j] /= sum }
        }
        for metric in [LEEP(), NCE()] as [any TransferabilityMetric] {
            let input = MetricInput(targets: targets, sourceProbabilities: theta)
            let clock = ContinuousClock()
            var result: MetricResult?
            // Milliseconds: the best of 7 runs, as Python's timeit.repeat.
            var best = Duration.seconds(1_000)
            for _ in 0..<7 { best = min(best, try clock.measure { result = try metric.score(input) }) }
            print("\(metric.name): best of 7 \(best)  score \(result?.score ?? .nan)")
        }
        let metrics: [any TransferabilityMetric] = [KNNAccuracy(), PARC(), LinearProbe(), NLEEP()]
        for metric in metrics {
            let input = MetricInput(targets: targets, features: features) // fresh cache: PCA counted
            let clock = ContinuousClock()
            var result: MetricResult?
            let elapsed = try clock.measure { result = try metric.score(input) }
            print("\(metric.name): \(elapsed)  score \(result?.score ?? .nan)  \(result?.details ?? [:])  \(result?.warnings ?? [])")
        }
    }
}

extension MetricsBenchmarkTests {
    /// Where N-LEEP's time goes: PCA, the k-means start, one E-step, one M-step.
    @Test func nleepBreakdown() throws {
        let path = try #require(ProcessInfo.processInfo.environment["HUBMINER_METRICS_BENCH"])
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = data.withUnsafeBytes { raw in (0..<3).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) } }
        let (n, d, c) = (header[0], header[1], header[2])
        var values = [Double](repeating: 0, count: n * d)
        values.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(24 + 8 * n)..<(24 + 8 * n + 8 * n * d)])) }
        }
        let clock = ContinuousClock()
        let analysis = FeatureAnalysis(features: Matrix(rows: n, columns: d, storage: values))
        var reduced = Matrix(rows: 0, columns: 0)
        let pca = try clock.measure { reduced = try analysis.principalComponents(try analysis.componentsKeeping(varianceFraction: 0.8)) }
        let mixture = GaussianMixture(components: 5 * c)
        var labels = [Int]()
        let kmeans = clock.measure { labels = mixture.kmeansLabels(reduced) }
        var resp = Matrix(rows: n, columns: 5 * c)
        for (i, k) in labels.enumerated() { resp[i, k] = 1 }
        var params: GaussianMixture.Parameters?
        let mStep = try clock.measure { params = try mixture.mStep(reduced, responsibilities: resp) }
        let eStep = try clock.measure { _ = try mixture.eStep(reduced, try #require(params)) }
        print("nleep breakdown: d \(reduced.columns)  pca \(pca)  kmeans \(kmeans)  m-step \(mStep)  e-step \(eStep)")
    }
}
