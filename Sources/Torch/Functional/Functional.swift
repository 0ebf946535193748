internal import CTorch

/// Two sizes (height, width) for 2-D layers; an integer literal sets both.
public struct Size2: ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, Sendable, Equatable {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(integerLiteral value: Int) { self.init(value, value) }

    /// `[h, w]`, or `[n]` for both. Other lengths are a programming error.
    public init(arrayLiteral elements: Int...) {
        precondition(elements.count == 1 || elements.count == 2, "Size2 takes one or two values")
        self.init(elements[0], elements[elements.count - 1])
    }

    var values: [Int64] { [Int64(height), Int64(width)] }
}

/// Stateless layer functions, as `torch.nn.functional`. Parameters (weights,
/// running statistics) are passed in, so they can come from Swift-built tensors
/// or from a TorchScript module's `namedParameters()`.
public enum Functional {
    /// y = x Wᵀ + b, with W of shape (out, in).
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try x.withHandle { xh in
            try weight.withHandle { wh in
                try withOptionalHandle(bias) { bh in try Tensor.make("linear") { ht_nn_linear(xh, wh, bh, $0) } }
            }
        }
    }

    /// 2-D convolution of (N, C, H, W) input with (out, C/groups, kH, kW) weights.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Size2 = 1,
        padding: Size2 = 0, dilation: Size2 = 1, groups: Int = 1
    ) throws -> Tensor {
        let s = stride.values, p = padding.values, d = dilation.values
        return try x.withHandle { xh in
            try weight.withHandle { wh in
                try withOptionalHandle(bias) { bh in
                    try Tensor.make("conv2d") { ht_nn_conv2d(xh, wh, bh, s, p, d, Int64(groups), $0) }
                }
            }
        }
    }

    /// Batch normalisation over dimension 1. In training mode the batch statistics
    /// normalise and the running statistics (if given) are updated in place with
    /// `momentum`; in eval mode the running statistics normalise.
    public static func batchNorm(
        _ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor? = nil,
        bias: Tensor? = nil, training: Bool, momentum: Double = 0.1,
        eps: Double = 1e-5
    ) throws -> Tensor {
        try x.withHandle { xh in
            try withOptionalHandle(weight) { wh in
                try withOptionalHandle(bias) { bh in
                    try withOptionalHandle(runningMean) { mh in
                        try withOptionalHandle(runningVar) { vh in
                            try Tensor.make("batchNorm") {
                                ht_nn_batch_norm(xh, wh, bh, mh, vh, training ? 1 : 0, momentum, eps, $0)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Layer normalisation over the trailing `normalizedShape` dimensions (the same
    /// in training and eval: it keeps no running statistics).
    public static func layerNorm(
        _ x: Tensor, normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil,
        eps: Double = 1e-5
    ) throws -> Tensor {
        let shape = normalizedShape.map { Int64($0) }
        return try x.withHandle { xh in
            try withOptionalHandle(weight) { wh in
                try withOptionalHandle(bias) { bh in
                    try Tensor.make("layerNorm") { ht_nn_layer_norm(xh, shape, Int64(shape.count), wh, bh, eps, $0) }
                }
            }
        }
    }

    /// Zeroes elements with probability `p` and scales the rest by 1/(1-p) in
    /// training; the identity in eval. Uses the global generator
    /// (`TorchRuntime.manualSeed`).
    public static func dropout(_ x: Tensor, p: Double = 0.5, training: Bool) throws -> Tensor {
        try x.derive("dropout") { ht_nn_dropout($0, p, training ? 1 : 0, $1) }
    }

    /// Max pooling; `stride` defaults to the kernel size, as in PyTorch.
    public static func maxPool2d(
        _ x: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
        ceilMode: Bool = false
    ) throws -> Tensor {
        let k = kernelSize.values, s = (stride ?? kernelSize).values, p = padding.values
        return try x.derive("maxPool2d") { ht_nn_max_pool2d($0, k, s, p, ceilMode ? 1 : 0, $1) }
    }

    /// Average pooling; `stride` defaults to the kernel size.
    public static func avgPool2d(
        _ x: Tensor, kernelSize: Size2, stride: Size2? = nil, padding: Size2 = 0,
        ceilMode: Bool = false, countIncludePad: Bool = true
    ) throws -> Tensor {
        let k = kernelSize.values, s = (stride ?? kernelSize).values, p = padding.values
        return try x.derive("avgPool2d") {
            ht_nn_avg_pool2d($0, k, s, p, ceilMode ? 1 : 0, countIncludePad ? 1 : 0, $1)
        }
    }

    public static func adaptiveAvgPool2d(_ x: Tensor, outputSize: Size2) throws -> Tensor {
        let o = outputSize.values
        return try x.derive("adaptiveAvgPool2d") { ht_nn_adaptive_avg_pool2d($0, o, $1) }
    }

    public static func adaptiveMaxPool2d(_ x: Tensor, outputSize: Size2) throws -> Tensor {
        let o = outputSize.values
        return try x.derive("adaptiveMaxPool2d") { ht_nn_adaptive_max_pool2d($0, o, $1) }
    }

    public static func relu(_ x: Tensor) throws -> Tensor { try x.relu() }
    public static func gelu(_ x: Tensor, approximate: Bool = false) throws -> Tensor { try x.gelu(approximate: approximate) }
    public static func sigmoid(_ x: Tensor) throws -> Tensor { try x.sigmoid() }
    public static func tanh(_ x: Tensor) throws -> Tensor { try x.tanh() }
    public static func softmax(_ x: Tensor, dim: Int) throws -> Tensor { try x.softmax(dim: dim) }
    public static func logSoftmax(_ x: Tensor, dim: Int) throws -> Tensor { try x.logSoftmax(dim: dim) }

    /// Cosine of the angle between `a` and `b` along `dim` (broadcast).
    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor, dim: Int = 1, eps: Double = 1e-8) throws -> Tensor {
        try a.withHandle { ah in
            try b.withHandle { bh in try Tensor.make("cosineSimilarity") { ht_nn_cosine_similarity(ah, bh, Int64(dim), eps, $0) } }
        }
    }

    /// Row-wise p-norm distance ‖a - b + eps‖ₚ (`torch.nn.functional.pairwise_distance`).
    public static func pairwiseDistance(
        _ a: Tensor, _ b: Tensor, p: Double = 2, eps: Double = 1e-6,
        keepDim: Bool = false
    ) throws -> Tensor {
        try a.withHandle { ah in
            try b.withHandle { bh in
                try Tensor.make("pairwiseDistance") { ht_nn_pairwise_distance(ah, bh, p, eps, keepDim ? 1 : 0, $0) }
            }
        }
    }

    /// All distances between the rows of `a` (n, d) and of `b` (m, d): (n, m) (`torch.cdist`).
    public static func cdist(_ a: Tensor, _ b: Tensor, p: Double = 2) throws -> Tensor {
        try a.withHandle { ah in try b.withHandle { bh in try Tensor.make("cdist") { ht_nn_cdist(ah, bh, p, $0) } } }
    }
}
