import FeatureIO
import Foundation
import Hub
import Torch
import Support

/// The files of a zoo: atomic model saves, cards, and the checks that decide what
/// an earlier build left usable.
extension ZooBuilder {
    /// Prefix of the staging folders models are saved into before being renamed into
    /// place; hidden, so a hub listing never sees one.
    static let temporaryPrefix = ".zoo-partial-"

    /// `ScriptModule.save` into a hidden temporary directory beside `url`, then a
    /// rename: the model file is either absent or complete. The file keeps its final
    /// name while written because TorchScript names the archive's root folder after
    /// the file, so the bytes do not depend on the temporary name.
    static func saveAtomically(_ network: ScriptModule, to url: URL) throws {
        let staging = url.deletingLastPathComponent().appendingPathComponent(temporaryPrefix + UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: staging) }
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let temporary = staging.appendingPathComponent(url.lastPathComponent)
        try network.save(to: temporary.path)
        guard rename(temporary.path, url.path) == 0 else {
            throw ZooError.invalidArgument("\(url.path): cannot move the saved model into place: \(String(cString: strerror(errno)))")
        }
    }

    /// The model card: 3 x S x S images in 0...1, resized to S x S when they differ,
    /// features from `features`, source logits from `forward`.
    package static func card(for model: ZooModelSummary, imageSize: Int) -> ModelCard {
        ModelCard(
            name: model.name, file: model.file,
            input: InputSpec(kind: .image, channels: 3, height: imageSize, width: imageSize, resize: .resize),
            representation: RepresentationSpec(method: "features"),
            sourceHead: Stage(method: "forward"),
            hints: model.hints,
            metadata: Metadata(
                parameters: model.parameters, sourceDataset: model.sourceTask,
                description: "\(model.architecture) pre-trained on the procedural task '\(model.sourceTask)' "
                    + String(format: "(source accuracy %.3f)", model.result.sourceAccuracy),
                featureDimension: model.featureDimension, sourceClasses: model.sourceClasses))
    }

    /// A model from an earlier build that can be kept: its record matches the
    /// fingerprint and its file still has the recorded digest.
    static func reusable(_ model: ZooModelSpec, fingerprint: String, hub: URL, records: URL) -> ZooModelRecord? {
        guard let data = try? Data(contentsOf: records.appendingPathComponent(model.name + ".json")),
            let record = try? JSONDecoder().decode(ZooModelRecord.self, from: data),
            record.fingerprint == fingerprint
        else { return nil }
        let file = hub.appendingPathComponent(record.summary.file)
        guard FileManager.default.fileExists(atPath: file.path),
            FileManager.default.fileExists(atPath: hub.appendingPathComponent(model.name + ".json").path),
            (try? FileDigest.sha256(of: file)) == record.modelSHA256
        else { return nil }
        return record
    }

    /// The completeness check of a built zoo: the target dataset described, and every
    /// model's card present and its file matching the digest its record holds (a few
    /// megabytes hashed: milliseconds).
    static func isComplete(_ manifest: ZooManifest, _ layout: Layout) -> Bool {
        guard TaskDatasetWriter.readDescription(layout.target) != nil else { return false }
        return manifest.models.allSatisfy { m in
            guard let data = try? Data(contentsOf: layout.records.appendingPathComponent(m.name + ".json")),
                let record = try? JSONDecoder().decode(ZooModelRecord.self, from: data)
            else { return false }
            return FileManager.default.fileExists(atPath: layout.hub.appendingPathComponent(m.name + ".json").path)
                && (try? FileDigest.sha256(of: layout.hub.appendingPathComponent(m.file))) == record.modelSHA256
        }
    }

    /// Removes the files of models no longer in the plan, the folders of tasks no
    /// longer in it (only those holding a `task.json`, which the zoo wrote), and
    /// staging folders of interrupted saves once they are an hour old (a younger one
    /// may belong to another build of the same directory, about to be renamed into place).
    static func removeStale(_ plan: ZooPlan, _ layout: Layout) throws {
        let names = Set(plan.models.map(\.name))
        for (dir, extensions) in [(layout.hub, ["pt", "json"]), (layout.records, ["json"])] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
                let url = dir.appendingPathComponent(file)
                if file.hasPrefix(temporaryPrefix) {
                    let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
                    if Date().timeIntervalSince(modified) > 3600 { try? FileManager.default.removeItem(at: url) }
                    continue
                }
                let ext = (file as NSString).pathExtension
                let stem = (file as NSString).deletingPathExtension
                if extensions.contains(ext), !names.contains(stem), !file.hasPrefix(".") {
                    try FileManager.default.removeItem(at: url)
                }
            }
        }
        let tasks = Set(plan.sources.map(\.name))
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: layout.sources.path)) ?? [] where !tasks.contains(folder) {
            let url = layout.sources.appendingPathComponent(folder)
            if TaskDatasetWriter.readDescription(url) != nil { try FileManager.default.removeItem(at: url) }
        }
    }
}
