import Foundation
import Torch

/// ConvNeXt, laid out as `transformers` names it (`ConvNextModel`:
/// `embeddings.patch_embeddings`, `encoder.stages.1.downsampling_layer.1`,
/// `encoder.stages.0.layers.0.pwconv1`) or as timm does (`convnext_*`: `stem.0`,
/// `stages.1.downsample.1`, `stages.0.blocks.0.mlp.fc1`, `head.norm`).
///
/// Input: `pixel_values` [B, 3, H, W], normalised. Methods: `hidden_states` (the
/// stem's output, then each stage's, each [B, C, H, W]) and `forward` (the global
/// average of the last stage through the final layer norm, [B, C]).
public struct ConvNeXtSpec: Sendable, Equatable {
    public enum Naming: String, Sendable { case transformers, timm }
    public var naming: Naming
    public var channels: Int
    public var dims: [Int]
    public var depths: [Int]
    public var patchSize: Int
    /// timm's `conv_mlp`: the block's MLP as 1x1 convolutions after a channels-first norm.
    public var convMLP: Bool
    public var layerScale: Bool
    public var headEps: Double
    public var prefixes: [String]

    public init(transformers config: ConfigFile) throws {
        naming = .transformers
        channels = try config.int("num_channels", default: 3)
        guard let sizes = try config.doubles("hidden_sizes"), let blocks = try config.doubles("depths"), sizes.count == blocks.count, !sizes.isEmpty
        else {
            throw ModelError.invalidConfig(path: config.path, field: "hidden_sizes", message: "expected one width per stage, as many as 'depths'")
        }
        dims = sizes.map { Int($0) }
        depths = blocks.map { Int($0) }
        patchSize = try config.int("patch_size", default: 4)
        convMLP = false
        layerScale = try config.double("layer_scale_init_value", default: 1e-6) > 0
        headEps = try config.double("layer_norm_eps", default: 1e-12)
        if let act = try config.string("hidden_act"), act != "gelu" {
            throw ModelError.invalidConfig(path: config.path, field: "hidden_act", message: "'\(act)' is not supported (supported: gelu)")
        }
        prefixes = ["", "convnext."]
    }

    public init(timm config: ConfigFile, architecture: String) throws {
        naming = .timm
        let known: [String: (depths: [Int], dims: [Int], convMLP: Bool)] = [
            "convnext_atto": ([2, 2, 6, 2], [40, 80, 160, 320], true), "convnext_femto": ([2, 2, 6, 2], [48, 96, 192, 384], true),
            "convnext_pico": ([2, 2, 6, 2], [64, 128, 256, 512], true), "convnext_nano": ([2, 2, 8, 2], [80, 160, 320, 640], true),
            "convnext_tiny": ([3, 3, 9, 3], [96, 192, 384, 768], false), "convnext_small": ([3, 3, 27, 3], [96, 192, 384, 768], false),
            "convnext_base": ([3, 3, 27, 3], [128, 256, 512, 1024], false), "convnext_large": ([3, 3, 27, 3], [192, 384, 768, 1536], false),
        ]
        guard let base = known[architecture] else {
            throw ModelError.unsupported(path: config.path, what: "timm architecture '\(architecture)'", supported: TimmArchitectures.patterns)
        }
        let args = try config.child("model_args") ?? ConfigFile(object: [:], path: config.path + " (model_args)")
        channels = try args.int("in_chans", default: 3)
        depths = try args.doubles("depths")?.map { Int($0) } ?? base.depths
        dims = try args.doubles("dims")?.map { Int($0) } ?? base.dims
        guard dims.count == depths.count, !dims.isEmpty else {
            throw ModelError.invalidConfig(path: args.path, field: "dims", message: "\(dims.count) widths for \(depths.count) stages")
        }
        patchSize = try args.int("patch_size", default: 4)
        convMLP = try args.bool("conv_mlp", default: base.convMLP)
        layerScale = try args.double("ls_init_value", default: 1e-6) > 0
        headEps = 1e-6
        prefixes = [""]
    }

