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

    /// The local parts of a [B, C, H, W] map: the map cut into g × g equal blocks,
    /// each block's C·h·w values flattened and L2-normalised, [B, g², C·h·w]. A side
    /// that g does not divide is first average-pooled to g·⌊side/g⌋ (g when the side is
    /// shorter than g), so the blocks are equal; a divisible map is cut as it is.
    static func localParts(_ f: Tensor, grid: Int) throws -> Tensor {
        let (b, c, h, w) = (f.shape[0], f.shape[1], f.shape[2], f.shape[3])
        let ph = grid * Swift.max(1, h / grid), pw = grid * Swift.max(1, w / grid)
        let map = (ph == h && pw == w) ? f : try Functional.adaptiveAvgPool2d(f, outputSize: Size2(ph, pw))
        let (bh, bw) = (ph / grid, pw / grid)
        // [B, C, g, bh, g, bw] → [B, g, g, C, bh, bw] → [B, g², C·bh·bw]
        let blocks = try map.reshape([b, c, grid, bh, grid, bw]).permute([0, 2, 4, 1, 3, 5]).contiguous()
        return try blocks.reshape([b, grid * grid, c * bh * bw]).l2Normalized(dim: 2)
    }

    /// Local correlation consistency for one pair of maps (Li et al.'s three local
    /// relations): the cosine correlations between the g × g local parts (blocks) of
    /// the student must match the teacher's, as mean squared differences over
    /// - `intra`: parts p, q of the same sample ([B, P, P]),
    /// - `inter`: the same part p of samples a, b ([P, B, B]),
    /// - `cross`: part p of sample a and part q of sample b, a ≠ b and p ≠ q (the
    ///   pairs the other two leave out of the [B·P, B·P] matrix of all parts).
    /// Channels and spatial sizes may differ (only P×P, B×B and BP×BP correlation
    /// matrices are compared). With one sample or one part, `cross` has no pair: 0.
    package static func localCorrelation(
        student: Tensor, teacher: Tensor, grid: Int
    ) throws -> (
        intra: Tensor, inter: Tensor, cross: Tensor
    ) {
        let op = "MiningDistillation.localCorrelation"
        try LossChecks.rank(student, 4, "student map", op)
        try LossChecks.rank(teacher, 4, "teacher map", op)
        try LossChecks.sameBatch(student, teacher, op)
        guard grid >= 1 else { throw TorchError.invalidArgument(operation: op, message: "grid must be at least 1, got \(grid)") }
        let s = try localParts(student, grid: grid)
        let t = try withNoGrad { try localParts(teacher.detach().to(student.dtype), grid: grid) }
        func intra(_ p: Tensor) throws -> Tensor { try p.matmul(p.transpose(1, 2)) }
        func inter(_ p: Tensor) throws -> Tensor {
            let byPart = try p.transpose(0, 1) // [P, B, D]
            return try byPart.matmul(byPart.transpose(1, 2))
        }
        func all(_ p: Tensor) throws -> Tensor {
            let flat = try p.reshape([p.shape[0] * p.shape[1], p.shape[2]]) // [(b, p), D]
            return try flat.matmul(flat.t())
        }
        let (b, parts) = (s.shape[0], s.shape[1])
        // Row (a, p), column (b, q): kept where a ≠ b and p ≠ q.
        let mask = try withNoGrad { () -> Tensor in
            let differentSample = try 1.0 - Tensor.eye(b, dtype: s.dtype).to(s.device)
            let differentPart = try 1.0 - Tensor.eye(parts, dtype: s.dtype).to(s.device)
            return try differentSample.unsqueeze(dim: 1).unsqueeze(dim: 3) * differentPart.unsqueeze(dim: 0).unsqueeze(dim: 2)
        }
        let pairs = Double(b * (b - 1) * parts * (parts - 1))
        let crossDifference = try (all(s) - all(t)).square().reshape([b, parts, b, parts]) * mask
        return (
            try (intra(s) - intra(t)).square().mean(), try (inter(s) - inter(t)).square().mean(),
            try crossDifference.sum() / Swift.max(pairs, 1)
        )
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
