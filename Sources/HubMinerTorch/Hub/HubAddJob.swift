import Foundation
import Hub
import Report

/// One row of `hub add`: what happened to one model file.
package struct HubAddRow: Codable, Sendable, Equatable {
    package var name: String
    /// The model file as given (or found in a given folder).
    package var source: String
    /// "added", or why the model was not added.
    package var status: String
    /// The card's input, e.g. "image 3x32x32" or "tabular 16".
    package var input: String
    /// The card's representation, e.g. "method:forward" or "submodule:layer4, avg".
    package var representation: String
    package var featureDimension: Int?
    package var parameters: Int?

    package var added: Bool { status == "added" }

    enum CodingKeys: String, CodingKey {
        case name, source, status, input, representation, featureDimension = "feature_dimension", parameters
    }
}

/// `hub add` with several models: each `--model` file, or each model file of a
/// `--model` folder, is added with the same card options; a model that fails is
/// reported in its row and the others are still added.
package enum HubAddJob {
    /// The model files `paths` name: files as given, folders expanded to the model
    /// files they hold (TorchScript and AOTInductor extensions, sorted by name).
    package static func modelFiles(_ paths: [String]) throws -> [URL] {
        var files = [URL]()
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                // Reported in the model's row (the others are still added).
                files.append(url)
                continue
            }
            guard isDirectory.boolValue else {
                files.append(url)
                continue
            }
            let found = try FileManager.default.contentsOfDirectory(atPath: url.path).filter {
                !$0.hasPrefix(".") && HubManifest.modelExtensions.contains(($0 as NSString).pathExtension.lowercased())
            }.sorted()
            guard !found.isEmpty else {
                throw HubError.invalidArgument(
                    "--model \(path): the folder holds no model file (\(HubManifest.modelExtensions.map { "." + $0 }.joined(separator: ", ")))")
            }
            files += found.map { url.appendingPathComponent($0) }
        }
        return files
    }

    /// Adds every file to `hub` (created when missing) with the card `card(name, file)`
    /// describes; `name` is the explicit name of a single model, else each file's stem.
    package static func run(
        hub: URL, files: [URL], name: String?, card: (String, URL) throws -> ModelCard
    ) throws -> [HubAddRow] {
        if name != nil, files.count != 1 {
            throw HubError.invalidArgument("--name names a single model, but \(files.count) model files were given")
        }
        try HubJob.createHubFolder(hub)
        var rows = [HubAddRow]()
        for file in files {
            let modelName = name ?? file.deletingPathExtension().lastPathComponent
            var row = HubAddRow(name: modelName, source: file.relativePath, status: "", input: "-", representation: "-")
            do {
                let modelCard = try card(modelName, file)
                row.input = describe(modelCard.input)
                row.representation = describe(modelCard.representation)
                guard FileManager.default.fileExists(atPath: file.path) else {
                    throw HubError.invalidArgument("\(file.relativePath): no such file")
                }
                let added = try HubJob.add(hub: hub, model: file, card: modelCard)
                row.status = added.status
                row.featureDimension = added.featureDimension
                row.parameters = added.parameters
            } catch {
                row.status = "failed: \(error)"
            }
            rows.append(row)
        }
        return rows
    }

    static func describe(_ input: InputSpec) -> String {
        switch input.kind {
        case .image: "image \(input.channels)x\(input.height)x\(input.width)"
        case .tabular: "tabular \(input.features.map(String.init) ?? "?")"
        case .tokens: "tokens \(input.sequenceLength.map(String.init) ?? "?")"
        }
    }

    static func describe(_ representation: RepresentationSpec) -> String {
        var text = representation.method.map { "method:\($0)" } ?? representation.submodule.map { "submodule:\($0)" } ?? "method:forward"
        if representation.pooling != .none { text += ", \(representation.pooling.rawValue)" }
        return text
    }
}

/// `hub add`'s summary: one row per model.
package enum HubAddRenderer {
    package static func render(_ rows: [HubAddRow], as format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return try JSONText.pretty(rows)
        case .csv:
            var lines = ["name,status,input,representation,feature_dimension,parameters,source"]
            for r in rows {
                lines.append(
                    [
                        r.name, r.status, r.input, r.representation, r.featureDimension.map(String.init) ?? "",
                        r.parameters.map(String.init) ?? "", r.source,
                    ].map(CSVField.escape).joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var table = TextTable(
                headers: ["name", "status", "input", "representation", "dim", "params"],
                alignments: [.left, .left, .left, .left, .right, .right])
            for r in rows {
                table.append([
                    r.name, r.status, r.input, r.representation, r.featureDimension.map(String.init) ?? "-",
                    r.parameters.map(String.init) ?? "-",
                ])
            }
            return table.rendered()
        }
    }

    /// The one-line summary printed with --output.
    package static func summary(_ rows: [HubAddRow], hub: String) -> String {
        let added = rows.filter(\.added).count
        var text = "added \(added) of \(rows.count) model\(rows.count == 1 ? "" : "s") to \(hub)"
        let failed = rows.filter { !$0.added }.map(\.name)
        if !failed.isEmpty { text += "; failed: \(failed.joined(separator: ", "))" }
        return text
    }
}
