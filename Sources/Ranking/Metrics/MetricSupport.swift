import Foundation
import Linalg

/// The checked inputs of a feature-based classification metric.
struct ClassifiedFeatures {
    let features: Matrix
    let analysis: FeatureAnalysis
    let labels: [Int]
    let classCount: Int
    var sampleCount: Int { features.rows }
    var dimension: Int { features.columns }
}

extension MetricInput {
    /// Features, their shared analysis and the class labels, after the checks every
    /// feature-based classification metric needs: the task, one label per row, at
    /// least two samples and two classes, at least one feature, all values finite.
    /// Throwing here is what keeps a NaN from ever reaching a score silently.
    func requireClassifiedFeatures(for metric: String) throws -> ClassifiedFeatures {
        let (labels, classCount) = try requireClasses(for: metric)
        let features = try requireFeatures(for: metric)
        let analysis = try requireAnalysis(for: metric)
        guard labels.count == features.rows else {
            throw MetricError.shapeMismatch(
                metric: metric, what: "features", expected: "\(labels.count) rows (one per label)",
                found: "\(features.rows) x \(features.columns)")
        }
        guard features.rows >= 2 else { throw MetricError.degenerate(metric: metric, reason: "needs at least 2 samples, got \(features.rows)") }
        guard features.columns >= 1 else { throw MetricError.degenerate(metric: metric, reason: "the features have no columns") }
        guard classCount >= 2 else { throw MetricError.degenerate(metric: metric, reason: "needs at least 2 classes, got \(classCount)") }
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels {
            guard label >= 0, label < classCount else {
                throw MetricError.degenerate(metric: metric, reason: "label index \(label) outside 0..<\(classCount)")
            }
            counts[label] += 1
        }
        if let empty = counts.firstIndex(of: 0) {
            throw MetricError.degenerate(
                metric: metric, reason: "class \(targets.classes.indices.contains(empty) ? targets.classes[empty] : empty) has no samples")
        }
        if let (r, c) = features.firstNonFinite() {
            throw MetricError.degenerate(metric: metric, reason: "feature (\(r), \(c)) is \(features[r, c]); features must be finite")
        }
        return ClassifiedFeatures(features: features, analysis: analysis, labels: labels, classCount: classCount)
    }
}

/// Throws `degenerate` unless `value` is finite: the last guard before a score leaves a metric.
func requireFinite(_ value: Double, metric: String, what: String) throws -> Double {
    guard value.isFinite else { throw MetricError.degenerate(metric: metric, reason: "\(what) is \(value)") }
    return value
}

/// Translates a linear-algebra failure into a metric error that names the metric.
func metricLinalg<T>(_ metric: String, _ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as LinalgError {
        throw MetricError.degenerate(metric: metric, reason: "\(what): \(error)")
    }
}

/// Row indices of every class (the labels are 0..<classCount).
func classIndices(_ labels: [Int], classCount: Int) -> [[Int]] {
    var groups = [[Int]](repeating: [], count: classCount)
    for (r, c) in labels.enumerated() { groups[c].append(r) }
    return groups
}

/// Row-wise softmax in place, stable (max subtracted).
func softmaxRows(_ m: inout Matrix) {
    let k = m.columns
    guard k > 0 else { return }
    m.storage.withUnsafeMutableBufferPointer { s in
        for r in 0..<m.rows {
            let base = r * k
            var mx = -Double.infinity
            for j in 0..<k { mx = Swift.max(mx, s[base + j]) }
            var total = 0.0
            for j in 0..<k { let e = exp(s[base + j] - mx); s[base + j] = e; total += e }
            for j in 0..<k { s[base + j] /= total }
        }
    }
}
