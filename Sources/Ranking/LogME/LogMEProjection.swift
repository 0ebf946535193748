import Foundation

/// LogME at another sample count, from a fit on n samples.
///
/// Why: LogME is the log evidence per sample, and it rises with the sample count by
/// an amount that depends on the model (on one hub, +0.05 to +0.34 between 224 and
/// 2,000 samples, enough to reorder models; benchmarks/rank-hub/RESULTS.md), so
/// scores from different sample counts, or a score from a subset against the
/// full-data score, are not comparable as they are.
///
/// Under LogME's own model (y = F w + noise, w ~ N(0, 1/alpha), noise ~ N(0, 1/beta)),
/// the expected log evidence per sample of m samples is
///
///     1/2 log beta - 1/2 log 2 pi - 1/2 - 1/(2m) sum_i log(1 + beta lambda_i / alpha),
///
/// with lambda_i the eigenvalues of FᵀF on those m samples (E[yᵀ C⁻¹ y] = m for
/// C = I/beta + F Fᵀ/alpha). Only the last term, the Occam factor, depends on m, and
/// FᵀF grows in proportion to m (lambda_i ≈ m s_i). The projection keeps the fit's
/// alpha, beta and per-sample spectrum s_i = lambda_i / n and moves that term from n
/// to `samples`:
///
///     projected = evidence(n) + 1/(2n) sum log(1 + beta lambda_i / alpha)
///                             - 1/(2N) sum log(1 + beta (N/n) lambda_i / alpha)
///
/// per target column, averaged over columns like the score. It is exact at N = n.
/// Measured on real features (8 torchvision networks, 2,000 images): the mean
/// |projected from n − LogME on all N| was 0.04-0.06 from 224 samples and
/// 0.011-0.018 from 512, against 0.21-0.22 and 0.12-0.13 for the n-sample score
/// itself; half-sample intervals of the projection covered the full-data score in 60
/// of 63 cases, those of the n-sample score in 2 (benchmarks/rank-hub/RESULTS.md).
extension LogMEFit {
    /// The projected score at `samples` (> 0) samples; the score itself when
    /// `samples` equals the fit's sample count.
    public func projectedScore(samples: Int) -> Double {
        guard samples > 0, sampleCount > 0 else { return .nan }
        let spectrum = numericalSpectrum
        return columns.map { projectedEvidence($0, samples: samples, spectrum: spectrum) }.reduce(0, +) / Double(max(1, columns.count))
    }

    /// The positive eigenvalues of FᵀF within the numerical rank: the rest are rounding
    /// noise the fit treated as zeros. Shared by every column's projection.
    var numericalSpectrum: [Double] { eigenvalues.sorted(by: >).prefix(rank).filter { $0 > 0 } }

    /// One column's evidence per sample moved from `sampleCount` to `samples` (over
    /// `spectrum`, default `numericalSpectrum`). A column without signal (alpha
    /// infinite) has no Occam term and stays as it is.
    func projectedEvidence(_ column: Column, samples: Int, spectrum: [Double]? = nil) -> Double {
        guard column.alpha.isFinite, column.alpha > 0, column.beta.isFinite, samples != sampleCount else { return column.evidence }
        let n = Double(sampleCount), m = Double(samples)
        let ratio = column.beta / column.alpha
        var here = 0.0, there = 0.0
        for lambda in spectrum ?? numericalSpectrum {
            here += Foundation.log1p(ratio * lambda)
            there += Foundation.log1p(ratio * lambda * m / n)
        }
        return column.evidence + here / (2 * n) - there / (2 * m)
    }
}

/// A metric whose value on n samples can be projected to another sample count, so
/// that progressive ranking compares models at the full dataset's size, not at the
/// stage's (where the scores drift with n).
public protocol SampleCountProjecting: TransferabilityMetric {
    /// The score on the input's samples, and its projection to `samples` samples.
    func projectedScore(_ input: MetricInput, samples: Int) throws -> (observed: Double, projected: Double)
}

extension LogME: SampleCountProjecting {
    public func projectedScore(_ input: MetricInput, samples: Int) throws -> (observed: Double, projected: Double) {
        let fit = try self.fit(features: input.requireFeatures(for: name), targets: input.targets)
        return (fit.score, fit.projectedScore(samples: samples))
    }
}
