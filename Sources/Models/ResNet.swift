import Foundation
import Torch

/// ResNets (basic and bottleneck blocks), laid out as `transformers` names them
/// (`ResNetModel`: `embedder.embedder.convolution`, `encoder.stages.0.layers.0.layer.1.normalization`)
/// or as timm does (`resnet18`...`resnet152`: `conv1`, `layer1.0.bn2`, `layer2.0.downsample.0`).
///
/// Input: `pixel_values` [B, 3, H, W], normalised. Methods: `hidden_states` (the
/// stem's output after its max pool, then each stage's, each [B, C, H, W]) and
/// `forward` (the global average of the last stage, [B, C]).
public struct ResNetSpec: Sendable, Equatable {
    public enum Naming: String, Sendable { case transformers, timm }
    public var naming: Naming
    public var channels: Int
    public var stemWidth: Int
    /// Each stage's output channels, its blocks, and a bottleneck's inner width.
    public var outputs: [Int]
    public var depths: [Int]
    public var inner: [Int]
    public var bottleneck: Bool
    /// transformers: the stride sits in the bottleneck's first 1x1 convolution (else the 3x3).
    public var strideInFirstConvolution: Bool
    public var firstStageStride: Int
    public var eps: Double
    public var prefixes: [String]

    public var featureDimension: Int { outputs.last ?? 0 }

    public init(transformers config: ConfigFile) throws {
        naming = .transformers
        channels = try config.int("num_channels", default: 3)
        stemWidth = try config.int("embedding_size", default: 64)
        guard let sizes = try config.doubles("hidden_sizes"), let blocks = try config.doubles("depths"), sizes.count == blocks.count, !sizes.isEmpty
        else {
            throw ModelError.invalidConfig(path: config.path, field: "hidden_sizes", message: "expected one width per stage, as many as 'depths'")
        }
        outputs = sizes.map { Int($0) }
        depths = blocks.map { Int($0) }
        let type = try config.string("layer_type") ?? "bottleneck"
        guard type == "basic" || type == "bottleneck" else {
            throw ModelError.invalidConfig(
                path: config.path, field: "layer_type", message: "'\(type)' is not supported (supported: basic, bottleneck)")
        }
        let isBottleneck = type == "bottleneck"
        bottleneck = isBottleneck
        inner = sizes.map { isBottleneck ? Int($0) / 4 : Int($0) }
        strideInFirstConvolution = try config.bool("downsample_in_bottleneck", default: false)
        firstStageStride = try config.bool("downsample_in_first_stage", default: false) ? 2 : 1
        if let act = try config.string("hidden_act"), act != "relu" {
            throw ModelError.invalidConfig(path: config.path, field: "hidden_act", message: "'\(act)' is not supported (supported: relu)")
        }
        eps = 1e-5
        prefixes = ["", "resnet."]
    }

    public init(timm config: ConfigFile, architecture: String) throws {
        naming = .timm
        let known: [String: (layers: [Int], bottleneck: Bool)] = [
            "resnet18": ([2, 2, 2, 2], false), "resnet34": ([3, 4, 6, 3], false), "resnet50": ([3, 4, 6, 3], true),
            "resnet101": ([3, 4, 23, 3], true), "resnet152": ([3, 8, 36, 3], true),
        ]
        guard let base = known[architecture] else {
            throw ModelError.unsupported(path: config.path, what: "timm architecture '\(architecture)'", supported: TimmArchitectures.patterns)
        }
        let args = try config.child("model_args") ?? ConfigFile(object: [:], path: config.path + " (model_args)")
        for (field, plain) in [("stem_type", ""), ("avg_down", false), ("cardinality", 1)] as [(String, Any)] where args.has(field) {
            if "\(args.object[field]!)" != "\(plain)" {
                throw ModelError.invalidConfig(path: args.path, field: field, message: "only timm's plain ResNet is supported (\(field) = \(plain))")
            }
        }
        channels = try args.int("in_chans", default: 3)
        // timm's plain stem is 64 wide whatever `stem_width` says (that is for deep stems)
        stemWidth = 64
        depths = try args.doubles("layers")?.map { Int($0) } ?? base.layers
        let planes = try args.doubles("channels")?.map { Int($0) } ?? [64, 128, 256, 512]
        guard planes.count == depths.count else {
            throw ModelError.invalidConfig(path: args.path, field: "channels", message: "\(planes.count) widths for \(depths.count) stages")
        }
        let isBottleneck = base.bottleneck
        bottleneck = isBottleneck
        let baseWidth = try args.int("base_width", default: 64)
        outputs = planes.map { isBottleneck ? $0 * 4 : $0 }
        inner = planes.map { isBottleneck ? $0 * baseWidth / 64 : $0 }
        strideInFirstConvolution = false
        firstStageStride = 1
        eps = 1e-5
        prefixes = [""]
    }

