import Foundation

/// The three families of zoo networks and their sizes. Every network built from a
/// spec has the same three TorchScript methods:
/// - `features(x)`: the pooled representation, N x D;
/// - `forward(x)`: source-class logits, `head.forward(features(x))`;
/// - `hints(x)`: intermediate maps, shallow to deep (`List[Tensor]`):
///   CNN: each stage's output, N x C x H x W (before the stage's max-pool);
///   attention: the tokens after the patch embedding and after each block, N x T x D;
///   MLP: each hidden layer's activations, N x H.
package enum ArchitectureSpec: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Flatten, then fully connected ReLU layers of these widths; the last is D.
    case mlp(hidden: [Int])
    /// Stages of `depth` conv(3x3)-batch-norm-ReLU blocks of these widths, a 2x2
    /// max-pool between stages, global average pooling; D = the last width.
    case cnn(widths: [Int], depth: Int)
    /// Patch embedding (a `patch` x `patch` convolution with stride `patch`),
    /// learned position embeddings, `depth` pre-norm transformer blocks (multi-head
    /// self-attention with `heads` heads, a GELU MLP of `mlpRatio` x dim), a final
    /// layer norm, mean-pooled tokens; D = dim.
    case attention(patch: Int, dim: Int, depth: Int, heads: Int, mlpRatio: Int)

    package var family: String {
        switch self {
        case .mlp: return "mlp"
        case .cnn: return "cnn"
        case .attention: return "attention"
        }
    }

    package var featureDimension: Int {
        switch self {
        case let .mlp(hidden): return hidden.last ?? 0
        case let .cnn(widths, _): return widths.last ?? 0
        case let .attention(_, dim, _, _, _): return dim
        }
    }

    package var description: String {
        switch self {
        case let .mlp(hidden): return "MLP " + hidden.map(String.init).joined(separator: "-")
        case let .cnn(widths, depth): return "CNN widths " + widths.map(String.init).joined(separator: "-") + ", \(depth) block(s) per stage"
        case let .attention(patch, dim, depth, heads, ratio):
            return "attention: \(patch)x\(patch) patches, dim \(dim), \(depth) block(s), \(heads) heads, MLP x\(ratio)"
        }
    }

    /// Multiply-accumulates of one forward pass on a 3 x size x size image (head
    /// excluded): the builder's estimate of a model's training cost, to start the
    /// longest jobs first.
    package func multiplyAccumulates(imageSize: Int) -> Int {
        switch self {
        case let .mlp(hidden):
            return zip([3 * imageSize * imageSize] + hidden, hidden).reduce(0) { $0 + $1.0 * $1.1 }
        case let .cnn(widths, depth):
            var total = 0, inputs = 3
            for (s, width) in widths.enumerated() {
                let pixels = (imageSize >> s) * (imageSize >> s)
                for _ in 0..<depth {
                    total += pixels * 9 * inputs * width
                    inputs = width
                }
            }
            return total
        case let .attention(patch, dim, depth, _, ratio):
            let tokens = (imageSize / patch) * (imageSize / patch)
            let embed = tokens * dim * 3 * patch * patch
            let block = tokens * (4 * dim * dim + 2 * ratio * dim * dim) + 2 * tokens * tokens * dim
            return embed + depth * block
        }
    }

    /// The first problem for inputs of 3 x size x size, nil when buildable.
    package func validationProblem(imageSize: Int) -> String? {
        switch self {
        case let .mlp(hidden):
            if hidden.isEmpty || hidden.contains(where: { $0 < 1 }) { return "mlp: hidden widths must be positive and at least one, got \(hidden)" }
        case let .cnn(widths, depth):
            if widths.isEmpty || widths.contains(where: { $0 < 1 }) { return "cnn: widths must be positive and at least one, got \(widths)" }
            if depth < 1 { return "cnn: depth must be at least 1, got \(depth)" }
            if imageSize >> (widths.count - 1) < 1 { return "cnn: \(widths.count) stages halve \(imageSize) pixels below 1" }
        case let .attention(patch, dim, depth, heads, ratio):
            if patch < 1 || imageSize % patch != 0 { return "attention: patch \(patch) must divide the image size \(imageSize)" }
            if heads < 1 || dim < 1 || dim % heads != 0 { return "attention: dim \(dim) must be a positive multiple of heads \(heads)" }
            if depth < 1 || ratio < 1 { return "attention: depth and mlp ratio must be at least 1" }
        }
        return nil
    }
}
