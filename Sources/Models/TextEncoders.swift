import Foundation
import Torch

/// How a text model's token states become one vector per text (sentence-transformers'
/// `Pooling` module: `pooling_mode_*`, then an optional `Normalize` module).
public struct TextPooling: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case mean, cls, max, meanSqrtLength = "mean_sqrt_len" }
    public var mode: Mode
    /// Divide by the Euclidean norm (sentence-transformers' `Normalize`).
    public var normalize: Bool

    public init(mode: Mode = .mean, normalize: Bool = false) {
        self.mode = mode
        self.normalize = normalize
    }

    /// TorchScript lines pooling `h` [B, L, H] over the tokens where `mask` [B, L] is 1 into `pooled`.
    func lines() -> String {
        var text = "    m = torch.unsqueeze(mask, -1).to(h.dtype)\n"
        switch mode {
        case .mean:
            text += "    pooled = torch.sum(h * m, 1) / torch.clamp(torch.sum(m, 1), min=1e-9)\n"
        case .meanSqrtLength:
            text += "    pooled = torch.sum(h * m, 1) / torch.sqrt(torch.clamp(torch.sum(m, 1), min=1e-9))\n"
        case .cls:
            text += "    pooled = h[:, 0]\n"
        case .max:
            // as sentence-transformers: padding set to -1e9 before the maximum
            text += "    pooled = torch.max(torch.masked_fill(h, m == 0, -1e9), 1)[0]\n"
        }
        if normalize {
            text += "    pooled = pooled / torch.clamp(torch.sqrt(torch.sum(pooled * pooled, -1, True)), min=1e-12)\n"
        }
        return text
    }
}

/// The BERT-like encoders: BERT (and MiniLM-style BERTs), RoBERTa, XLM-RoBERTa,
/// ELECTRA (discriminator) and DistilBERT, as `transformers` lays out their weights.
///
/// Input convention (every method): `input_ids` [B, L] int64, then optionally
/// `attention_mask` [B, L] (1 = token, 0 = padding; when absent, every id equal to
/// the configuration's `pad_token_id` is padding) and `token_type_ids` (zeros when absent).
/// Methods: `hidden_states` (embedding output, then each layer's, each [B, L, H]),
/// `forward` (the pooled [B, H] representation, `TextPooling`).
public struct TextEncoderSpec: Sendable, Equatable {
    public enum Layout: String, Sendable { case bert, roberta, distilbert }
    public var modelType: String
    public var layout: Layout
    public var vocabSize: Int
    public var hidden: Int
    public var layers: Int
    public var heads: Int
    public var intermediate: Int
    public var activation: Activation
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var eps: Double
    public var padTokenId: Int
    /// ELECTRA: embeddings of this width, projected to `hidden` (`embeddings_project`).
    public var embeddingSize: Int
    /// Prefixes a task model's checkpoint puts before the encoder's keys.
    public var prefixes: [String]

    public static let modelTypes = ["bert", "roberta", "xlm-roberta", "electra", "distilbert"]

