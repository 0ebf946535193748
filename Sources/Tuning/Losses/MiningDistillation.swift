import Torch

/// The losses of the teacher-student methods the model-mining literature builds on
/// (docs/tuning/aekd.md, relsim.md, lcc.md, fewdata.md). Teacher inputs are always
/// detached: no gradient can reach a teacher through these functions.
package enum MiningDistillation {
    // MARK: AE-KD

    /// The gradient of each teacher's KD loss (`Distillation.kd`, batch mean, T²-scaled)
    /// with respect to the student's logits, averaged over the batch: [K, C] float64.
    /// In closed form, ∂/∂s_b [T² KL(p_kb ‖ q_b) / B] = T (q_b − p_kb) / B with
    /// q = softmax(s/T), p_k = softmax(t_k/T); the AE-KD authors read the same
    /// quantity from autograd and average it over the batch before the min-norm problem.
    package static func kdLogitGradients(student: Tensor, teachers: [Tensor], temperature: Double) throws -> Tensor {
        let op = "MiningDistillation.kdLogitGradients"
        try LossChecks.rank(student, 2, "student logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        return try withNoGrad {
            let s = try student.detach().to(.float64)
            let batch = Double(s.shape[0])
            let q = try (s / temperature).softmax(dim: 1)
            return try Tensor.stack(
                teachers.map { t in
                    try LossChecks.sameShape(student, t, "logits", op)
                    let p = try (t.detach().to(.float64) / temperature).softmax(dim: 1)
                    return try ((q - p) * (temperature / batch)).mean(dim: 0)
                }, dim: 0)
        }
    }

    /// AE-KD's teacher weights for one batch: the min-norm point of the capped simplex
    /// over the teachers' logit gradients (`kdLogitGradients`). With `normalize`
    /// (the authors' `--svm_norm`), each gradient is scaled to unit length before the
    /// problem and the weights are divided by the norms and renormalised afterwards.
    package static func aekdWeights(gradients: Tensor, cap: Double, normalize: Bool) throws -> [Double] {
        let g = try gradients.to(.float64).contiguous()
        let k = g.shape[0]
        let rows = try g.toArray(of: Double.self)
        let width = rows.count / Swift.max(k, 1)
        var vectors = (0..<k).map { Array(rows[($0 * width)..<(($0 + 1) * width)]) }
        var norms = vectors.map { v in v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        if normalize {
            norms = norms.map { Swift.max($0, 1e-12) }
            vectors = zip(vectors, norms).map { v, n in v.map { $0 / n } }
        }
        let gram = vectors.map { a in vectors.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
        var w = MinNormSolver.solve(gram: gram, cap: cap)
        if normalize {
            w = zip(w, norms).map { $0 / $1 }
            let total = w.reduce(0, +)
            w = total > 0 ? w.map { $0 / total } : w
        }
        return w
    }

    // MARK: Multi-teacher relative similarity (You et al. 2017)

    /// Hinton KD against the teachers' averaged softened outputs:
    /// T² · KL(p̄ ‖ softmax(s/T)) averaged over the batch, p̄ = (1/K) Σ_k softmax(t_k/T).
    package static func averagedSoftKD(student: Tensor, teachers: [Tensor], temperature: Double) throws -> Tensor {
        let op = "MiningDistillation.averagedSoftKD"
        try LossChecks.rank(student, 2, "student logits", op)
        try LossChecks.positive(temperature, "temperature", op)
        guard !teachers.isEmpty else { throw TorchError.invalidArgument(operation: op, message: "needs at least one teacher") }
        let target = try withNoGrad {
            try Tensor.stack(
                try teachers.map { t in
                    try LossChecks.sameShape(student, t, "logits", op)
                    return try (t.detach().to(student.dtype) / temperature).softmax(dim: 1)
                }, dim: 0
            ).mean(dim: 0)
        }
        let logQ = try (student / temperature).logSoftmax(dim: 1)
        // Σ p (log p − log q), with p log p taken as 0 where p = 0.
        let logP = try target.clamp(min: 1e-45).log()
        let kl = try (target * (logP - logQ)).sum(dim: 1)
        return try kl.mean(dims: [0]) * (temperature * temperature)
    }

    /// Squared Euclidean distances between the rows of [B, D] `f` after L2 normalisation
    /// (each in [0, 4]), computed as 2 − 2·cos so the gradient is finite everywhere.
    static func unitSquaredDistances(_ f: Tensor) throws -> Tensor {
        let unit = try f.reshape([f.shape[0], -1]).l2Normalized(dim: 1)
        return try (unit.matmul(unit.t()) * -2.0) + 2.0
    }

    /// The relative-dissimilarity (triplet) loss with voting over teachers. For every
    /// triplet of distinct samples (i, j, k) of the batch, each teacher votes which of j
    /// and k is nearer to the anchor i in its feature space, v_k = sign(d_t(i,k) −
    /// d_t(i,j)); the majority sign(Σ v) names the positive (ties are left out). The
    /// student pays the hinge max(0, d_s(i,pos) − d_s(i,neg) + margin), averaged over the
    /// voted triplets. Distances are squared Euclidean between L2-normalised features,
    /// so student and teachers may differ in width. A batch with no voted triplet gives 0.
    package static func relativeSimilarity(student: Tensor, teachers: [Tensor], margin: Double) throws -> Tensor {
        let op = "MiningDistillation.relativeSimilarity"
        guard !teachers.isEmpty else { throw TorchError.invalidArgument(operation: op, message: "needs at least one teacher") }
        for t in teachers { try LossChecks.sameBatch(student, t, op) }
        guard margin >= 0, margin.isFinite else {
            throw TorchError.invalidArgument(operation: op, message: "margin must be zero or positive, got \(margin)")
        }
        let b = student.shape[0]
        let (vote, mask) = try withNoGrad { () -> (Tensor, Tensor) in
            var votes: Tensor? = nil
            for t in teachers {
                let d = try unitSquaredDistances(t.detach().to(.float64))
                // [i, j, k] = d(i, k) − d(i, j): positive when j is nearer to i.
                let v = try (d.unsqueeze(dim: 1) - d.unsqueeze(dim: 2)).sign()
                votes = try votes.map { try $0 + v } ?? v
            }
            let vote = try votes!.sign()
            let eye = try Tensor.eye(b, dtype: .float64).to(student.device)
            let offDiagonal = try 1.0 - eye
            // j ≠ i, k ≠ i, j ≠ k.
            let distinct = try offDiagonal.unsqueeze(dim: 2) * offDiagonal.unsqueeze(dim: 1) * offDiagonal.unsqueeze(dim: 0)
            let mask = try distinct * vote.abs()
            return (try vote.to(student.dtype).to(student.device), try mask.to(student.dtype).to(student.device))
        }
        let ds = try unitSquaredDistances(student)
        // [i, j, k] = d_s(i, j) − d_s(i, k).
        let difference = try ds.unsqueeze(dim: 2) - ds.unsqueeze(dim: 1)
        let hinge = try (vote * difference + margin).relu() * mask
        let count = try mask.sum().item()
        return try hinge.sum() / Swift.max(count, 1)
    }

    // MARK: Local correlation consistency (Li et al. 2020)

    /// The local parts of a [B, C, H, W] map: average-pooled to a g×g grid and each
    /// part's C-vector L2-normalised, [B, g², C].
    static func localParts(_ f: Tensor, grid: Int) throws -> Tensor {
        let pooled = try Functional.adaptiveAvgPool2d(f, outputSize: Size2(grid, grid))
        return try pooled.reshape([f.shape[0], f.shape[1], grid * grid]).transpose(1, 2).l2Normalized(dim: 2)
    }

    /// Local correlation consistency for one pair of maps: the cosine correlations
    /// between the g×g local parts of each sample (intra-instance, [B, P, P]) and
    /// between the same part of different samples (inter-instance, [P, B, B]) of the
    /// student must match the teacher's: mean squared differences of both, returned
    /// separately. Channels and spatial sizes may differ (parts are pooled per grid
    /// cell and correlations compare P×P and B×B matrices).
    package static func localCorrelation(student: Tensor, teacher: Tensor, grid: Int) throws -> (intra: Tensor, inter: Tensor) {
        let op = "MiningDistillation.localCorrelation"
        try LossChecks.rank(student, 4, "student map", op)
        try LossChecks.rank(teacher, 4, "teacher map", op)
        try LossChecks.sameBatch(student, teacher, op)
        guard grid >= 1 else { throw TorchError.invalidArgument(operation: op, message: "grid must be at least 1, got \(grid)") }
        let s = try localParts(student, grid: grid)
        let t = try withNoGrad { try localParts(teacher.detach().to(student.dtype), grid: grid) }
        func intra(_ p: Tensor) throws -> Tensor { try p.matmul(p.transpose(1, 2)) }
        func inter(_ p: Tensor) throws -> Tensor {
            let byPart = try p.transpose(0, 1) // [P, B, C]
            return try byPart.matmul(byPart.transpose(1, 2))
        }
        return (try (intra(s) - intra(t)).square().mean(), try (inter(s) - inter(t)).square().mean())
    }

    // MARK: Students from few data (Kong et al. 2020)

    /// Σ_b T² KL(p_b ‖ softmax(s_b/T)) with fixed probabilities `target`: summed over
    /// the samples, so each sample's ascent depends neither on the others nor on B.
    static func softKLSum(logits: Tensor, target: Tensor, temperature: Double) throws -> Tensor {
        let logQ = try (logits / temperature).logSoftmax(dim: 1)
        let logP = try target.clamp(min: 1e-45).log()
        return try (target * (logP - logQ)).sum() * (temperature * temperature)
    }

    /// Worst-case samples near a batch (Sinha et al.'s Lagrangian form of Wasserstein
    /// distributionally robust learning, which Kong et al. apply to distillation): from
    /// x0, `steps` gradient-ascent steps of size `stepSize` on
    /// φ(x) = Σ_b [T² KL(p_t(x0_b) ‖ softmax(student(x_b)/T)) − γ‖x_b − x0_b‖²].
    /// The teacher's soft outputs on x0 are the targets during the ascent (no gradient
    /// through a teacher); the KL part is differentiated through the student only
    /// (`StudentReplay.inputGradient`), the penalty's gradient −2γ(x − x0) is added in
    /// closed form. Returns the samples, detached.
    package static func worstCaseSamples(
        origin: Tensor, teacherProbabilities: Tensor, replay: StudentReplay, temperature: Double, gamma: Double,
        steps: Int, stepSize: Double
    ) throws -> Tensor {
        let op = "MiningDistillation.worstCaseSamples"
        try LossChecks.positive(temperature, "temperature", op)
        guard steps >= 0, stepSize >= 0, gamma >= 0 else {
            throw TorchError.invalidArgument(operation: op, message: "steps, step size and gamma must be zero or positive")
        }
        let x0 = try origin.detach()
        let target = try teacherProbabilities.detach()
        var x = x0
        for _ in 0..<steps {
            let klGradient = try replay.inputGradient(x) { logits in
                try softKLSum(logits: logits, target: target.to(logits.dtype), temperature: temperature)
            }
            x = try (x + (klGradient - (x - x0) * (2 * gamma)) * stepSize).detach()
        }
        return x
    }
}
