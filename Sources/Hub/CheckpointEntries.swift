import Support
import FeatureIO
import Foundation
import Models

/// Hugging Face / timm checkpoint folders as hub entries: found beside the cards
/// (a folder with `config.json` and safetensors, or a Hugging Face cache's
/// `models--ORG--NAME/snapshots/REV/`), with a card derived from their
/// configuration that a written card can override field by field.
package enum CheckpointEntries {
    /// A checkpoint folder of a hub: its entry name and path relative to the hub.
    package struct Found: Sendable, Equatable {
        package var name: String
        package var file: String
    }

    /// The checkpoint folders directly under `directory` and the snapshots of a
    /// Hugging Face cache there, with the folders that look like checkpoints but
    /// cannot be read (config.json without safetensors weights) as problems.
    package static func discover(in directory: URL) -> (found: [Found], problems: [HubProblem]) {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var found = [Found]()
        var problems = [HubProblem]()
        for name in names {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            if name.hasPrefix("models--") {
                let entryName = String(name.dropFirst("models--".count))
                guard let revision = snapshot(of: url) else {
                    problems.append(HubProblem(name: entryName, message: "\(directory.lastPathComponent)/\(name): no snapshot in snapshots/"))
                    continue
                }
                let file = "\(name)/snapshots/\(revision)"
                if Checkpoint.isCheckpointFolder(directory.appendingPathComponent(file)) {
                    found.append(Found(name: entryName, file: file))
                } else {
                    problems.append(
                        HubProblem(
                            name: entryName,
                            message:
                                "\(directory.lastPathComponent)/\(file): no config.json with model.safetensors (or its index); only safetensors checkpoints are read"
                        ))
                }
            } else if Checkpoint.isCheckpointFolder(url) {
                found.append(Found(name: name, file: name))
            } else if fm.fileExists(atPath: url.appendingPathComponent(Checkpoint.configFile).path) {
                problems.append(
                    HubProblem(
                        name: name,
                        message:
                            "\(directory.lastPathComponent)/\(name): config.json without model.safetensors or model.safetensors.index.json; only safetensors checkpoints are read"
                    ))
            }
        }
        return (found, problems)
    }

    /// The snapshot a Hugging Face cache entry points at: `refs/main`, else its only
    /// (or most recently modified) snapshot.
    static func snapshot(of model: URL) -> String? {
        let fm = FileManager.default
        if let ref = try? String(contentsOf: model.appendingPathComponent("refs/main"), encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            if !revision.isEmpty, !revision.contains("/"),
                fm.fileExists(atPath: model.appendingPathComponent("snapshots/\(revision)").path)
            {
                return revision
            }
        }
        let snapshots = model.appendingPathComponent("snapshots")
        let revisions = ((try? fm.contentsOfDirectory(atPath: snapshots.path)) ?? []).filter { !$0.hasPrefix(".") }
        func modified(_ r: String) -> Date {
            ((try? fm.attributesOfItem(atPath: snapshots.appendingPathComponent(r).path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return revisions.max { (modified($0), $0) < (modified($1), $1) }
    }

    /// The card of checkpoint folder `folder`: input from config.json and
    /// preprocessor_config.json (or timm's `pretrained_cfg`), representation the
    /// model's pooled `forward`, hints its `hidden_states`.
    package static func derivedCard(name: String, file: String, folder: URL) throws -> ModelCard {
        let described = try Checkpoint.describe(folder)
        var input = InputSpec()
        var description = "\(described.family) checkpoint, \(described.layers) layers"
        switch described.input {
        case let .tokens(maxLength, _, tokenizer):
            input = InputSpec(kind: .tokens, sequenceLength: maxLength)
            description += tokenizer.map { ", tokenizer \($0)" } ?? ", no tokenizer file"
        case let .image(height, width, channels, mean, std, centerCrop, cropPercentage):
            input = InputSpec(
                kind: .image, channels: channels, height: height, width: width,
                resize: centerCrop ? .resizeCrop : .resize, cropPercentage: cropPercentage, mean: mean, std: std)
        }
        return ModelCard(
            name: name, file: file, input: input, representation: RepresentationSpec(method: "forward"),
            hints: Stage(method: "hidden_states"),
            metadata: Metadata(description: description, featureDimension: described.featureDimension))
    }

    /// `written` (a card's JSON object naming a checkpoint folder) laid over the
    /// derived card: its fields win, `input`, `representation` and `metadata` merged key by key.
    package static func overlay(_ written: [String: Any], on derived: ModelCard) throws -> [String: Any] {
        let data = try HubManifest.encodeCard(derived)
        var base = (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        for (key, value) in written {
            if let inner = value as? [String: Any], var existing = base[key] as? [String: Any],
                ["input", "representation", "metadata"].contains(key)
            {
                for (k, v) in inner { existing[k] = v }
                base[key] = existing
            } else {
                base[key] = value
            }
        }
        return base
    }

    /// The cache identity of a checkpoint folder: its weights and every
    /// configuration file that shapes the model or its input.
    package static func digest(of folder: URL) throws -> String {
        let weights = try CheckpointWeights(directory: folder)
        var parts = ["weights=\(try weights.digest())"]
        for config in ["config.json", "preprocessor_config.json", "modules.json", "1_Pooling/config.json"] {
            let url = folder.appendingPathComponent(config)
            if FileManager.default.fileExists(atPath: url.path) { parts.append("\(config)=\(try FileDigest.sha256(of: url))") }
        }
        return SHA256.hex(Data(parts.joined(separator: "\n").utf8))
    }
}

extension HubEntry {
    /// True when the entry is a checkpoint folder rather than a TorchScript file.
    package var isCheckpointFolder: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: modelFile.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// SHA-256 identifying the model for the feature cache: the TorchScript file's,
    /// or a checkpoint folder's weights and configuration.
    package func contentDigest() throws -> String {
        isCheckpointFolder ? try CheckpointEntries.digest(of: modelFile) : try FileDigest.sha256(of: modelFile)
    }
}