    /// Buffers and heads the backbone does not use.
    public func ignorable(_ name: String) -> Bool {
        if name.hasSuffix("num_batches_tracked") { return true }
        switch naming {
        case .transformers: return name.hasPrefix("classifier.")
        case .timm: return name.hasPrefix("fc.")
        }
    }
}

public enum ResNet {
    public static func build(_ spec: ResNetSpec, weights: CheckpointWeights) throws -> ScriptModule {
        let hf = spec.naming == .transformers
        try weights.choosePrefix(spec.prefixes, probe: hf ? "embedder.embedder.convolution.weight" : "conv1.weight")
        let b = LayerBuilder(weights: weights)
        let top = try ScriptModule(name: b.typeName("ResNet"))
        let stem: String
        if hf {
            let outer = try b.container("Embeddings")
            let inner = try b.container("ConvLayer")
            try inner.registerModule(
                "convolution",
                try b.conv2d("embedder.embedder.convolution", spec.channels, spec.stemWidth, kernel: 7, stride: 2, padding: 3, bias: false))
            try inner.registerModule("normalization", try b.batchNorm("embedder.embedder.normalization", spec.stemWidth, eps: spec.eps))
            try outer.registerModule("embedder", inner)
            try top.registerModule("embedder", outer)
            stem = "torch.relu(self.embedder.embedder.normalization.forward(self.embedder.embedder.convolution.forward(pixel_values)))"
        } else {
            try top.registerModule("conv1", try b.conv2d("conv1", spec.channels, spec.stemWidth, kernel: 7, stride: 2, padding: 3, bias: false))
            try top.registerModule("bn1", try b.batchNorm("bn1", spec.stemWidth, eps: spec.eps))
            stem = "torch.relu(self.bn1.forward(self.conv1.forward(pixel_values)))"
        }
        var calls = ""
        var inputs = spec.stemWidth
        let stages = try b.container("Stages")
        for s in 0..<spec.outputs.count {
            let stage = try b.container("Stage")
            let list = try b.container("Layers")
            for j in 0..<spec.depths[s] {
                let stride = j == 0 ? (s == 0 ? spec.firstStageStride : 2) : 1
                let path = hf ? "encoder.stages.\(s).layers.\(j)" : "layer\(s + 1).\(j)"
                let block = try self.block(spec, path: path, inputs: inputs, stage: s, stride: stride, b: b)
                if hf { try list.registerModule("\(j)", block) } else { try stage.registerModule("\(j)", block) }
                let owner = hf ? child("self.encoder.stages", "\(s)") + ".layers" : "self.layer\(s + 1)"
                calls += "    h = \(child(owner, "\(j)")).forward(h)\n"
                inputs = spec.outputs[s]
            }
            calls += "    states.append(h)\n"
            if hf {
                try stage.registerModule("layers", list)
                try stages.registerModule("\(s)", stage)
            } else {
                try top.registerModule("layer\(s + 1)", stage)
            }
        }
        if hf {
            let encoder = try b.container("Encoder")
            try encoder.registerModule("stages", stages)
            try top.registerModule("encoder", encoder)
        }
        try top.define(
            """
            def hidden_states(self, pixel_values) -> List[Tensor]:
                h = torch.max_pool2d(\(stem), [3, 3], [2, 2], [1, 1], [1, 1], False)
                states: List[Tensor] = [h]
            \(calls)
                return states

            def forward(self, pixel_values):
                return torch.mean(self.hidden_states(pixel_values)[-1], [2, 3])
            """)
        return top
    }