    public func ignorable(_ name: String) -> Bool {
        switch naming {
        case .transformers: return name.hasPrefix("classifier.")
        case .timm: return name.hasPrefix("head.fc.")
        }
    }
}

public enum ConvNeXt {
    /// Layer norm over the channels of [B, C, H, W].
    static func channelsFirst(_ norm: String, _ x: String) -> String {
        "torch.permute(\(norm).forward(torch.permute(\(x), [0, 2, 3, 1])), [0, 3, 1, 2])"
    }

    public static func build(_ spec: ConvNeXtSpec, weights: CheckpointWeights) throws -> ScriptModule {
        let hf = spec.naming == .transformers
        try weights.choosePrefix(spec.prefixes, probe: hf ? "embeddings.patch_embeddings.weight" : "stem.0.weight")
        let b = LayerBuilder(weights: weights)
        let top = try ScriptModule(name: b.typeName("ConvNeXt"))
        let d0 = spec.dims[0]
        let stem: String
        if hf {
            let embeddings = try b.container("Embeddings")
            try embeddings.registerModule(
                "patch_embeddings",
                try b.conv2d("embeddings.patch_embeddings", spec.channels, d0, kernel: spec.patchSize, stride: spec.patchSize, padding: 0))
            try embeddings.registerModule("layernorm", try b.layerNorm("embeddings.layernorm", d0, eps: 1e-6))
            try top.registerModule("embeddings", embeddings)
            stem = channelsFirst("self.embeddings.layernorm", "self.embeddings.patch_embeddings.forward(pixel_values)")
        } else {
            let s = try b.container("Stem")
            try s.registerModule("0", try b.conv2d("stem.0", spec.channels, d0, kernel: spec.patchSize, stride: spec.patchSize, padding: 0))
            try s.registerModule("1", try b.layerNorm("stem.1", d0, eps: 1e-6))
            try top.registerModule("stem", s)
            stem = channelsFirst(child("self.stem", "1"), "\(child("self.stem", "0")).forward(pixel_values)")
        }
        let stages = try b.container("Stages")
        var calls = ""
        var inputs = d0
        for s in 0..<spec.dims.count {
            let d = spec.dims[s]
            let stage = try b.container("Stage")
            let stagePath = hf ? "encoder.stages.\(s)" : "stages.\(s)"
            let stageRef = child(hf ? "self.encoder.stages" : "self.stages", "\(s)")
            if s > 0 || inputs != d {
                let down = try b.container("Downsample")
                let name = hf ? "downsampling_layer" : "downsample"
                try down.registerModule("0", try b.layerNorm("\(stagePath).\(name).0", inputs, eps: 1e-6))
                try down.registerModule("1", try b.conv2d("\(stagePath).\(name).1", inputs, d, kernel: 2, stride: 2, padding: 0))
                try stage.registerModule(name, down)
                let downRef = "\(stageRef).\(name)"
                calls += "    h = \(child(downRef, "1")).forward(\(channelsFirst(child(downRef, "0"), "h")))\n"
            }
            let list = try b.container("Blocks")
            for j in 0..<spec.depths[s] {
                let path = hf ? "\(stagePath).layers.\(j)" : "\(stagePath).blocks.\(j)"
                try list.registerModule("\(j)", try block(spec, path: path, dim: d, b: b))
                calls += "    h = \(child("\(stageRef).\(hf ? "layers" : "blocks")", "\(j)")).forward(h)\n"
            }
            try stage.registerModule(hf ? "layers" : "blocks", list)
            try stages.registerModule("\(s)", stage)
            calls += "    states.append(h)\n"
            inputs = d
        }
        let last = spec.dims.last!
        let pool: String
        if hf {
            let encoder = try b.container("Encoder")
            try encoder.registerModule("stages", stages)
            try top.registerModule("encoder", encoder)
            try top.registerModule("layernorm", try b.layerNorm("layernorm", last, eps: spec.headEps))
            pool = "self.layernorm.forward(torch.mean(h, [2, 3]))"
        } else {
            try top.registerModule("stages", stages)
            let head = try b.container("Head")
            try head.registerModule("norm", try b.layerNorm("head.norm", last, eps: spec.headEps))
            try top.registerModule("head", head)
            pool = "self.head.norm.forward(torch.mean(h, [2, 3]))"
        }
        try top.define(
            """
            def hidden_states(self, pixel_values) -> List[Tensor]:
                h = \(stem)
                states: List[Tensor] = [h]
            \(calls)
                return states

            def forward(self, pixel_values):
                h = self.hidden_states(pixel_values)[-1]
                return \(pool)
            """)
        return top
    }

