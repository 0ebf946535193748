import Foundation
import Linalg

/// LEAD (Hu, Li, Tang, Liu, Hu, Duan, "LEAD: Exploring Logit Space Evolution for
/// Model Selection", CVPR 2024): predicts the logits a model reaches after
/// fine-tuning by solving the ODE of their evolution, and scores the cross-entropy
/// of the predicted final logits. No code by the authors is public; this follows
/// the paper and its supplementary Algorithm 1 step by step, with the choices the
/// paper leaves open stated (docs/metrics/lead.md):
///
/// 1. Initial logits (Algorithm 1, line 3: log_init = C(Z, Y) with C "the multi-class
///    SVM", one-vs-rest, its predictions normalised to probabilities): a linear
///    one-vs-rest SVM with the squared hinge loss and C = `svmC` (scikit-learn's
///    `LinearSVC` defaults: penalty ½‖w‖² on the weights and the intercept, as
///    liblinear) on the standardised features, solved exactly by Newton's method on
///    the primal; its K decision values per sample normalised by a softmax.
/// 2. Dynamics (Eq. 5-7): dF/dt = −η Φ ∂L/∂F under the squared loss has the solution
///    F_t = (I − e^{−ηΦt}) Y + e^{−ηΦt} F_0; the class-aware decomposition replaces
///    e^{−ηΦt} for a sample of class k by the scalar e^{−η λ̄_k t}, λ̄_k the mean
///    eigenvalue of the empirical NTK of class k's samples with respect to a randomly
///    initialised MLP head (hidden widths 1024 and 2048) on the frozen features,
///    with the gradient of the summed logits (supplementary Eq. 17).
/// 3. The mean eigenvalue is trace/S, the mean over the class's samples of
///    ‖∇_θ Σ_j F_j(x)‖². For a bias-free ReLU head with He-normal weights this
///    converges, as the widths grow, to K‖x‖²(1 + (h₁ + h₂)/D) (the diagonal of the
///    head's NTK; also the expectation over the head's random initialisation, exactly
///    for the two larger terms), so λ̄_k ∝ the class's mean squared feature norm m_k.
///    HubMiner uses that limit instead of one random draw of the head (which makes
///    the score depend on a seed and on the order of the feature columns); in the
///    fixture generator one 1024/2048 head's rates scatter around it by up to 18%,
///    the mean of 16 heads' within 2.3%. The
///    learning rate η, which only multiplies λ̄, is fixed by normalising the rates
///    to mean 1 over the classes: rate_k = m_k / mean_c m_c.
/// 4. F_t(x) = (1 − e^{−t·rate_k}) y + e^{−t·rate_k} F_0(x) for x in class k, time
///    t = `time` (the paper's default 1), and the score is minus the mean
///    cross-entropy of softmax(F_t) against the labels (higher is better).
///
/// Cost: per class a Newton solve in D + 1 unknowns (each step N·D² for the
/// Hessian and D³ for its Cholesky factor, typically 5-15 steps), so K·(N·D² + D³)
/// per step; N·D for the rates.
public struct LEAD: TransferabilityMetric {
    public static let name = "lead"
    public var name: String { Self.name }
    public var inputs: [MetricInputKind] { [.features] }
    public var tasks: [TaskKind] { [.classification] }
    /// All three: the SVM runs on standardised features (scale free; constant and
    /// zero columns are dropped), the SVM problem is symmetric in the samples and
    /// the columns, and the rates are ratios of mean squared norms, which zero
    /// columns do not change.
    public var invariances: MetricInvariances { [.sampleOrder, .nullDirections, .featureScale] }

    /// The time coefficient t of the ODE's solution (the paper's default 1).
    public var time: Double
    /// The SVM's C (scikit-learn's `LinearSVC` default 1).
    public var svmC: Double
    /// Newton steps per one-vs-rest SVM before giving up with a warning.
    public var maxNewtonIterations: Int

    public init(time: Double = 1, svmC: Double = 1, maxNewtonIterations: Int = 100) {
        self.time = time
        self.svmC = svmC
        self.maxNewtonIterations = maxNewtonIterations
    }

