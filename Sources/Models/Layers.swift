import Foundation
import Torch

/// Builds the leaf modules checkpoint models are made of, with the weights read from
/// a `CheckpointWeights` under the dotted path the checkpoint uses, so the built
/// module's `namedParameters` are the checkpoint's names (`encoder.layer.0.output.dense.weight`).
///
/// Each module gets its own TorchScript type name: types are per module, and two
/// layers of different sizes must never share one.
public final class LayerBuilder {
    public let weights: CheckpointWeights
    private var counter = 0

    public init(weights: CheckpointWeights) { self.weights = weights }

    public func typeName(_ base: String) -> String {
        counter += 1
        return "\(base)_\(counter)"
    }

    /// A module with no methods of its own: it only names its children (`encoder`,
    /// `encoder.layer`), as `nn.Module` containers and `nn.ModuleList` do.
    public func container(_ base: String) throws -> ScriptModule {
        try ScriptModule(name: typeName(base))
    }

    /// Registers `tensor` of `shape` read from `path` as parameter `name` of `module`.
    public func parameter(_ module: ScriptModule, _ name: String, path: String, shape: [Int], buffer: Bool = false) throws {
        try module.registerParameter(name, try weights.tensor(path, shape: shape), isBuffer: buffer)
    }

    /// `nn.Linear`: `forward(x) = x Wᵀ + b`, W of shape [outputs, inputs].
    public func linear(_ path: String, _ inputs: Int, _ outputs: Int, bias: Bool = true) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("Linear"))
        try parameter(m, "weight", path: "\(path).weight", shape: [outputs, inputs])
        if bias {
            try parameter(m, "bias", path: "\(path).bias", shape: [outputs])
            try m.define("def forward(self, x):\n    return torch.linear(x, self.weight, self.bias)\n")
        } else {
            try m.define("def forward(self, x):\n    return torch.linear(x, self.weight)\n")
        }
        return m
    }

    /// `nn.LayerNorm(dim, eps)` over the last axis.
    public func layerNorm(_ path: String, _ dim: Int, eps: Double) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("LayerNorm"))
        try parameter(m, "weight", path: "\(path).weight", shape: [dim])
        try parameter(m, "bias", path: "\(path).bias", shape: [dim])
        try m.define(
            """
            def forward(self, x):
                return torch.layer_norm(x, [\(dim)], self.weight, self.bias, \(literal(eps)), False)
            """)
        return m
    }

    /// `nn.Embedding(count, dim)`: rows of the table by integer id.
    public func embedding(_ path: String, _ count: Int, _ dim: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("Embedding"))
        try parameter(m, "weight", path: "\(path).weight", shape: [count, dim])
        try m.define("def forward(self, ids):\n    return torch.embedding(self.weight, ids, -1, False, False)\n")
        return m
    }

    /// `nn.Conv2d` with square kernel, stride and padding.
    public func conv2d(
        _ path: String, _ inputs: Int, _ outputs: Int, kernel: Int, stride: Int, padding: Int,
        groups: Int = 1, bias: Bool = true
    ) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("Conv2d"))
        try parameter(m, "weight", path: "\(path).weight", shape: [outputs, inputs / groups, kernel, kernel])
        let b: String
        if bias {
            try parameter(m, "bias", path: "\(path).bias", shape: [outputs])
            b = "self.bias"
        } else {
            b = "None"
        }
        try m.define(
            """
            def forward(self, x):
                return torch.conv2d(x, self.weight, \(b), [\(stride), \(stride)], [\(padding), \(padding)], [1, 1], \(groups))
            """)
        return m
    }
}

extension LayerBuilder {
    /// `nn.BatchNorm2d(channels, eps)`: batch statistics (momentum 0.1) in training
    /// mode, the running statistics (buffers, as in the checkpoint) in eval mode.
    public func batchNorm(_ path: String, _ channels: Int, eps: Double) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("BatchNorm2d"))
        try parameter(m, "weight", path: "\(path).weight", shape: [channels])
        try parameter(m, "bias", path: "\(path).bias", shape: [channels])
        try parameter(m, "running_mean", path: "\(path).running_mean", shape: [channels], buffer: true)
        try parameter(m, "running_var", path: "\(path).running_var", shape: [channels], buffer: true)
        try m.define(
            """
            def forward(self, x):
                return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var, self.training, 0.1, \(literal(eps)), False)
            """)
        return m
    }
}

/// An activation by its configuration name (`hidden_act`, `activation`), as a
/// TorchScript expression template over `x`.
public enum Activation: String, Sendable, CaseIterable {
    /// Exact GELU, x Φ(x).
    case gelu
    /// The tanh approximation (`gelu_new`, `gelu_pytorch_tanh`).
    case geluTanh
    case relu

    /// The names configurations use for each.
    public static func named(_ name: String) -> Activation? {
        switch name {
        case "gelu": return .gelu
        case "gelu_new", "gelu_pytorch_tanh": return .geluTanh
        case "relu": return .relu
        default: return nil
        }
    }

    public static let supportedNames = ["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"]

    public func apply(_ x: String) -> String {
        switch self {
        case .gelu: return "torch.gelu(\(x))"
        case .geluTanh: return "torch.gelu(\(x), approximate='tanh')"
        case .relu: return "torch.relu(\(x))"
        }
    }
}

/// Multi-head attention, in the one place it is computed.
public enum Attention {
    /// TorchScript lines computing `out` = softmax(q kᵀ · scale + bias) v for q, k, v
    /// of shape [B, heads, L, head_dim] and an additive float `bias` broadcastable to
    /// [B, heads, L, L] (or none), indented by four spaces.
    ///
    /// One fused `scaled_dot_product_attention` call (libtorch's CPU flash kernel
    /// takes a float mask): no [B, heads, L, L] score tensor is materialised twice, as
    /// the written-out matmul-softmax-matmul did. The mask stays additive (0 for a
    /// key, the lowest float for padding), exactly as `transformers` builds it for its
    /// sdpa attention: a padding query row then attends to the real keys as in
    /// Python, and a row whose keys are all padding gets uniform weights, never NaN
    /// (a boolean mask would give NaN there).
    public static func lines(q: String, k: String, v: String, bias: String?, scale: Double, out: String) -> String {
        "    \(out) = torch.scaled_dot_product_attention(\(q), \(k), \(v), \(bias ?? "None"), 0.0, False, scale=\(literal(scale)))\n"
    }
}

/// A Double as a TorchScript float literal (always with a decimal point or exponent).
func literal(_ value: Double) -> String {
    let s = "\(value)"
    return s.contains(".") || s.contains("e") || s.contains("inf") || s.contains("nan") ? s : s + ".0"
}

/// A child access in TorchScript source: `self.name` for identifiers, else `getattr`
/// (list children are named "0", "1", ...).
func child(_ base: String, _ name: String) -> String {
    let identifier = name.first.map { $0.isLetter || $0 == "_" } == true && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    let keywords: Set<String> = ["self", "def", "return", "if", "else", "for", "in", "and", "or", "not", "is", "None", "True", "False"]
    return identifier && !keywords.contains(name) ? "\(base).\(name)" : "getattr(\(base), \"\(name)\")"
}
