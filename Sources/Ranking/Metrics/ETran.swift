import Foundation
import Linalg

/// ETran, Energy-based Transferability estimation (Gholami, Akbari, Wang, Zhang,
/// "ETran: Energy-Based Transferability Estimation", ICCV 2023), as the authors'
/// public code (mgholamikn/ETran: `metrics.py`, `tw.py`) computes it.
///
/// Two raw terms per model, on the raw features F (N x D):
///
/// - energy (label free, the in-distribution evidence): the mean of the energy
///   score log Σ_j exp(f_ij) over the ⌊`energyPerMille`·N/1000⌋ samples with the
///   *lowest* energy (the reference's `Energy_Score(features, 0.5, 'bot')`: 5 per
///   mille);
/// - classification, lda: the mean probability of the true class under the
///   reference's LDA classifier. In that code the coefficients are
///   means·V·Vᵀ with V a complete orthonormal eigenbasis (`eigh` of
///   S_W⁻¹S_B), which is the identity, so the classifier is the linear softmax
///   x·μ_c − ½‖μ_c‖² + log π_c over class means μ_c and priors π_c; the
///   shrinkage and the eigenproblem do not change the score and are not computed;
/// - regression, svd (the reference's `_solve_eigen2`): minus the mean squared
///   residual of the least-squares fit of every target column by F through its
///   SVD, ŷ = U Uᵀ y (pseudo-inverse; directions with singular value below
///   σ_max·max(N, D)·ε are null).
///
/// Across the candidate models each term is min-max scaled to [0, 1] and
/// ETran = 0.15·energy' + 0.85·term' (`tw.py`); `isRelativeToZoo` is true and
/// `score` alone returns 0.15·energy + 0.85·term with a warning.
///
/// Cost: N·D for the energies and N log N to pick the lowest; classification N·D·C;
/// regression a thin SVD of F (N·D·min(N, D)).
///
/// Deviations from the public code (docs/metrics/etran.md):
/// - when ⌊energyPerMille·N/1000⌋ is 0 (N < 200 at the default) the reference
///   averages no sample (NaN); here the single lowest energy is used, with a warning;
/// - a term with no range across the zoo is 0 for every model with a warning
///   (the reference divides by zero);
/// - regression: the reference inverts every singular value of a float32 copy of F
///   (infinite for dead units' zero columns) and refers to an undefined `x_hat1`;
///   here float64 with a rank cut.
public struct ETran: TransferabilityMetric {
    public static let name = "etran"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification, .regression] }
    public var isRelativeToZoo: Bool { true }
    /// Sample order only: the energy log Σ exp(f_ij) grows by log(1 + m·e⁰/Σ…) with
    /// m appended zero columns and is not scale free.
    public var invariances: MetricInvariances { [.sampleOrder] }

    /// Samples averaged for the energy term, per mille of N (the reference's 0.5%).
    public var energyPerMille: Int
    /// Weight of the normalised energy term; the label term gets 1 − this.
    public var energyWeight: Double

    public init(energyPerMille: Int = 5, energyWeight: Double = 0.15) {
        self.energyPerMille = energyPerMille
        self.energyWeight = energyWeight
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard energyPerMille >= 1, energyPerMille <= 1000 else {
            throw MetricError.invalidParameter(metric: name, name: "energyPerMille", value: "\(energyPerMille)", expected: "an integer in 1...1000")
        }
        guard energyWeight >= 0, energyWeight <= 1 else {
            throw MetricError.invalidParameter(metric: name, name: "energyWeight", value: "\(energyWeight)", expected: "a number in [0, 1]")
        }
        guard tasks.contains(input.targets.task) else { throw MetricError.unsupportedTask(metric: name, task: input.targets.task) }
        let f = try input.requireFeatures(for: name)
        let n = f.rows, d = f.columns
        guard n == input.targets.sampleCount else {
            throw MetricError.shapeMismatch(
                metric: name, what: "features", expected: "\(input.targets.sampleCount) rows (one per label)", found: "\(n) x \(d)")
        }
        guard n >= 2 else { throw MetricError.degenerate(metric: name, reason: "needs at least 2 samples, got \(n)") }
        guard d >= 1 else { throw MetricError.degenerate(metric: name, reason: "the features have no columns") }
        if let (r, c) = f.firstNonFinite() {
            throw MetricError.degenerate(metric: name, reason: "feature (\(r), \(c)) is \(f[r, c]); features must be finite")
        }
        var warnings = ["etran: the score is provisional until normalised across the candidate models"]
        let (energy, used) = lowestEnergyMean(f)
        if used.fallback {
            warnings.append("etran: \(energyPerMille) per mille of N = \(n) samples is none; the energy term uses the single lowest-energy sample")
        }
        var details = ["energy": try requireFinite(energy, metric: name, what: "energy"), "energy_samples": Double(used.count)]
        let termKey: String
        let term: Double
        if input.targets.task == .classification {
            let data = try input.requireClassifiedFeatures(for: name)
            term = try ldaTerm(f, labels: data.labels, classCount: data.classCount)
            termKey = "lda"
        } else {
            term = try svdTerm(f, targets: input.targets.matrix)
            termKey = "svd"
        }
        details[termKey] = try requireFinite(term, metric: name, what: termKey)
        return MetricResult(score: energyWeight * energy + (1 - energyWeight) * term, details: details, warnings: warnings)
    }

    /// The mean energy log Σ_j exp(f_ij) of the lowest-energy samples.
    func lowestEnergyMean(_ f: Matrix) -> (Double, (count: Int, fallback: Bool)) {
        let n = f.rows, d = f.columns
        var energies = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var top = -Double.infinity
            for j in 0..<d { top = max(top, f[i, j]) }
            var sum = 0.0
            for j in 0..<d { sum += exp(f[i, j] - top) }
            energies[i] = top + log(sum)
        }
        energies.sort()
        let wanted = energyPerMille * n / 1000
        let count = max(wanted, 1)
        return (energies.prefix(count).reduce(0, +) / Double(count), (count, wanted == 0))
    }

    /// Mean softmax probability of the true class of x·μ_c − ½‖μ_c‖² + log π_c.
    func ldaTerm(_ f: Matrix, labels: [Int], classCount c: Int) throws -> Double {
        let n = f.rows, d = f.columns
        let stats = ClassStatistics(features: f, labels: labels, classCount: c)
        var logits = try f.multiplied(by: stats.means, transposingOther: true) // N x C
        for cls in 0..<c {
            var norm = 0.0
            for j in 0..<d { norm += stats.means[cls, j] * stats.means[cls, j] }
            let intercept = -0.5 * norm + log(Double(stats.counts[cls]) / Double(n))
            for r in 0..<n { logits[r, cls] += intercept }
        }
        softmaxRows(&logits)
        var total = 0.0
        for (r, y) in labels.enumerated() { total += logits[r, y] }
        return total / Double(n)
    }

    /// Minus the mean squared least-squares residual over samples and target columns.
    func svdTerm(_ f: Matrix, targets y: Matrix) throws -> Double {
        let svd = try metricLinalg(name, "SVD of the features") { try f.thinSVD() }
        let cut = (svd.singularValues.first ?? 0) * Double(max(f.rows, f.columns)) * Double.ulpOfOne
        let kept = svd.singularValues.indices.filter { svd.singularValues[$0] > cut }
        let u = svd.left.columns(at: kept) // N x r
        let projection = try u.multiplied(by: y, transposingSelf: true) // r x K
        let fitted = try u.multiplied(by: projection) // N x K
        var sum = 0.0
        for i in y.storage.indices { let e = fitted.storage[i] - y.storage[i]; sum += e * e }
        return -sum / Double(y.storage.count)
    }

    /// ETran = w·energy' + (1 − w)·term' with both terms min-max scaled over `raw`.
    public func normalizeAcrossModels(_ raw: [MetricResult]) -> [MetricResult] {
        let termKey = raw.first { $0.details["lda"] != nil } != nil ? "lda" : "svd"
        let keys = ["energy", termKey]
        let usable = raw.indices.filter { i in keys.allSatisfy { raw[i].details[$0]?.isFinite == true } }
        guard !usable.isEmpty else { return raw }
        var out = raw
        var normalised = [[String: Double]](repeating: [:], count: raw.count)
        var flat = Set<String>()
        for key in keys {
            let values = usable.map { raw[$0].details[key]! }
            let lo = values.min()!, span = values.max()! - lo
            if span == 0 { flat.insert(key) }
            for i in usable { normalised[i][key] = span > 0 ? (raw[i].details[key]! - lo) / span : 0 }
        }
        for i in usable {
            var result = raw[i]
            result.warnings.removeAll { $0.hasPrefix("etran: the score is provisional") }
            for key in keys.filter({ flat.contains($0) }) {
                result.warnings.append("etran: \(key) is the same for every candidate model (\(usable.count)), so it does not contribute")
            }
            for key in keys { result.details[key + "_normalized"] = normalised[i][key] }
            result.score = energyWeight * normalised[i]["energy"]! + (1 - energyWeight) * normalised[i][termKey]!
            out[i] = result
        }
        return out
    }
}