    /// Reads the fields of `config.json` for its `model_type`.
    public init(config: ConfigFile) throws {
        guard let type = try config.string("model_type") else {
            throw ModelError.invalidConfig(path: config.path, field: "model_type", message: "required string is missing")
        }
        modelType = type
        func activationNamed(_ field: String, default value: String) throws -> Activation {
            let name = try config.string(field) ?? value
            guard let a = Activation.named(name) else {
                throw ModelError.invalidConfig(
                    path: config.path, field: field,
                    message: "activation '\(name)' is not supported (supported: \(Activation.supportedNames.joined(separator: ", ")))")
            }
            return a
        }
        switch type {
        case "distilbert":
            layout = .distilbert
            vocabSize = try config.int("vocab_size")
            hidden = try config.int("dim")
            layers = try config.int("n_layers")
            heads = try config.int("n_heads")
            intermediate = try config.int("hidden_dim")
            activation = try activationNamed("activation", default: "gelu")
            maxPositions = try config.int("max_position_embeddings")
            typeVocabSize = 0
            eps = 1e-12
            padTokenId = try config.int("pad_token_id", default: 0)
            embeddingSize = hidden
            prefixes = ["", "distilbert."]
        case "bert", "roberta", "xlm-roberta", "electra":
            layout = type == "bert" || type == "electra" ? .bert : .roberta
            vocabSize = try config.int("vocab_size")
            hidden = try config.int("hidden_size")
            layers = try config.int("num_hidden_layers")
            heads = try config.int("num_attention_heads")
            intermediate = try config.int("intermediate_size")
            activation = try activationNamed("hidden_act", default: "gelu")
            maxPositions = try config.int("max_position_embeddings")
            typeVocabSize = try config.int("type_vocab_size", default: 2)
            eps = try config.double("layer_norm_eps", default: 1e-12)
            padTokenId = try config.int("pad_token_id", default: layout == .roberta ? 1 : 0)
            embeddingSize = type == "electra" ? try config.int("embedding_size", default: hidden) : hidden
            if let kind = try config.string("position_embedding_type"), kind != "absolute" {
                throw ModelError.invalidConfig(
                    path: config.path, field: "position_embedding_type",
                    message: "'\(kind)' is not supported (supported: absolute)")
            }
            prefixes = ["", type == "xlm-roberta" ? "roberta." : "\(type)."]
        default:
            throw ModelError.unsupported(path: config.path, what: "model_type '\(type)'", supported: Self.modelTypes)
        }
        guard hidden > 0, heads > 0, hidden % heads == 0 else {
            throw ModelError.invalidConfig(
                path: config.path, field: layout == .distilbert ? "n_heads" : "num_attention_heads",
                message: "\(heads) heads do not divide the hidden size \(hidden)")
        }
    }

    /// Tensors a checkpoint may hold that the encoder does not use: index buffers,
    /// the pooler (`forward` pools as configured instead), and task heads.
    public func ignorable(_ name: String) -> Bool {
        if name.hasSuffix("position_ids") || name.hasSuffix("embeddings.token_type_ids") { return true }
        let prefix = prefixes.last!
        if name.hasPrefix(prefix + "pooler.") || name.hasPrefix("pooler.") { return true }
        let heads = [
            "cls.", "classifier.", "discriminator_predictions.", "generator_predictions.", "generator_lm_head.",
            "lm_head.", "qa_outputs.", "pre_classifier.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.",
        ]
        return heads.contains { name.hasPrefix($0) }
    }
}

