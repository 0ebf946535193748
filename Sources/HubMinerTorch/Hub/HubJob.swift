import FeatureIO
import Foundation
import HubMiner
import Hub
import Report
import Support

/// One row of `hub list` / `hub inspect`.
package struct HubModelReport: Codable, Sendable, Equatable {
    package var name: String
    package var file: String
    package var parameters: Int?
    package var sourceDataset: String?
    package var license: String?
    package var featureDimension: Int?
    package var sourceClasses: Int?
    /// The card's `hints` stage ("method hints"); `inspect` adds the maps' shapes on
    /// its dummy batch of 2.
    package var hints: String?
    /// Set by `inspect`: "ok", or the problem.
    package var status: String

    package init(
        name: String, file: String, parameters: Int? = nil, sourceDataset: String? = nil, license: String? = nil,
        featureDimension: Int? = nil, sourceClasses: Int? = nil, hints: String? = nil, status: String
    ) {
        self.name = name
        self.file = file
        self.parameters = parameters
        self.sourceDataset = sourceDataset
        self.license = license
        self.featureDimension = featureDimension
        self.sourceClasses = sourceClasses
        self.hints = hints
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case name, file, parameters, sourceDataset = "source_dataset", license
        case featureDimension = "feature_dimension", sourceClasses = "source_classes", hints, status
    }
}

/// `hub list`, `hub inspect` and `hub add`.
package enum HubJob {
    /// The cards as written, with broken ones listed with their problem.
    package static func list(_ hub: URL) throws -> [HubModelReport] {
        let manifest = try HubManifest.load(hub)
        return rows(manifest, probe: false, only: nil)
    }

    /// Loads each model and runs a dummy batch of 2 at its input size; problems are
    /// reported per model and never stop the others.
    package static func inspect(_ hub: URL, model: String? = nil) throws -> [HubModelReport] {
        let manifest = try HubManifest.load(hub)
        if let model, manifest.entry(named: model) == nil, !manifest.problems.contains(where: { $0.name == model }) {
            throw HubError.invalidArgument("no model named \(model) in \(hub.path) (models: \(manifest.entries.map(\.name).joined(separator: ", ")))")
        }
        return rows(manifest, probe: true, only: model)
    }

    static func rows(_ manifest: HubManifest, probe: Bool, only: String?) -> [HubModelReport] {
        var out = [HubModelReport]()
        for entry in manifest.entries where only == nil || entry.name == only {
            let card = entry.card
            var row = HubModelReport(
                name: entry.name, file: card.file, parameters: card.metadata.parameters,
                sourceDataset: card.metadata.sourceDataset, license: card.metadata.license,
                featureDimension: card.metadata.featureDimension, sourceClasses: card.metadata.sourceClasses,
                hints: card.hints?.summary, status: probe ? "ok" : "-")
            if probe {
                do {
                    let extractor = try FeatureExtractor(entry: entry)
                    row.parameters = extractor.parameterCount
                    let (dimension, classes) = try extractor.probe(batch: 2)
                    row.featureDimension = dimension
                    row.sourceClasses = classes
                    if let shapes = try extractor.probeHints(batch: 2), let stage = card.hints {
                        row.hints = "\(stage.summary): " + shapes.map { "\($0)" }.joined(separator: ", ")
                    }
                    if let stated = card.metadata.featureDimension, stated != dimension {
                        row.status = "card says feature_dimension \(stated), the model gives \(dimension)"
                    }
                } catch {
                    row.status = "\(error)"
                }
            }
            out.append(row)
        }
        for problem in manifest.problems where only == nil || problem.name == only {
            out.append(HubModelReport(name: problem.name, file: "?", status: problem.message))
        }
        return out.sorted { $0.name < $1.name }
    }

    /// Copies `model` into the hub and writes its card, both atomically, after
    /// checking that the model loads and runs on a dummy batch with the card's
    /// settings. The card's feature dimension, source classes and parameter count are
    /// filled in from that run.
    package static func add(hub: URL, model: URL, card: ModelCard) throws -> HubModelReport {
        try createHubFolder(hub)
        let cardURL = hub.appendingPathComponent(card.name + ".json")
        let cardName = "\(hub.lastPathComponent)/\(card.name).json"
        if let (field, message) = card.validationProblem() { throw HubError.invalidCard(card: cardName, field: field, message: message) }
        let existing = try HubManifest.load(hub)
        if existing.entry(named: card.name) != nil || FileManager.default.fileExists(atPath: cardURL.path) {
            throw HubError.invalidArgument("\(hub.path) already has a model named \(card.name)")
        }
        let target = hub.appendingPathComponent(card.file)
        if FileManager.default.fileExists(atPath: target.path) {
            throw HubError.invalidArgument("\(target.path) already exists; choose another --name")
        }
        // Check the model from where it is, before anything is written into the hub.
        let probeEntry = HubEntry(card: card, cardName: cardName, modelFile: model)
        let extractor = try FeatureExtractor(entry: probeEntry)
        let (dimension, classes) = try extractor.probe(batch: 2)
        var final = card
        final.metadata.featureDimension = dimension
        final.metadata.sourceClasses = classes
        final.metadata.parameters = card.metadata.parameters ?? extractor.parameterCount
        // Model first, card second: a kill in between leaves a model without a card,
        // which `hub list` reports, never a card pointing at a partial file.
        try writeAtomically(try Data(contentsOf: model), to: target)
        try writeAtomically(try HubManifest.encodeCard(final), to: cardURL)
        return HubModelReport(
            name: final.name, file: final.file, parameters: final.metadata.parameters,
            sourceDataset: final.metadata.sourceDataset, license: final.metadata.license,
            featureDimension: dimension, sourceClasses: classes, status: "added")
    }
}

extension HubJob {
    /// Creates `hub` (and missing parents) unless it is already a directory: the
    /// first `hub add` makes the hub. Anything else at that path is refused.
    package static func createHubFolder(_ hub: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: hub.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw HubError.notAHub(path: hub.path, reason: "exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        } catch {
            throw HubError.notAHub(path: hub.path, reason: "cannot create it: \((error as NSError).localizedDescription)")
        }
    }
}

/// Renders hub reports as a table or JSON.
package enum HubRenderer {
    package static func render(_ rows: [HubModelReport], as format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return try JSONText.pretty(rows)
        case .csv:
            var lines = ["name,file,parameters,source_dataset,feature_dimension,source_classes,hints,status"]
            for r in rows {
                let fields = [
                    r.name, r.file, r.parameters.map(String.init) ?? "", r.sourceDataset ?? "",
                    r.featureDimension.map(String.init) ?? "", r.sourceClasses.map(String.init) ?? "", r.hints ?? "", r.status,
                ]
                lines.append(fields.map(CSVField.escape).joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(
                headers: ["model", "file", "params", "source data", "dim", "classes", "hints", "status"],
                alignments: [.left, .left, .right, .left, .right, .right, .left, .left])
            for r in rows {
                table.append([
                    r.name, r.file, r.parameters.map(String.init) ?? "-", r.sourceDataset ?? "-",
                    r.featureDimension.map(String.init) ?? "-", r.sourceClasses.map(String.init) ?? "-",
                    r.hints ?? "-", r.status,
                ])
            }
            return table.rendered()
        }
    }
}
