import Foundation
import Torch

/// What a checkpoint folder says about its input, for a derived model card.
public enum CheckpointInput: Sendable, Equatable {
    /// Token ids: the longest sequence (`max_position_embeddings`, less RoBERTa's
    /// padding offset), the padding id, and the tokenizer file when the folder has one.
    case tokens(maxLength: Int, padTokenId: Int, tokenizer: String?)
    /// Images: size, channels, normalisation, and whether the reference
    /// preprocessing centre-crops (timm, `do_center_crop`) or resizes both sides.
    /// `cropPercentage`: timm's `crop_pct` (resize to size / crop_pct, then the crop); nil for none.
    case image(height: Int, width: Int, channels: Int, mean: [Float]?, std: [Float]?, centerCrop: Bool, cropPercentage: Double?)
}

/// A model built from a checkpoint folder (`config.json` + safetensors), ready to run:
/// every parameter carries its checkpoint name.
public struct LoadedCheckpoint {
    public let module: ScriptModule
    /// "bert", "timm vit_tiny_patch16_224", ... for listings.
    public let family: String
    public let input: CheckpointInput
    /// Width of `forward`'s pooled representation.
    public let featureDimension: Int
    /// Number of blocks; `hidden_states` returns one more (the embeddings first).
    public let layers: Int
    /// SHA-256 over the weight files (the cache key adds the configuration files).
    public let weightsDigest: String
}

/// Reads checkpoint folders as Hugging Face `transformers` and timm save them.
public enum Checkpoint {
    public static let configFile = "config.json"

    /// The families by their configuration names, for messages.
    public static var supported: [String] {
        TextEncoderSpec.modelTypes + ["vit", "deit", "resnet", "convnext"] + TimmArchitectures.patterns.map { "timm \($0)" }
    }

