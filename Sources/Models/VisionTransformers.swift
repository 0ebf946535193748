import Foundation
import Torch

/// Vision transformers (ViT, DeiT with or without its distillation token), laid out
/// as `transformers` names them (`ViTModel`, `DeiTModel`) or as timm does
/// (`VisionTransformer`, `deit_*_distilled_*`).
///
/// Input: `pixel_values` [B, 3, H, W], normalised. Methods: `hidden_states` (the
/// embedding output with the class (and distillation) tokens and position
/// embeddings, then each block's output, each [B, T, D]) and `forward` (the pooled
/// [B, D] representation: the final norm's class token, or the mean of the class
/// and distillation tokens for distilled DeiTs, as timm's `pre_logits`; with
/// timm's `global_pool: avg`, the mean of the patch tokens through `fc_norm`).
public struct VisionTransformerSpec: Sendable, Equatable {
    public enum Naming: String, Sendable { case transformers, timm }
    public var naming: Naming
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var dim: Int
    public var depth: Int
    public var heads: Int
    public var mlpHidden: Int
    public var eps: Double
    public var activation: Activation
    public var distilled: Bool
    public var qkvBias: Bool
    /// timm: "token" or "avg".
    public var globalPool: String
    public var prefixes: [String]

    public var patches: Int { (imageSize / patchSize) * (imageSize / patchSize) }
    public var prefixTokens: Int { distilled ? 2 : 1 }

    /// `transformers`' `vit` and `deit` configurations.
    public init(transformers config: ConfigFile) throws {
        let type = try config.string("model_type") ?? ""
        naming = .transformers
        imageSize = try config.int("image_size", default: 224)
        patchSize = try config.int("patch_size", default: 16)
        channels = try config.int("num_channels", default: 3)
        dim = try config.int("hidden_size")
        depth = try config.int("num_hidden_layers")
        heads = try config.int("num_attention_heads")
        mlpHidden = try config.int("intermediate_size")
        eps = try config.double("layer_norm_eps", default: 1e-12)
        let act = try config.string("hidden_act") ?? "gelu"
        guard let a = Activation.named(act) else {
            throw ModelError.invalidConfig(
                path: config.path, field: "hidden_act",
                message: "activation '\(act)' is not supported (supported: \(Activation.supportedNames.joined(separator: ", ")))")
        }
        activation = a
        distilled = type == "deit"
        qkvBias = try config.bool("qkv_bias", default: true)
        globalPool = "token"
        prefixes = ["", type == "deit" ? "deit." : "vit."]
        try check(config)
    }

    /// timm's `vit_*` and `deit_*` names, sizes from the name, overridden by `model_args`.
    public init(timm config: ConfigFile, architecture: String) throws {
        naming = .timm
        let tiers: [String: (dim: Int, depth: Int, heads: Int)] = [
            "tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12), "large": (1024, 24, 16), "huge": (1280, 32, 16),
        ]
        let parts = architecture.split(separator: "_").map(String.init)
        guard let tier = parts.dropFirst().first.flatMap({ tiers[$0] }) else {
            throw ModelError.unsupported(path: config.path, what: "architecture '\(architecture)'", supported: TimmArchitectures.patterns)
        }
        let patch = parts.first { $0.hasPrefix("patch") }.flatMap { Int($0.dropFirst(5)) } ?? 16
        let size = parts.last.flatMap { Int($0) } ?? 224
        let args = try config.child("model_args") ?? ConfigFile(object: [:], path: config.path + " (model_args)")
        if let list = args.object["img_size"] as? [Any], let first = (list.first as? NSNumber)?.intValue {
            imageSize = first
        } else {
            imageSize = try args.int("img_size", default: size)
        }
        patchSize = try args.int("patch_size", default: patch)
        channels = try args.int("in_chans", default: 3)
        dim = try args.int("embed_dim", default: tier.dim)
        depth = try args.int("depth", default: tier.depth)
        heads = try args.int("num_heads", default: tier.heads)
        mlpHidden = Int(Double(dim) * (try args.double("mlp_ratio", default: 4)))
        eps = 1e-6
        activation = .gelu
        distilled = architecture.contains("distilled")
        qkvBias = try args.bool("qkv_bias", default: true)
        globalPool = try args.string("global_pool") ?? config.string("global_pool") ?? "token"
        guard globalPool == "token" || globalPool == "avg" else {
            throw ModelError.invalidConfig(
                path: config.path, field: "global_pool", message: "'\(globalPool)' is not supported (supported: token, avg)")
        }
        prefixes = [""]
        try check(config)
    }