public enum TextEncoder {
    /// Builds the encoder with the weights of `weights` (call `finish` afterwards).
    public static func build(_ spec: TextEncoderSpec, pooling: TextPooling, weights: CheckpointWeights) throws -> ScriptModule {
        try weights.choosePrefix(spec.prefixes, probe: "embeddings.word_embeddings.weight")
        let b = LayerBuilder(weights: weights)
        let top = try ScriptModule(name: b.typeName("TextEncoder_\(spec.layout.rawValue)"))
        let e = spec.embeddingSize
        let embeddings = try b.container("Embeddings")
        try embeddings.registerModule("word_embeddings", try b.embedding("embeddings.word_embeddings", spec.vocabSize, e))
        try embeddings.registerModule("position_embeddings", try b.embedding("embeddings.position_embeddings", spec.maxPositions, e))
        if spec.typeVocabSize > 0 {
            try embeddings.registerModule("token_type_embeddings", try b.embedding("embeddings.token_type_embeddings", spec.typeVocabSize, e))
        }
        try embeddings.registerModule("LayerNorm", try b.layerNorm("embeddings.LayerNorm", e, eps: spec.eps))
        try top.registerModule("embeddings", embeddings)
        if e != spec.hidden {
            try top.registerModule("embeddings_project", try b.linear("embeddings_project", e, spec.hidden))
        }
        let list = try b.container("LayerList")
        let listPath = spec.layout == .distilbert ? "transformer.layer" : "encoder.layer"
        for i in 0..<spec.layers {
            let layer =
                spec.layout == .distilbert
                ? try distilLayer(spec, path: "\(listPath).\(i)", b: b)
                : try bertLayer(spec, path: "\(listPath).\(i)", b: b)
            try list.registerModule("\(i)", layer)
        }
        let encoder = try b.container(spec.layout == .distilbert ? "Transformer" : "Encoder")
        try encoder.registerModule("layer", list)
        try top.registerModule(spec.layout == .distilbert ? "transformer" : "encoder", encoder)

        let pad = spec.padTokenId
        let positions: String
        switch spec.layout {
        case .roberta:
            // as transformers: positions count the non-padding tokens, after padding_idx
            positions = """
                    nonpad = (input_ids != \(pad)).long()
                    positions = torch.cumsum(nonpad, 1) * nonpad + \(pad)
                """
        case .bert, .distilbert:
            positions = """
                    positions = torch.unsqueeze(torch.arange(input_ids.size(1), device=input_ids.device), 0)
                """
        }
        var embed = "    e = self.embeddings.word_embeddings.forward(input_ids) + self.embeddings.position_embeddings.forward(positions)\n"
        if spec.typeVocabSize > 0 {
            embed += """
                    if token_type_ids is None:
                        types = torch.zeros_like(input_ids)
                    else:
                        types = token_type_ids
                    e = e + self.embeddings.token_type_embeddings.forward(types)

                """
        }
        embed += "    e = self.embeddings.LayerNorm.forward(e)\n"
        if e != spec.hidden { embed += "    e = self.embeddings_project.forward(e)\n" }
        let layerCalls = (0..<spec.layers).map {
            "    h = \(child("self.\(spec.layout == .distilbert ? "transformer" : "encoder").layer", "\($0)")).forward(h, bias)\n    states.append(h)\n"
        }.joined()
        try top.define(
            """
            def attention_mask_or_default(self, input_ids, attention_mask: Optional[Tensor]) -> Tensor:
                if attention_mask is None:
                    return (input_ids != \(pad)).long()
                return attention_mask

            def embed(self, input_ids, token_type_ids: Optional[Tensor]) -> Tensor:
            \(positions)
            \(embed)
                return e

            def hidden_states(self, input_ids, attention_mask: Optional[Tensor] = None, token_type_ids: Optional[Tensor] = None) -> List[Tensor]:
                mask = self.attention_mask_or_default(input_ids, attention_mask)
                h = self.embed(input_ids, token_type_ids)
                # additive mask over the keys: 0 for tokens, the lowest float for padding (as transformers)
                bias = torch.unsqueeze(torch.unsqueeze(1.0 - mask.to(h.dtype), 1), 2) * -3.4028234663852886e+38
                states: List[Tensor] = [h]
            \(layerCalls)
                return states

            def forward(self, input_ids, attention_mask: Optional[Tensor] = None, token_type_ids: Optional[Tensor] = None) -> Tensor:
                mask = self.attention_mask_or_default(input_ids, attention_mask)
                h = self.hidden_states(input_ids, mask, token_type_ids)[-1]
            \(pooling.lines())
                return pooled
            """)
        return top
    }

    /// Splits [B, L, H] into heads [B, heads, L, head_dim].
    static func heads(_ x: String, _ spec: TextEncoderSpec) -> String {
        "torch.transpose(torch.reshape(\(x), [b, l, \(spec.heads), \(spec.hidden / spec.heads)]), 1, 2)"
    }