    /// True when `directory` holds `config.json` and a safetensors checkpoint.
    public static func isCheckpointFolder(_ directory: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: directory.appendingPathComponent(configFile).path)
            && (fm.fileExists(atPath: directory.appendingPathComponent(CheckpointWeights.singleFile).path)
                || fm.fileExists(atPath: directory.appendingPathComponent(CheckpointWeights.indexFile).path))
    }

    /// The family and input of `directory` without reading weights (listings, cards).
    public static func describe(_ directory: URL) throws -> (family: String, input: CheckpointInput, featureDimension: Int, layers: Int) {
        let config = try ConfigFile(contentsOf: directory.appendingPathComponent(configFile))
        switch try family(config) {
        case .text(let spec):
            return (spec.modelType, textInput(spec, directory: directory), spec.hidden, spec.layers)
        case .vision(let spec, let name):
            return (name, try imageInput(spec.imageSize, spec.channels, config: config, directory: directory), spec.dim, spec.depth)
        case .resnet(let spec, let name):
            return (name, try imageInput(224, spec.channels, config: config, directory: directory), spec.featureDimension, spec.outputs.count)
        case .convnext(let spec, let name):
            return (name, try imageInput(224, spec.channels, config: config, directory: directory), spec.dims.last!, spec.dims.count)
        }
    }

    /// Builds the model of `directory` and loads its weights, checking every tensor.
    public static func load(_ directory: URL) throws -> LoadedCheckpoint {
        let config = try ConfigFile(contentsOf: directory.appendingPathComponent(configFile))
        let weights = try CheckpointWeights(directory: directory)
        let module: ScriptModule
        let described: (String, CheckpointInput, Int, Int)
        switch try family(config) {
        case .text(let spec):
            module = try TextEncoder.build(spec, pooling: try sentenceTransformersPooling(directory), weights: weights)
            try weights.finish(ignorable: spec.ignorable)
            described = (spec.modelType, textInput(spec, directory: directory), spec.hidden, spec.layers)
        case .vision(let spec, let name):
            module = try VisionTransformer.build(spec, weights: weights)
            try weights.finish(ignorable: spec.ignorable)
            described = (name, try imageInput(spec.imageSize, spec.channels, config: config, directory: directory), spec.dim, spec.depth)
        case .resnet(let spec, let name):
            module = try ResNet.build(spec, weights: weights)
            try weights.finish(ignorable: spec.ignorable)
            described = (name, try imageInput(224, spec.channels, config: config, directory: directory), spec.featureDimension, spec.outputs.count)
        case .convnext(let spec, let name):
            module = try ConvNeXt.build(spec, weights: weights)
            try weights.finish(ignorable: spec.ignorable)
            described = (name, try imageInput(224, spec.channels, config: config, directory: directory), spec.dims.last!, spec.dims.count)
        }
        try module.eval()
        return LoadedCheckpoint(
            module: module, family: described.0, input: described.1, featureDimension: described.2,
            layers: described.3, weightsDigest: try weights.digest())
    }

    enum Family {
        case text(TextEncoderSpec)
        case vision(VisionTransformerSpec, String)
        case resnet(ResNetSpec, String)
        case convnext(ConvNeXtSpec, String)
    }

    static func family(_ config: ConfigFile) throws -> Family {
        if let type = try config.string("model_type") {
            if TextEncoderSpec.modelTypes.contains(type) { return .text(try TextEncoderSpec(config: config)) }
            if type == "vit" || type == "deit" { return .vision(try VisionTransformerSpec(transformers: config), type) }
            if type == "resnet" { return .resnet(try ResNetSpec(transformers: config), type) }
            if type == "convnext" { return .convnext(try ConvNeXtSpec(transformers: config), type) }
            throw ModelError.unsupported(path: config.path, what: "model_type '\(type)'", supported: supported)
        }
        if let architecture = try config.string("architecture") {
            if architecture.hasPrefix("vit_") || architecture.hasPrefix("deit_") {
                return .vision(try VisionTransformerSpec(timm: config, architecture: architecture), "timm \(architecture)")
            }
            if architecture.hasPrefix("convnext_") {
                return .convnext(try ConvNeXtSpec(timm: config, architecture: architecture), "timm \(architecture)")
            }
            if architecture.hasPrefix("resnet") {
                return .resnet(try ResNetSpec(timm: config, architecture: architecture), "timm \(architecture)")
            }
            throw ModelError.unsupported(path: config.path, what: "timm architecture '\(architecture)'", supported: supported)
        }
        throw ModelError.invalidConfig(
            path: config.path, field: "model_type",
            message: "neither 'model_type' (transformers) nor 'architecture' (timm) is present")
    }

    static func textInput(_ spec: TextEncoderSpec, directory: URL) -> CheckpointInput {
        // RoBERTa's positions start after the padding id, so two positions are never used.
        let usable = spec.layout == .roberta ? spec.maxPositions - spec.padTokenId - 1 : spec.maxPositions
        let tokenizer = ["tokenizer.json", "vocab.txt"].first {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
        return .tokens(maxLength: usable, padTokenId: spec.padTokenId, tokenizer: tokenizer)
    }

    /// Image size and normalisation: `preprocessor_config.json` (transformers) or the
    /// configuration's `pretrained_cfg` (timm), else the model's own size and no normalisation.
    static func imageInput(_ size: Int, _ channels: Int, config: ConfigFile, directory: URL) throws -> CheckpointInput {
        var height = size, width = size
        var mean: [Float]?, std: [Float]?
        var crop = false
        var cropPercentage: Double?
        if let pretrained = try config.child("pretrained_cfg") {
            if let size = try pretrained.doubles("input_size"), size.count == 3 { height = Int(size[1]); width = Int(size[2]) }
            mean = try pretrained.doubles("mean")?.map { Float($0) }
            std = try pretrained.doubles("std")?.map { Float($0) }
            // timm's eval transform (`transforms_imagenet_eval`): "center" resizes the
            // shorter side to ⌊size / crop_pct⌋ and centre-crops; "squash" resizes both
            // sides to ⌊side / crop_pct⌋ and centre-crops. crop_pct absent: timm's 0.875.
            let mode = try pretrained.string("crop_mode") ?? "center"
            crop = mode == "center"
            if mode == "center" || mode == "squash" {
                let pct = try pretrained.double("crop_pct", default: 0.875)
                guard pct > 0, pct <= 1 else {
                    throw ModelError.invalidConfig(
                        path: config.path, field: "pretrained_cfg.crop_pct", message: "expected a number in (0, 1], found \(pct)")
                }
                cropPercentage = pct < 1 ? pct : nil
            }
        }
        let preprocessor = directory.appendingPathComponent("preprocessor_config.json")
        if FileManager.default.fileExists(atPath: preprocessor.path) {
            let p = try ConfigFile(contentsOf: preprocessor)
            mean = try p.doubles("image_mean")?.map { Float($0) } ?? mean
            std = try p.doubles("image_std")?.map { Float($0) } ?? std
            crop = try p.bool("do_center_crop", default: false)
            cropPercentage = nil
            if let size = try p.child(crop ? "crop_size" : "size") {
                if let side = try size.optionalInt("shortest_edge") {
                    // shorter side to the size keeping the aspect ratio: the card's centre crop
                    height = side
                    width = side
                    crop = true
                    // ConvNeXt's processor: below 384, the shorter side to ⌊side / crop_pct⌋, then the crop.
                    if p.has("crop_pct"), side < 384 {
                        let pct = try p.double("crop_pct", default: 1)
                        guard pct > 0, pct <= 1 else {
                            throw ModelError.invalidConfig(path: p.path, field: "crop_pct", message: "expected a number in (0, 1], found \(pct)")
                        }
                        cropPercentage = pct < 1 ? pct : nil
                    }
                }
                height = try size.int("height", default: height)
                width = try size.int("width", default: width)
            } else if let side = try p.optionalInt(crop ? "crop_size" : "size") {
                height = side
                width = side
            }
        }
        return .image(height: height, width: width, channels: channels, mean: mean, std: std, centerCrop: crop, cropPercentage: cropPercentage)
    }

    /// sentence-transformers' pooling (`modules.json` naming a `Pooling` module and a
    /// `Normalize` module); mean pooling without normalisation when the folder has none.
    public static func sentenceTransformersPooling(_ directory: URL) throws -> TextPooling {
        let modulesURL = directory.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: modulesURL.path) else { return TextPooling() }
        guard let data = try? Data(contentsOf: modulesURL),
            let modules = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]]
        else {
            throw ModelError.unreadable(path: modulesURL.path, message: "expected a list of {\"type\", \"path\"} objects")
        }
        var pooling = TextPooling()
        for module in modules {
            let type = module["type"] as? String ?? ""
            if type.hasSuffix(".Pooling") {
                let config = try ConfigFile(
                    contentsOf: directory.appendingPathComponent(module["path"] as? String ?? "").appendingPathComponent("config.json"))
                let modes: [(String, TextPooling.Mode)] = [
                    ("pooling_mode_cls_token", .cls), ("pooling_mode_mean_tokens", .mean),
                    ("pooling_mode_max_tokens", .max), ("pooling_mode_mean_sqrt_len_tokens", .meanSqrtLength),
                ]
                let on = try modes.filter { try config.bool($0.0, default: false) }
                guard on.count == 1 else {
                    throw ModelError.invalidConfig(
                        path: config.path, field: "pooling_mode_*",
                        message:
                            "exactly one of \(modes.map(\.0).joined(separator: ", ")) must be true (found \(on.count)); concatenated poolings are not supported"
                    )
                }
                pooling.mode = on[0].1
            } else if type.hasSuffix(".Normalize") {
                pooling.normalize = true
            } else if !type.hasSuffix(".Transformer") {
                throw ModelError.unsupported(
                    path: modulesURL.path, what: "sentence-transformers module '\(type)'",
                    supported: ["Transformer", "Pooling", "Normalize"])
            }
        }
        return pooling
    }
}