    public func score(_ input: MetricInput) throws -> MetricResult {
        guard time.isFinite, time >= 0 else {
            throw MetricError.invalidParameter(metric: name, name: "time", value: "\(time)", expected: "a finite number >= 0")
        }
        guard svmC.isFinite, svmC > 0 else {
            throw MetricError.invalidParameter(metric: name, name: "svmC", value: "\(svmC)", expected: "a finite number > 0")
        }
        guard maxNewtonIterations >= 1 else {
            throw MetricError.invalidParameter(
                metric: name, name: "maxNewtonIterations", value: "\(maxNewtonIterations)", expected: "an integer >= 1")
        }
        let data = try input.requireClassifiedFeatures(for: name)
        let n = data.sampleCount, k = data.classCount
        var warnings = [String]()

        // Step 3 first (it needs the raw features): the class rates.
        var squaredNorms = [Double](repeating: 0, count: k), counts = [Int](repeating: 0, count: k)
        let d = data.dimension
        data.features.storage.withUnsafeBufferPointer { f in
            for r in 0..<n {
                var s = 0.0
                for j in 0..<d { s += f[r * d + j] * f[r * d + j] }
                squaredNorms[data.labels[r]] += s
                counts[data.labels[r]] += 1
            }
        }
        let classMeans = (0..<k).map { squaredNorms[$0] / Double(counts[$0]) }
        let meanOfMeans = classMeans.reduce(0, +) / Double(k)
        guard meanOfMeans > 0 else { throw MetricError.degenerate(metric: name, reason: "every feature is zero") }
        let rates = classMeans.map { $0 / meanOfMeans }

        // Step 1: standardised features with an intercept column, one-vs-rest SVMs.
        let design = Self.standardizedDesign(data.features)
        guard design.columns > 1 else {
            throw MetricError.degenerate(metric: name, reason: "every feature column is constant (the features carry no information)")
        }
        if design.columns - 1 < d {
            warnings.append("\(d - design.columns + 1) constant feature columns (dead units) left out of the SVM")
        }
        var decisions = Matrix(rows: n, columns: k)
        var worstIterations = 0
        for c in 0..<k {
            let signs = data.labels.map { $0 == c ? 1.0 : -1.0 }
            let fit = try metricLinalg(name, "SVM Newton step") {
                try Self.squaredHingeSVM(design, signs: signs, c: svmC, maxIterations: maxNewtonIterations)
            }
            worstIterations = Swift.max(worstIterations, fit.iterations)
            if !fit.converged {
                warnings.append("the SVM of class \(c) did not converge in \(maxNewtonIterations) Newton steps")
            }
            let values = try design.multiplied(by: fit.weights)
            for r in 0..<n { decisions[r, c] = values[r] }
        }
        var correct = 0
        for r in 0..<n {
            let row = decisions.row(r)
            if row.firstIndex(of: row.max()!) == data.labels[r] { correct += 1 }
        }
        var initial = decisions
        softmaxRows(&initial)

        // Steps 2 and 4: evolve each sample's logits towards its one-hot label, then the cross-entropy.
        let decay = rates.map { exp(-time * $0) }
        var crossEntropy = 0.0
        for r in 0..<n {
            let y = data.labels[r], e = decay[y]
            var logits = (0..<k).map { e * initial[r, $0] }
            logits[y] += 1 - e
            let mx = logits.max()!
            let logSum = mx + log(logits.reduce(0) { $0 + exp($1 - mx) })
            crossEntropy += logSum - logits[y]
        }
        crossEntropy /= Double(n)
        return MetricResult(
            score: try requireFinite(-crossEntropy, metric: name, what: "the cross-entropy of the evolved logits"),
            details: [
                "svm_training_accuracy": Double(correct) / Double(n),
                "svm_newton_steps": Double(worstIterations),
                "rate_min": rates.min()!, "rate_max": rates.max()!,
            ],
            warnings: warnings)
    }