    static func bertLayer(_ spec: TextEncoderSpec, path: String, b: LayerBuilder) throws -> ScriptModule {
        let h = spec.hidden
        let layer = try b.container("BertLayer")
        let attention = try b.container("Attention")
        let selfAttention = try b.container("SelfAttention")
        for name in ["query", "key", "value"] {
            try selfAttention.registerModule(name, try b.linear("\(path).attention.self.\(name)", h, h))
        }
        let output = try b.container("AttentionOutput")
        try output.registerModule("dense", try b.linear("\(path).attention.output.dense", h, h))
        try output.registerModule("LayerNorm", try b.layerNorm("\(path).attention.output.LayerNorm", h, eps: spec.eps))
        try attention.registerModule("self", selfAttention)
        try attention.registerModule("output", output)
        try layer.registerModule("attention", attention)
        let intermediate = try b.container("Intermediate")
        try intermediate.registerModule("dense", try b.linear("\(path).intermediate.dense", h, spec.intermediate))
        try layer.registerModule("intermediate", intermediate)
        let out = try b.container("Output")
        try out.registerModule("dense", try b.linear("\(path).output.dense", spec.intermediate, h))
        try out.registerModule("LayerNorm", try b.layerNorm("\(path).output.LayerNorm", h, eps: spec.eps))
        try layer.registerModule("output", out)
        let sa = child("self.attention", "self")
        try layer.define(
            """
            def forward(self, x, bias):
                b = x.size(0)
                l = x.size(1)
                q = \(heads("\(sa).query.forward(x)", spec))
                k = \(heads("\(sa).key.forward(x)", spec))
                v = \(heads("\(sa).value.forward(x)", spec))
            \(Attention.lines(q: "q", k: "k", v: "v", bias: "bias", scale: 1 / Double(h / spec.heads).squareRoot(), out: "ctx"))
                ctx = torch.reshape(torch.transpose(ctx, 1, 2), [b, l, \(h)])
                a = self.attention.output.LayerNorm.forward(self.attention.output.dense.forward(ctx) + x)
                i = \(spec.activation.apply("self.intermediate.dense.forward(a)"))
                return self.output.LayerNorm.forward(self.output.dense.forward(i) + a)
            """)
        return layer
    }

    static func distilLayer(_ spec: TextEncoderSpec, path: String, b: LayerBuilder) throws -> ScriptModule {
        let h = spec.hidden
        let layer = try b.container("DistilLayer")
        let attention = try b.container("Attention")
        for name in ["q_lin", "k_lin", "v_lin", "out_lin"] {
            try attention.registerModule(name, try b.linear("\(path).attention.\(name)", h, h))
        }
        try layer.registerModule("attention", attention)
        try layer.registerModule("sa_layer_norm", try b.layerNorm("\(path).sa_layer_norm", h, eps: spec.eps))
        let ffn = try b.container("FFN")
        try ffn.registerModule("lin1", try b.linear("\(path).ffn.lin1", h, spec.intermediate))
        try ffn.registerModule("lin2", try b.linear("\(path).ffn.lin2", spec.intermediate, h))
        try layer.registerModule("ffn", ffn)
        try layer.registerModule("output_layer_norm", try b.layerNorm("\(path).output_layer_norm", h, eps: spec.eps))
        try layer.define(
            """
            def forward(self, x, bias):
                b = x.size(0)
                l = x.size(1)
                q = \(heads("self.attention.q_lin.forward(x)", spec))
                k = \(heads("self.attention.k_lin.forward(x)", spec))
                v = \(heads("self.attention.v_lin.forward(x)", spec))
            \(Attention.lines(q: "q", k: "k", v: "v", bias: "bias", scale: 1 / Double(h / spec.heads).squareRoot(), out: "ctx"))
                ctx = torch.reshape(torch.transpose(ctx, 1, 2), [b, l, \(h)])
                sa = self.sa_layer_norm.forward(self.attention.out_lin.forward(ctx) + x)
                f = self.ffn.lin2.forward(\(spec.activation.apply("self.ffn.lin1.forward(sa)")))
                return self.output_layer_norm.forward(f + sa)
            """)
        return layer
    }
}
