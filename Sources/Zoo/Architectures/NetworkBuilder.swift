import Foundation
import Torch

/// Builds a zoo network as a TorchScript module from its spec: random initial
/// weights (seeded), a `head` submodule giving `classes` source logits, and the
/// methods `features`, `forward` and `hints` (see `ArchitectureSpec`). Inputs are
/// N x 3 x size x size.
package enum NetworkBuilder {
    package static func make(_ spec: ArchitectureSpec, imageSize: Int, classes: Int, seed: UInt64) throws -> ScriptModule {
        if let problem = spec.validationProblem(imageSize: imageSize) { throw ZooError.invalidArchitecture(problem) }
        guard classes >= 1 else { throw ZooError.invalidArchitecture("\(spec.family): at least one source class is needed") }
        let layers = try LayerFactory(seed: seed)
        switch spec {
        case let .mlp(hidden): return try mlp(hidden: hidden, imageSize: imageSize, classes: classes, layers: layers)
        case let .cnn(widths, depth): return try cnn(widths: widths, depth: depth, classes: classes, layers: layers)
        case let .attention(patch, dim, depth, heads, ratio):
            return try attention(
                patch: patch, dim: dim, depth: depth, heads: heads, mlpRatio: ratio, imageSize: imageSize,
                classes: classes, layers: layers)
        }
    }

    /// Number of parameter elements (buffers excluded).
    package static func parameterCount(_ module: ScriptModule) throws -> Int {
        try module.parameters().reduce(0) { $0 + $1.count }
    }

    static func mlp(hidden: [Int], imageSize: Int, classes: Int, layers: LayerFactory) throws -> ScriptModule {
        let net = try ScriptModule(name: layers.typeName("ZooMLP"))
        var inputs = 3 * imageSize * imageSize
        for (i, width) in hidden.enumerated() {
            try net.registerModule("fc\(i)", try layers.linear(inputs, width))
            inputs = width
        }
        try net.registerModule("head", try layers.linear(inputs, classes))
        let body = hidden.indices.map { "    h = torch.relu(self.fc\($0).forward(h))\n    maps.append(h)" }.joined(separator: "\n")
        try net.define(
            """
            def hints(self, x) -> List[Tensor]:
                maps: List[Tensor] = []
                h = torch.flatten(x, 1)
            \(body)
                return maps

            def features(self, x):
                return self.hints(x)[-1]

            def forward(self, x):
                return self.head.forward(self.features(x))
            """)
        return net
    }

    static func cnn(widths: [Int], depth: Int, classes: Int, layers: LayerFactory) throws -> ScriptModule {
        let net = try ScriptModule(name: layers.typeName("ZooCNN"))
        var inputs = 3
        var lines = [String]()
        for (s, width) in widths.enumerated() {
            if s > 0 { lines.append("    h = torch.max_pool2d(h, [2, 2], [2, 2], [0, 0], [1, 1], False)") }
            for b in 0..<depth {
                let name = "stage\(s)_block\(b)"
                try net.registerModule(name, try layers.convBlock(inputs, width))
                inputs = width
                lines.append("    h = self.\(name).forward(h)")
            }
            lines.append("    maps.append(h)")
        }
        try net.registerModule("head", try layers.linear(inputs, classes))
        try net.define(
            """
            def hints(self, x) -> List[Tensor]:
                maps: List[Tensor] = []
                h = x
            \(lines.joined(separator: "\n"))
                return maps

            def features(self, x):
                return torch.mean(self.hints(x)[-1], [2, 3])

            def forward(self, x):
                return self.head.forward(self.features(x))
            """)
        return net
    }

    static func attention(
        patch: Int, dim: Int, depth: Int, heads: Int, mlpRatio: Int, imageSize: Int, classes: Int,
        layers: LayerFactory
    ) throws -> ScriptModule {
        let net = try ScriptModule(name: layers.typeName("ZooAttention"))
        let tokens = (imageSize / patch) * (imageSize / patch)
        try net.registerModule("patch_embed", try layers.patchEmbedding(patch: patch, dim: dim))
        // timm's convention for learned position embeddings: N(0, 0.02²).
        try net.registerParameter("pos_embed", try Tensor.zeros([1, tokens, dim]).normal_(mean: 0, std: 0.02, generator: layers.generator))
        var lines = [String]()
        for b in 0..<depth {
            try net.registerModule("block\(b)", try layers.attentionBlock(dim: dim, heads: heads, mlpRatio: mlpRatio))
            lines.append("    h = self.block\(b).forward(h)")
            lines.append("    maps.append(h)")
        }
        try net.registerModule("norm", try layers.layerNorm(dim))
        try net.registerModule("head", try layers.linear(dim, classes))
        try net.define(
            """
            def hints(self, x) -> List[Tensor]:
                maps: List[Tensor] = []
                h = self.patch_embed.forward(x) + self.pos_embed
                maps.append(h)
            \(lines.joined(separator: "\n"))
                return maps

            def features(self, x):
                return torch.mean(self.norm.forward(self.hints(x)[-1]), 1)

            def forward(self, x):
                return self.head.forward(self.features(x))
            """)
        return net
    }
}