    /// The features standardised column by column (mean 0, population standard
    /// deviation 1; columns whose deviation is at most 1e-12 of their largest
    /// magnitude are constant and dropped), with a trailing column of ones.
    static func standardizedDesign(_ f: Matrix) -> Matrix {
        let n = f.rows, d = f.columns
        var kept = [(column: Int, mean: Double, scale: Double)]()
        for j in 0..<d {
            var mean = 0.0, largest = 0.0
            for r in 0..<n {
                mean += f[r, j]
                largest = Swift.max(largest, abs(f[r, j]))
            }
            mean /= Double(n)
            var variance = 0.0
            for r in 0..<n { variance += (f[r, j] - mean) * (f[r, j] - mean) }
            let deviation = (variance / Double(n)).squareRoot()
            if largest > 0, deviation > 1e-12 * largest { kept.append((j, mean, deviation)) }
        }
        let p = kept.count + 1
        var out = Matrix(rows: n, columns: p)
        for r in 0..<n {
            for (i, c) in kept.enumerated() { out[r, i] = (f[r, c.column] - c.mean) / c.scale }
            out[r, p - 1] = 1
        }
        return out
    }

    /// min_w ½‖w‖² + C Σᵢ max(0, 1 − sᵢ xᵢ·w)² (liblinear's L2-regularised L2-loss
    /// SVM; the last column of `x` is the intercept's), by Newton's method with the
    /// generalised Hessian I + 2C Σ_active xᵢxᵢᵀ and a backtracking line search
    /// (the objective is strictly convex and piecewise quadratic, so this reaches
    /// the minimiser to rounding; Keerthi and DeCoste, JMLR 2005).
    static func squaredHingeSVM(
        _ x: Matrix, signs: [Double], c: Double, maxIterations: Int
    ) throws -> (
        weights: [Double], iterations: Int, converged: Bool
    ) {
        let n = x.rows, p = x.columns
        var w = [Double](repeating: 0, count: p)
        func objective(_ w: [Double]) throws -> (value: Double, margins: [Double]) {
            let z = try x.multiplied(by: w)
            var loss = 0.0
            var slack = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let m = 1 - signs[i] * z[i]
                if m > 0 { slack[i] = m; loss += m * m }
            }
            return (0.5 * dot(w, w) + c * loss, slack)
        }
        var (value, slack) = try objective(w)
        var firstNorm = 0.0
        for iteration in 1...maxIterations {
            // Gradient w − 2C Σ_active sᵢ mᵢ xᵢ and the active rows.
            var gradient = w
            var active = [Int]()
            for i in 0..<n where slack[i] > 0 {
                active.append(i)
                let scale = -2 * c * signs[i] * slack[i]
                for j in 0..<p { gradient[j] += scale * x[i, j] }
            }
            let norm = dot(gradient, gradient).squareRoot()
            if iteration == 1 { firstNorm = norm }
            if norm <= 1e-13 * Swift.max(firstNorm, 1) { return (w, iteration - 1, true) }
            var hessian = x.rows(at: active).gram()
            for i in 0..<hessian.storage.count { hessian.storage[i] *= 2 * c }
            for j in 0..<p { hessian[j, j] += 1 }
            let step = try hessian.solvePositiveDefinite(Matrix(rows: p, columns: 1, storage: gradient.map { -$0 })).storage
            let slope = dot(gradient, step)
            var alpha = 1.0, accepted = false
            for _ in 0..<60 {
                let candidate = zip(w, step).map { $0 + alpha * $1 }
                let next = try objective(candidate)
                if next.value <= value + 1e-4 * alpha * slope {
                    let moved = alpha * dot(step, step).squareRoot()
                    w = candidate
                    (value, slack) = next
                    accepted = true
                    if moved <= 1e-15 * Swift.max(1, dot(w, w).squareRoot()) { return (w, iteration, true) }
                    break
                }
                alpha /= 2
            }
            // No decrease is possible: the minimiser to rounding.
            if !accepted { return (w, iteration, true) }
        }
        return (w, maxIterations, false)
    }
}