    private func check(_ config: ConfigFile) throws {
        guard dim % heads == 0 else {
            throw ModelError.invalidConfig(path: config.path, field: "num_heads", message: "\(heads) heads do not divide the width \(dim)")
        }
        guard imageSize % patchSize == 0 else {
            throw ModelError.invalidConfig(
                path: config.path, field: "patch_size", message: "\(patchSize) does not divide the image size \(imageSize)")
        }
    }

    /// Tensors the backbone does not use: poolers, classifier heads, index buffers.
    public func ignorable(_ name: String) -> Bool {
        switch naming {
        case .transformers:
            return ["pooler.", "vit.pooler.", "deit.pooler.", "classifier.", "cls_classifier.", "distillation_classifier."]
                .contains { name.hasPrefix($0) } || name.hasSuffix("mask_token")
        case .timm:
            return name.hasPrefix("head.") || name.hasPrefix("head_dist.")
        }
    }
}

public enum VisionTransformer {
    public static func build(_ spec: VisionTransformerSpec, weights: CheckpointWeights) throws -> ScriptModule {
        switch spec.naming {
        case .transformers: return try buildTransformers(spec, weights: weights)
        case .timm: return try buildTimm(spec, weights: weights)
        }
    }

    static func splitHeads(_ x: String, _ spec: VisionTransformerSpec) -> String {
        "torch.transpose(torch.reshape(\(x), [b, t, \(spec.heads), \(spec.dim / spec.heads)]), 1, 2)"
    }

    static func attentionLines(_ spec: VisionTransformerSpec) -> String {
        Attention.lines(q: "q", k: "k", v: "v", bias: nil, scale: 1 / Double(spec.dim / spec.heads).squareRoot(), out: "ctx")
    }

