import Foundation
import Linalg

/// NCTI, Neural Collapse inspired Transferability Index (Wang et al., "How Far
/// Pre-trained Models Are from Neural Collapse on the Target Dataset Informs their
/// Transferability", ICCV 2023).
///
/// Per model, on the features projected on their top k = min(`components`, D, N,
/// rank) principal directions (null components of rank-deficient features, such as
/// dead units' zero columns, are left out) (shared PCA of `FeatureAnalysis`), a linear discriminant
/// analysis (LDA) with shrinkage s = max(exp(−Σ_{i<32} ev_i), 1e-10), ev_i the
/// explained variances (1/(N−1)) of the top 32 components, gives three raw terms:
///
/// - seli (simplex encoded label interpolation geometry, i.e. class separation):
///   the nuclear norm of the features projected on the top min(C−1, k)
///   discriminant directions v (S_B v = ρ S_W v, Vᵀ S_W V = I).
/// - ncc (fitness to the nearest-centre classifier that collapsed features obey):
///   the mean LDA posterior probability of each sample's true class.
/// - vc (within-class variability): ln Σ_c ‖P_c‖_*, P_c the n_c x C matrix of
///   posteriors of class c's samples.
///
/// The final score is min-max normalised across the candidate models
/// (`normalizeAcrossModels`): NCTI = seli' + ncc' − vc', each term mapped to [0, 1]
/// over the zoo, as the authors' evaluation script does. `score` alone returns the
/// raw terms in `details` and the provisional seli + ncc − vc, comparable only
/// between models with similar scales; `isRelativeToZoo` is true.
///
/// The LDA follows scikit-learn's `LinearDiscriminantAnalysis` as the reference
/// calls it: when s > 1e-10 the "eigen" solver with within-class covariance
/// (1 − s) S_W + s (tr S_W / k) I and total covariance shrunk alike (1/N); when s
/// hits the 1e-10 floor (the usual case for real features) the reference switches
/// to the "svd" solver, which gives the posteriors and discriminant projection of
/// the unshrunk LDA (S_W, 1/N); this code then uses s = 0 (reported as shrinkage 0).
/// The generalised eigenproblem is solved by Cholesky reduction (`dsygvd`).
///
/// Cost: the shared D x D covariance eigendecomposition, N·D·k for the projection,
/// N·k² for the scatters, k³ for the eigenproblem, and thin SVDs of N x (C−1) and
/// n_c x C matrices.
///
/// Deviations: scikit-learn's PCA picks a randomized SVD for large inputs; the
/// exact eigendecomposition here gives what it approximates. A zoo where a term
/// does not vary (a single model, or identical models) has no min-max range:
/// that term is set to 0 for every model with a warning, instead of the reference's
/// division by zero (NaN). Covered by `NCTITests.normalisation*`.
public struct NCTI: TransferabilityMetric {
    public var name: String { "ncti" }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// Null directions yes: the PCA stops at the numerical rank. Not scale: the shrinkage exp(−Σ explained variances) depends on the features' scale (scale free only at its 1e-10 floor).
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections] }
    public var isRelativeToZoo: Bool { true }

    /// Principal components kept before the LDA (capped at min(D, N)).
    public var components: Int
    /// Explained variances summed for the shrinkage.
    public var shrinkageComponents: Int
    /// The floor on the shrinkage, at which the unshrunk ("svd") LDA is used.
    public var minimumShrinkage: Double

    public init(components: Int = 64, shrinkageComponents: Int = 32, minimumShrinkage: Double = 1e-10) {
        self.components = components
        self.shrinkageComponents = shrinkageComponents
        self.minimumShrinkage = minimumShrinkage
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard components >= 1, shrinkageComponents >= 1 else {
            throw MetricError.invalidParameter(
                metric: name, name: "components", value: "\(components), \(shrinkageComponents)", expected: "integers >= 1")
        }
        guard minimumShrinkage > 0, minimumShrinkage < 1 else {
            throw MetricError.invalidParameter(metric: name, name: "minimumShrinkage", value: "\(minimumShrinkage)", expected: "a number in (0, 1)")
        }
        let data = try input.requireClassifiedFeatures(for: name)
        let n = data.sampleCount, c = data.classCount
        // Null principal components (dead units, rank below min(D, N)) would make
        // the within-class scatter singular; scikit-learn's SVD-based LDA drops such
        // directions by its rank cut, and so does restricting the PCA to the rank.
        let rank = try metricLinalg(name, "PCA") { try data.analysis.covarianceRank() }
        guard rank >= 1 else { throw MetricError.degenerate(metric: name, reason: "every feature column is constant") }
        let k = Swift.min(components, data.dimension, n, rank)
        let z = try metricLinalg(name, "PCA") { try data.analysis.principalComponents(k) }
        let eigen = try metricLinalg(name, "PCA") { try data.analysis.covarianceEigen() }
        let explained =
            eigen.values.reversed().prefix(Swift.min(shrinkageComponents, k))
            .reduce(0.0) { $0 + Swift.max($1, 0) } * Double(n) / Double(n - 1)
        let shrinkage = Swift.max(exp(-explained), minimumShrinkage)
        let useShrinkage = shrinkage > minimumShrinkage

        // Scatters of the projected features (1/N; z is centred).
        let stats = ClassStatistics(features: z, labels: data.labels, classCount: c)
        var within = z
        for (r, y) in data.labels.enumerated() { for j in 0..<k { within.storage[r * k + j] -= stats.means.storage[y * k + j] } }
        var sw = within.gram()
        var st = z.gram()
        for i in sw.storage.indices { sw.storage[i] /= Double(n); st.storage[i] /= Double(n) }
        // At the floor the reference switches to scikit-learn's "svd" solver, which
        // (as of scikit-learn 1.9, checked by the fixtures) is the same unshrunk LDA
        // as the "eigen" solver with the empirical 1/N covariances.
        let swModel = useShrinkage ? shrunk(sw, shrinkage) : sw
        let sb = (useShrinkage ? shrunk(st, shrinkage) : st).subtracting(swModel)

        // seli: nuclear norm of the discriminant projection.
        let g = try metricLinalg(name, "LDA eigenproblem (S_B, S_W)") { try sb.generalizedSymmetricEigen(swModel) }
        let m = Swift.min(c - 1, k)
        let directions = g.vectors.rows(at: Array(((k - m)..<k).reversed()))
        let low = try z.multiplied(by: directions, transposingOther: true) // N x m, centred because z is
        let seli = try metricLinalg(name, "nuclear norm") { try low.singularValues() }.reduce(0, +)

        // Posteriors of the LDA with all k directions (w_c = S_W⁻¹ μ_c).
        let coefficients = try metricLinalg(name, "within-class covariance solve") {
            try swModel.solvePositiveDefinite(stats.means.transposed())
        }.transposed()
        var posterior = try z.multiplied(by: coefficients, transposingOther: true)
        for cls in 0..<c {
            var quad = 0.0
            for j in 0..<k { quad += stats.means[cls, j] * coefficients[cls, j] }
            let intercept = -0.5 * quad + log(Double(stats.counts[cls]) / Double(n))
            for r in 0..<n { posterior.storage[r * c + cls] += intercept }
        }
        softmaxRows(&posterior)
        var ncc = 0.0
        for (r, y) in data.labels.enumerated() { ncc += posterior[r, y] }
        ncc /= Double(n)
        var nuclearSum = 0.0
        for rows in classIndices(data.labels, classCount: c) {
            nuclearSum += try metricLinalg(name, "nuclear norm") { try posterior.rows(at: rows).singularValues() }.reduce(0, +)
        }
        let vc = log(nuclearSum)

        let provisional = seli + ncc - vc
        return MetricResult(
            score: try requireFinite(provisional, metric: name, what: "NCTI"),
            details: [
                "seli": try requireFinite(seli, metric: name, what: "seli"),
                "ncc": try requireFinite(ncc, metric: name, what: "ncc"),
                "vc": try requireFinite(vc, metric: name, what: "vc"),
                "shrinkage": useShrinkage ? shrinkage : 0,
                "components": Double(k),
            ],
            warnings: ["ncti: the score is provisional until normalised across the candidate models"])
    }

    /// NCTI = seli' + ncc' − vc' with each term min-max scaled over `raw`.
    ///
    /// Results without the three raw terms (not produced by `score`) are returned
    /// unchanged. A term with no range across the models contributes 0.
    public func normalizeAcrossModels(_ raw: [MetricResult]) -> [MetricResult] {
        let keys = ["seli", "ncc", "vc"]
        let usable = raw.indices.filter { i in keys.allSatisfy { raw[i].details[$0]?.isFinite == true } }
        guard !usable.isEmpty else { return raw }
        var ranges = [String: (min: Double, span: Double)]()
        for key in keys {
            let values = usable.compactMap { raw[$0].details[key] }
            let lo = values.min() ?? 0, hi = values.max() ?? 0
            ranges[key] = (lo, hi - lo)
        }
        var out = raw
        for i in usable {
            var result = raw[i]
            result.warnings.removeAll { $0.hasPrefix("ncti: the score is provisional") }
            var normalised = [String: Double]()
            for key in keys {
                guard let (lo, span) = ranges[key], let value = raw[i].details[key] else { continue }
                if span > 0 {
                    normalised[key] = (value - lo) / span
                } else {
                    normalised[key] = 0
                    result.warnings.append("ncti: \(key) is the same for every candidate model (\(usable.count)), so it does not contribute")
                }
                result.details[key + "_normalized"] = normalised[key]
            }
            result.score = (normalised["seli"] ?? 0) + (normalised["ncc"] ?? 0) - (normalised["vc"] ?? 0)
            out[i] = result
        }
        return out
    }
}