    /// One residual block: basic (3x3, 3x3) or bottleneck (1x1, 3x3, 1x1), with a
    /// 1x1 projection shortcut when the width or resolution changes.
    static func block(_ spec: ResNetSpec, path: String, inputs: Int, stage s: Int, stride: Int, b: LayerBuilder) throws -> ScriptModule {
        let out = spec.outputs[s], mid = spec.inner[s]
        let hf = spec.naming == .transformers
        let block = try b.container(spec.bottleneck ? "Bottleneck" : "BasicBlock")
        // (in, out, kernel, stride) per convolution of the main branch
        var convs: [(Int, Int, Int, Int)]
        if spec.bottleneck {
            let first = spec.strideInFirstConvolution ? stride : 1
            convs = [(inputs, mid, 1, first), (mid, mid, 3, spec.strideInFirstConvolution ? 1 : stride), (mid, out, 1, 1)]
        } else {
            convs = [(inputs, out, 3, stride), (out, out, 3, 1)]
        }
        var lines = "    y = x\n"
        if hf {
            let layer = try b.container("Layer")
            for (k, c) in convs.enumerated() {
                let unit = try b.container("ConvLayer")
                try unit.registerModule(
                    "convolution", try b.conv2d("\(path).layer.\(k).convolution", c.0, c.1, kernel: c.2, stride: c.3, padding: c.2 / 2, bias: false))
                try unit.registerModule("normalization", try b.batchNorm("\(path).layer.\(k).normalization", c.1, eps: spec.eps))
                try layer.registerModule("\(k)", unit)
                let u = child("self.layer", "\(k)")
                let y = "\(u).normalization.forward(\(u).convolution.forward(y))"
                lines += k == convs.count - 1 ? "    y = \(y)\n" : "    y = torch.relu(\(y))\n"
            }
            try block.registerModule("layer", layer)
        } else {
            for (k, c) in convs.enumerated() {
                try block.registerModule(
                    "conv\(k + 1)", try b.conv2d("\(path).conv\(k + 1)", c.0, c.1, kernel: c.2, stride: c.3, padding: c.2 / 2, bias: false))
                try block.registerModule("bn\(k + 1)", try b.batchNorm("\(path).bn\(k + 1)", c.1, eps: spec.eps))
                let y = "self.bn\(k + 1).forward(self.conv\(k + 1).forward(y))"
                lines += k == convs.count - 1 ? "    y = \(y)\n" : "    y = torch.relu(\(y))\n"
            }
        }
        var shortcut = "x"
        if inputs != out || stride != 1 {
            let projection = try b.container("Shortcut")
            if hf {
                try projection.registerModule(
                    "convolution", try b.conv2d("\(path).shortcut.convolution", inputs, out, kernel: 1, stride: stride, padding: 0, bias: false))
                try projection.registerModule("normalization", try b.batchNorm("\(path).shortcut.normalization", out, eps: spec.eps))
                try block.registerModule("shortcut", projection)
                shortcut = "self.shortcut.normalization.forward(self.shortcut.convolution.forward(x))"
            } else {
                try projection.registerModule(
                    "0", try b.conv2d("\(path).downsample.0", inputs, out, kernel: 1, stride: stride, padding: 0, bias: false))
                try projection.registerModule("1", try b.batchNorm("\(path).downsample.1", out, eps: spec.eps))
                try block.registerModule("downsample", projection)
                shortcut = "\(child("self.downsample", "1")).forward(\(child("self.downsample", "0")).forward(x))"
            }
        }
        try block.define(
            """
            def forward(self, x):
            \(lines)
                return torch.relu(y + \(shortcut))
            """)
        return block
    }
}