    static func buildTransformers(_ spec: VisionTransformerSpec, weights: CheckpointWeights) throws -> ScriptModule {
        try weights.choosePrefix(spec.prefixes, probe: "embeddings.cls_token")
        let b = LayerBuilder(weights: weights)
        let d = spec.dim
        let top = try ScriptModule(name: b.typeName("ViTModel"))
        let embeddings = try b.container("Embeddings")
        try b.parameter(embeddings, "cls_token", path: "embeddings.cls_token", shape: [1, 1, d])
        if spec.distilled { try b.parameter(embeddings, "distillation_token", path: "embeddings.distillation_token", shape: [1, 1, d]) }
        try b.parameter(embeddings, "position_embeddings", path: "embeddings.position_embeddings", shape: [1, spec.patches + spec.prefixTokens, d])
        let patch = try b.container("PatchEmbeddings")
        try patch.registerModule(
            "projection",
            try b.conv2d(
                "embeddings.patch_embeddings.projection", spec.channels, d,
                kernel: spec.patchSize, stride: spec.patchSize, padding: 0))
        try embeddings.registerModule("patch_embeddings", patch)
        try top.registerModule("embeddings", embeddings)
        let list = try b.container("LayerList")
        for i in 0..<spec.depth {
            let p = "encoder.layer.\(i)"
            let layer = try b.container("ViTLayer")
            try layer.registerModule("layernorm_before", try b.layerNorm("\(p).layernorm_before", d, eps: spec.eps))
            let attention = try b.container("Attention")
            let inner = try b.container("SelfAttention")
            for name in ["query", "key", "value"] {
                try inner.registerModule(name, try b.linear("\(p).attention.attention.\(name)", d, d, bias: spec.qkvBias))
            }
            let output = try b.container("SelfOutput")
            try output.registerModule("dense", try b.linear("\(p).attention.output.dense", d, d))
            try attention.registerModule("attention", inner)
            try attention.registerModule("output", output)
            try layer.registerModule("attention", attention)
            try layer.registerModule("layernorm_after", try b.layerNorm("\(p).layernorm_after", d, eps: spec.eps))
            let intermediate = try b.container("Intermediate")
            try intermediate.registerModule("dense", try b.linear("\(p).intermediate.dense", d, spec.mlpHidden))
            try layer.registerModule("intermediate", intermediate)
            let out = try b.container("Output")
            try out.registerModule("dense", try b.linear("\(p).output.dense", spec.mlpHidden, d))
            try layer.registerModule("output", out)
            try layer.define(
                """
                def forward(self, x):
                    b = x.size(0)
                    t = x.size(1)
                    n = self.layernorm_before.forward(x)
                    q = \(splitHeads("self.attention.attention.query.forward(n)", spec))
                    k = \(splitHeads("self.attention.attention.key.forward(n)", spec))
                    v = \(splitHeads("self.attention.attention.value.forward(n)", spec))
                \(attentionLines(spec))
                    ctx = torch.reshape(torch.transpose(ctx, 1, 2), [b, t, \(d)])
                    x = self.attention.output.dense.forward(ctx) + x
                    m = \(spec.activation.apply("self.intermediate.dense.forward(self.layernorm_after.forward(x))"))
                    return self.output.dense.forward(m) + x
                """)
            try list.registerModule("\(i)", layer)
        }
        let encoder = try b.container("Encoder")
        try encoder.registerModule("layer", list)
        try top.registerModule("encoder", encoder)
        try top.registerModule("layernorm", try b.layerNorm("layernorm", d, eps: spec.eps))
        let tokens =
            spec.distilled
            ? "[self.embeddings.cls_token.expand(b, -1, -1), self.embeddings.distillation_token.expand(b, -1, -1), p]"
            : "[self.embeddings.cls_token.expand(b, -1, -1), p]"
        let calls = (0..<spec.depth).map { "    h = \(child("self.encoder.layer", "\($0)")).forward(h)\n    states.append(h)\n" }.joined()
        try top.define(
            """
            def hidden_states(self, pixel_values) -> List[Tensor]:
                b = pixel_values.size(0)
                p = torch.transpose(torch.flatten(self.embeddings.patch_embeddings.projection.forward(pixel_values), 2), 1, 2)
                h = torch.cat(\(tokens), 1) + self.embeddings.position_embeddings
                states: List[Tensor] = [h]
            \(calls)
                return states

            def forward(self, pixel_values):
                h = self.layernorm.forward(self.hidden_states(pixel_values)[-1])
                return \(spec.distilled ? "(h[:, 0] + h[:, 1]) / 2" : "h[:, 0]")
            """)
        return top
    }

