import ArgumentParser
import Cache
import Foundation
import Hub
import HubMiner
import Torch

extension ExtractionOptions {
    /// The extraction these options ask for; `output` is where `extract` writes the files.
    package func configuration(threads: Int, output: URL? = nil) throws -> ExtractConfiguration {
        guard let hub, let data else { throw ValidationError("--hub and --data go together") }
        var configuration = ExtractConfiguration(
            hub: URL(fileURLWithPath: hub), data: URL(fileURLWithPath: data), split: split,
            batchSize: batchSize,
            cacheDirectory: cacheDir.map { URL(fileURLWithPath: $0) } ?? FeatureCache.defaultDirectory(),
            models: modelList,
            threads: threads,
            threadPlan: torchThreads.map { ExtractionThreads(torch: $0, loaderWorkers: loaderWorkers ?? 1) },
            outputDirectory: output)
        // `--device cuda` without a GPU fails here, with what is missing.
        configuration.device = try deviceOptions.resolved()
        configuration.layers = layers
        configuration.precision = InferencePrecision(rawValue: precision) ?? .float32
        do {
            try configuration.precision.check(device: configuration.device)
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.tuneInference = !plainInference
        configuration.layoutProbeShare = layoutProbe == "always" ? .infinity : layoutProbe == "off" ? 0 : SharedPass.defaultLayoutProbeShare
        return configuration
    }
}

extension DeviceOptions {
    /// The device `--device` names; `cuda` where none is usable is an error saying what is missing.
    package func resolved() throws -> Device {
        try (DeviceChoice(rawValue: device) ?? .auto).resolve()
    }
}

extension HubAddOptions {
    private func stage(_ text: String, option: String) throws -> Stage {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { throw ValidationError("\(option) expects method:NAME or submodule:PATH, got '\(text)'") }
        switch parts[0] {
        case "method": return Stage(method: parts[1])
        case "submodule": return Stage(submodule: parts[1])
        default: throw ValidationError("\(option) expects method:NAME or submodule:PATH, got '\(text)'")
        }
    }

    private func floats(_ text: String, option: String) throws -> [Float] {
        try text.split(separator: ",").map {
            guard let v = Float($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("\(option): '\($0)' is not a number") }
            return v
        }
    }

    /// The card of the model in `modelFile`, named `name`: the shared card options
    /// with the model's own name and file (the hub's copy keeps the file's extension).
    package func card(name: String, modelFile: URL) throws -> ModelCard {
        var card = try sharedCard()
        let ext = modelFile.pathExtension
        card.name = name
        card.file = name + "." + (ext.isEmpty ? "pt" : ext)
        return card
    }

    /// The model card the shared card options describe (name and file left empty).
    package func sharedCard() throws -> ModelCard {
        var input = InputSpec()
        if let inputSize {
            let dims = try inputSize.split(separator: ",").map {
                guard let v = Int($0.trimmingCharacters(in: .whitespaces)), v > 0 else {
                    throw ValidationError("--input-size: '\($0)' is not a positive integer")
                }
                return v
            }
            switch dims.count {
            case 3: (input.channels, input.height, input.width) = (dims[0], dims[1], dims[2])
            case 1: input.kind = .tabular; input.features = dims[0]
            default: throw ValidationError("--input-size expects C,H,W or F, got '\(inputSize)'")
            }
        }
        guard let policy = InputSpec.ResizePolicy(rawValue: resize) else { throw ValidationError("--resize must be resize_crop, resize or none") }
        input.resize = policy
        input.mean = try mean.map { try floats($0, option: "--mean") }
        input.std = try std.map { try floats($0, option: "--std") }
        guard let pool = RepresentationSpec.Pooling(rawValue: pooling) else { throw ValidationError("--pooling must be none, avg, max or flatten") }
        let s = try stage(representation, option: "--representation")
        return ModelCard(
            name: "", file: "", input: input,
            representation: RepresentationSpec(method: s.method, submodule: s.submodule, pooling: pool),
            sourceHead: try sourceHead.map { try stage($0, option: "--source-head") },
            metadata: Metadata(sourceDataset: sourceDataset, license: license))
    }
}

/// `extract`'s table: one row per model, where its features came from and how fast.
package enum ExtractRenderer {
    package static func render(_ result: ExtractionResult) -> String {
        var lines = ["model\tsource\trows\tcolumns\tseconds\tsamples/s"]
        for m in result.models {
            lines.append(
                "\(m.name)\t\(m.fromCache ? "cache" : "extracted")\t\(m.rows)\t\(m.columns)\t"
                    + String(format: "%.2f\t%@", m.seconds, m.samplesPerSecond.map { String(format: "%.1f", $0) } ?? "-"))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
