import Foundation
import Torch

/// Builds the layer modules the zoo networks are made of, initialised as PyTorch
/// initialises `nn.Linear`, `nn.Conv2d`, `nn.BatchNorm2d` and `nn.LayerNorm`:
/// weights and biases uniform in ±1/sqrt(fan_in) (kaiming-uniform with a = sqrt(5)),
/// norms with weight 1 and bias 0, running mean 0 and variance 1.
///
/// Each module gets its own TorchScript type name (`Linear_2`, ...): types are
/// per module, so two blocks of different sizes never share one.
final class LayerFactory {
    let generator: Generator
    private var counter = 0

    init(seed: UInt64) throws {
        generator = try Generator(seed: seed)
    }

    func typeName(_ base: String) -> String {
        counter += 1
        return "\(base)_\(counter)"
    }

    /// Uniform in ±1/sqrt(fanIn).
    func fanInUniform(_ shape: [Int], fanIn: Int) throws -> Tensor {
        let bound = 1 / Double(fanIn).squareRoot()
        return try Tensor.zeros(shape).uniform_(-bound, bound, generator: generator)
    }

    /// `nn.Linear(inputs, outputs)`: `forward(x) = x Wᵀ + b`.
    func linear(_ inputs: Int, _ outputs: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("Linear"))
        try m.registerParameter("weight", try fanInUniform([outputs, inputs], fanIn: inputs))
        try m.registerParameter("bias", try fanInUniform([outputs], fanIn: inputs))
        try m.define(
            """
            def forward(self, x):
                return torch.linear(x, self.weight, self.bias)
            """)
        return m
    }

    /// conv 3x3 (padding 1, no bias: the batch norm's shift replaces it), batch norm
    /// (momentum 0.1, eps 1e-5: batch statistics and running-average updates in
    /// training mode, running statistics in eval mode), ReLU.
    func convBlock(_ inputs: Int, _ outputs: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("ConvBlock"))
        try m.registerParameter("conv_weight", try fanInUniform([outputs, inputs, 3, 3], fanIn: inputs * 9))
        try m.registerParameter("bn_weight", try Tensor.ones([outputs]))
        try m.registerParameter("bn_bias", try Tensor.zeros([outputs]))
        try m.registerParameter("bn_running_mean", try Tensor.zeros([outputs]), isBuffer: true)
        try m.registerParameter("bn_running_var", try Tensor.ones([outputs]), isBuffer: true)
        try m.define(
            """
            def forward(self, x):
                y = torch.conv2d(x, self.conv_weight, None, [1, 1], [1, 1], [1, 1], 1)
                y = torch.batch_norm(y, self.bn_weight, self.bn_bias, self.bn_running_mean, self.bn_running_var, self.training, 0.1, 1e-5, False)
                return torch.relu(y)
            """)
        return m
    }

    /// `nn.LayerNorm(dim)` over the last axis.
    func layerNorm(_ dim: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("LayerNorm"))
        try m.registerParameter("weight", try Tensor.ones([dim]))
        try m.registerParameter("bias", try Tensor.zeros([dim]))
        try m.define(
            """
            def forward(self, x):
                return torch.layer_norm(x, [\(dim)], self.weight, self.bias, 1e-5, False)
            """)
        return m
    }

    /// A `patch` x `patch` convolution with stride `patch` from 3 channels to `dim`,
    /// giving tokens N x T x dim (T = (size / patch)², row-major over the patch grid).
    func patchEmbedding(patch: Int, dim: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("PatchEmbedding"))
        let fanIn = 3 * patch * patch
        try m.registerParameter("weight", try fanInUniform([dim, 3, patch, patch], fanIn: fanIn))
        try m.registerParameter("bias", try fanInUniform([dim], fanIn: fanIn))
        try m.define(
            """
            def forward(self, x):
                y = torch.conv2d(x, self.weight, self.bias, [\(patch), \(patch)], [0, 0], [1, 1], 1)
                return torch.transpose(torch.flatten(y, 2), 1, 2)
            """)
        return m
    }

    /// A pre-norm transformer block: x + MHSA(LN(x)), then x + MLP(LN(x)) with GELU.
    /// The query/key/value projection is one [3·dim, dim] matrix, queries first, each
    /// split into heads as `nn.MultiheadAttention` splits its `in_proj_weight`.
    func attentionBlock(dim: Int, heads: Int, mlpRatio: Int) throws -> ScriptModule {
        let m = try ScriptModule(name: typeName("AttentionBlock"))
        let hidden = dim * mlpRatio
        try m.registerModule("norm1", try layerNorm(dim))
        try m.registerModule("qkv", try linear(dim, 3 * dim))
        try m.registerModule("proj", try linear(dim, dim))
        try m.registerModule("norm2", try layerNorm(dim))
        try m.registerModule("fc1", try linear(dim, hidden))
        try m.registerModule("fc2", try linear(hidden, dim))
        let headDim = dim / heads
        try m.define(
            """
            def forward(self, x):
                n = x.size(0)
                t = x.size(1)
                qkv = self.qkv.forward(self.norm1.forward(x))
                qkv = torch.permute(torch.reshape(qkv, [n, t, 3, \(heads), \(headDim)]), [2, 0, 3, 1, 4])
                q = qkv[0]
                k = qkv[1]
                v = qkv[2]
                attention = torch.softmax(torch.matmul(q, torch.transpose(k, -2, -1)) * \(1 / Double(headDim).squareRoot()), -1)
                mixed = torch.reshape(torch.transpose(torch.matmul(attention, v), 1, 2), [n, t, \(dim)])
                x = x + self.proj.forward(mixed)
                return x + self.fc2.forward(torch.gelu(self.fc1.forward(self.norm2.forward(x))))
            """)
        return m
    }
}