    static func buildTimm(_ spec: VisionTransformerSpec, weights: CheckpointWeights) throws -> ScriptModule {
        try weights.choosePrefix(spec.prefixes, probe: "cls_token")
        let b = LayerBuilder(weights: weights)
        let d = spec.dim
        let top = try ScriptModule(name: b.typeName("VisionTransformer"))
        try b.parameter(top, "cls_token", path: "cls_token", shape: [1, 1, d])
        if spec.distilled { try b.parameter(top, "dist_token", path: "dist_token", shape: [1, 1, d]) }
        try b.parameter(top, "pos_embed", path: "pos_embed", shape: [1, spec.patches + spec.prefixTokens, d])
        let patch = try b.container("PatchEmbed")
        try patch.registerModule(
            "proj", try b.conv2d("patch_embed.proj", spec.channels, d, kernel: spec.patchSize, stride: spec.patchSize, padding: 0))
        try top.registerModule("patch_embed", patch)
        let blocks = try b.container("Blocks")
        for i in 0..<spec.depth {
            let p = "blocks.\(i)"
            let block = try b.container("Block")
            try block.registerModule("norm1", try b.layerNorm("\(p).norm1", d, eps: spec.eps))
            let attn = try b.container("Attention")
            try attn.registerModule("qkv", try b.linear("\(p).attn.qkv", d, 3 * d, bias: spec.qkvBias))
            try attn.registerModule("proj", try b.linear("\(p).attn.proj", d, d))
            try block.registerModule("attn", attn)
            try block.registerModule("norm2", try b.layerNorm("\(p).norm2", d, eps: spec.eps))
            let mlp = try b.container("Mlp")
            try mlp.registerModule("fc1", try b.linear("\(p).mlp.fc1", d, spec.mlpHidden))
            try mlp.registerModule("fc2", try b.linear("\(p).mlp.fc2", spec.mlpHidden, d))
            try block.registerModule("mlp", mlp)
            try block.define(
                """
                def forward(self, x):
                    b = x.size(0)
                    t = x.size(1)
                    qkv = torch.permute(torch.reshape(self.attn.qkv.forward(self.norm1.forward(x)), [b, t, 3, \(spec.heads), \(d / spec.heads)]), [2, 0, 3, 1, 4])
                    q = qkv[0]
                    k = qkv[1]
                    v = qkv[2]
                \(attentionLines(spec))
                    x = x + self.attn.proj.forward(torch.reshape(torch.transpose(ctx, 1, 2), [b, t, \(d)]))
                    return x + self.mlp.fc2.forward(\(spec.activation.apply("self.mlp.fc1.forward(self.norm2.forward(x))")))
                """)
            try blocks.registerModule("\(i)", block)
        }
        try top.registerModule("blocks", blocks)
        let avg = spec.globalPool == "avg"
        // timm: with average pooling the final norm moves after the pool (`fc_norm`)
        try top.registerModule(avg ? "fc_norm" : "norm", try b.layerNorm(avg ? "fc_norm" : "norm", d, eps: spec.eps))
        let tokens =
            spec.distilled ? "[self.cls_token.expand(b, -1, -1), self.dist_token.expand(b, -1, -1), p]" : "[self.cls_token.expand(b, -1, -1), p]"
        let calls = (0..<spec.depth).map { "    h = \(child("self.blocks", "\($0)")).forward(h)\n    states.append(h)\n" }.joined()
        let pool: String
        if avg {
            pool = "    return self.fc_norm.forward(torch.mean(h[:, \(spec.prefixTokens):], 1))"
        } else {
            pool = "    h = self.norm.forward(h)\n    return \(spec.distilled ? "(h[:, 0] + h[:, 1]) / 2" : "h[:, 0]")"
        }
        try top.define(
            """
            def hidden_states(self, pixel_values) -> List[Tensor]:
                b = pixel_values.size(0)
                p = torch.transpose(torch.flatten(self.patch_embed.proj.forward(pixel_values), 2), 1, 2)
                h = torch.cat(\(tokens), 1) + self.pos_embed
                states: List[Tensor] = [h]
            \(calls)
                return states

            def forward(self, pixel_values):
                h = self.hidden_states(pixel_values)[-1]
            \(pool)
            """)
        return top
    }
}

/// The timm architecture names the families build.
public enum TimmArchitectures {
    public static let patterns = [
        "vit_{tiny,small,base,large,huge}_patch*_*", "deit_{tiny,small,base}[_distilled]_patch16_*",
        "resnet{18,34,50,101,152}", "convnext_{atto,femto,pico,nano,tiny,small,base,large}",
    ]
}
