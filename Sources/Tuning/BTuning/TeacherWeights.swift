import Foundation

/// B-Tuning's teacher weights: pi = softmax(LogME score / t).
///
/// LogME scores are log evidences per sample, so their differences are
/// log-likelihood ratios per sample; dividing by a small t (0.1 by default) sharpens
/// the weights towards the best-ranked teacher. Computed in float64 after
/// subtracting the largest scaled score, so any finite scores and t > 0 give finite
/// weights that sum to one.
package enum TeacherWeights {
    package static func softmax(scores: [Double], temperature: Double) -> [Double] {
        precondition(temperature > 0 && temperature.isFinite, "temperature must be positive and finite")
        guard let top = scores.map({ $0 / temperature }).max() else { return [] }
        let shifted = scores.map { Foundation.exp($0 / temperature - top) }
        let total = shifted.reduce(0, +)
        return shifted.map { $0 / total }
    }
}