    /// x + γ · MLP(LN(dwconv7x7(x))), the MLP 4x wide with exact GELU.
    static func block(_ spec: ConvNeXtSpec, path: String, dim: Int, b: LayerBuilder) throws -> ScriptModule {
        let hf = spec.naming == .transformers
        let block = try b.container("ConvNeXtBlock")
        let names =
            hf
            ? (dw: "dwconv", norm: "layernorm", fc1: "pwconv1", fc2: "pwconv2", gamma: "layer_scale_parameter")
            : (dw: "conv_dw", norm: "norm", fc1: "mlp.fc1", fc2: "mlp.fc2", gamma: "gamma")
        try block.registerModule(names.dw, try b.conv2d("\(path).\(names.dw)", dim, dim, kernel: 7, stride: 1, padding: 3, groups: dim))
        try block.registerModule(names.norm, try b.layerNorm("\(path).\(names.norm)", dim, eps: 1e-6))
        var fc1 = "self.\(names.fc1)", fc2 = "self.\(names.fc2)"
        if hf {
            try block.registerModule("pwconv1", try b.linear("\(path).pwconv1", dim, 4 * dim))
            try block.registerModule("pwconv2", try b.linear("\(path).pwconv2", 4 * dim, dim))
        } else {
            let mlp = try b.container("Mlp")
            if spec.convMLP {
                try mlp.registerModule("fc1", try b.conv2d("\(path).mlp.fc1", dim, 4 * dim, kernel: 1, stride: 1, padding: 0))
                try mlp.registerModule("fc2", try b.conv2d("\(path).mlp.fc2", 4 * dim, dim, kernel: 1, stride: 1, padding: 0))
            } else {
                try mlp.registerModule("fc1", try b.linear("\(path).mlp.fc1", dim, 4 * dim))
                try mlp.registerModule("fc2", try b.linear("\(path).mlp.fc2", 4 * dim, dim))
            }
            try block.registerModule("mlp", mlp)
            fc1 = "self.mlp.fc1"
            fc2 = "self.mlp.fc2"
        }
        var scale = ""
        if spec.layerScale {
            try b.parameter(block, names.gamma, path: "\(path).\(names.gamma)", shape: [dim])
            scale = " * torch.reshape(self.\(names.gamma), [1, \(dim), 1, 1])"
        }
        let body: String
        if spec.convMLP {
            // norm over channels, then 1x1 convolutions (timm's conv_mlp)
            body = "    y = \(ConvNeXt.channelsFirst("self.\(names.norm)", "y"))\n    y = \(fc2).forward(torch.gelu(\(fc1).forward(y)))\n"
        } else {
            body =
                "    y = torch.permute(y, [0, 2, 3, 1])\n    y = \(fc2).forward(torch.gelu(\(fc1).forward(self.\(names.norm).forward(y))))\n    y = torch.permute(y, [0, 3, 1, 2])\n"
        }
        try block.define(
            """
            def forward(self, x):
                y = self.\(names.dw).forward(x)
            \(body)
                return x + y\(scale)
            """)
        return block
    }
}
