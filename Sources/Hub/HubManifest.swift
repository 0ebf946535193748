import FeatureIO
import Foundation
import Support
import Models

/// Problems with a hub or one of its models. `description` is one line naming the
/// card file (or model) and field, like the other targets' errors.
package enum HubError: Error, CustomStringConvertible, Sendable, Equatable {
    case notAHub(path: String, reason: String)
    /// A card field with a bad value: "hub/resnet.json: field 'input.mean': ...".
    case invalidCard(card: String, field: String, message: String)
    /// A card that is not valid JSON or lacks a required field.
    case unreadableCard(card: String, message: String)
    case missingModelFile(card: String, file: String)
    /// Loading or running the TorchScript module failed.
    case modelFailed(model: String, message: String)
    /// The representation has the wrong shape after pooling.
    case wrongRank(model: String, shape: [Int], message: String)
    case duplicateName(name: String, cards: [String])
    case invalidArgument(String)

    package var description: String {
        switch self {
        case let .notAHub(path, reason): return "\(path): not a hub: \(reason)"
        case let .invalidCard(card, field, message): return "\(card): field '\(field)': \(message)"
        case let .unreadableCard(card, message): return "\(card): \(message)"
        case let .missingModelFile(card, file): return "\(card): field 'file': '\(file)' does not exist"
        case let .modelFailed(model, message): return "\(model): \(message)"
        case let .wrongRank(model, shape, message): return "\(model): representation has shape \(shape): \(message)"
        case let .duplicateName(name, cards): return "model name '\(name)' is used by several cards (\(cards.joined(separator: ", ")))"
        case let .invalidArgument(message): return message
        }
    }
}

/// One model of a hub: its card, where the card was read, and the model file.
package struct HubEntry: Sendable, Equatable {
    package var card: ModelCard
    /// For messages: "hub/resnet.json" or "hub/hub.json[2]".
    package var cardName: String
    package var modelFile: URL
    package var name: String { card.name }

    package init(card: ModelCard, cardName: String, modelFile: URL) {
        self.card = card
        self.cardName = cardName
        self.modelFile = modelFile
    }
}

/// A model that could not be listed, with the reason; the rest of the hub still loads.
package struct HubProblem: Sendable, Equatable {
    package var name: String
    package var message: String
}

/// The models of a hub directory. Cards come from `hub.json` (`{"models": [card, ...]}`
/// or a bare list) and from `<stem>.json` files beside the models; a TorchScript
/// file (`.pt`, `.pth`, `.ts`) without a card is a problem, as is a broken card.
/// Checkpoint folders (Hugging Face / timm: `config.json` + safetensors, or a Hugging
/// Face cache's `models--ORG--NAME`) need no card: one is derived from their
/// configuration (`CheckpointEntries`), and a written card naming the folder overrides it.
package struct HubManifest: Sendable {
    package static let manifestName = "hub.json"
    package static let modelExtensions = ["pt", "pth", "ts", "pt2"]

    package var directory: URL
    /// Valid entries, sorted by name.
    package var entries: [HubEntry]
    /// Cards or files that were skipped, with the reason.
    package var problems: [HubProblem]

    package func entry(named name: String) -> HubEntry? { entries.first { $0.name == name } }

    /// The entries and card problems of the models `wanted` names (all when nil), in
    /// hub order; a name that is neither a model nor a problem's is an error listing
    /// the hub's models (`--models` of extraction and ranking).
    package func selecting(_ wanted: [String]?) throws -> (entries: [HubEntry], problems: [HubProblem]) {
        guard let wanted else { return (entries, problems) }
        let unknown = wanted.filter { name in entry(named: name) == nil && !problems.contains { $0.name == name } }
        guard unknown.isEmpty else {
            throw HubError.invalidArgument(
                "no model named \(unknown.joined(separator: ", ")) in \(directory.path) (models: \(entries.map(\.name).joined(separator: ", ")))")
        }
        return (entries.filter { wanted.contains($0.name) }, problems.filter { wanted.contains($0.name) })
    }

    /// Reads every card of `directory`. Throws only when the directory itself is
    /// unusable; bad cards become `problems`.
    package static func load(_ directory: URL) throws -> HubManifest {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubError.notAHub(path: directory.path, reason: "not a directory")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
        let hubName = directory.lastPathComponent
        var found = [HubEntry]()
        var problems = [HubProblem]()

        let checkpoints = CheckpointEntries.discover(in: directory)

        func accept(_ json: Any, cardName: String) {
            do {
                // Anything but an object (`[7]`, a string) is a broken card, reported like
                // the others; JSONSerialization would trap on a bare number below.
                guard var json = json as? [String: Any] else {
                    throw HubError.unreadableCard(
                        card: cardName, message: "expected a card object {\"name\": ..., \"file\": ...}, found \(jsonKind(json))")
                }
                // A card naming a checkpoint folder overrides the card derived from it.
                if let file = json["file"] as? String,
                    let checkpoint = checkpoints.found.first(where: { $0.file == file || $0.file == file + "/" })
                {
                    let derived = try CheckpointEntries.derivedCard(
                        name: json["name"] as? String ?? checkpoint.name, file: checkpoint.file,
                        folder: directory.appendingPathComponent(checkpoint.file))
                    json = try CheckpointEntries.overlay(json, on: derived)
                }
                let data = try JSONSerialization.data(withJSONObject: json)
                let card = try decodeCard(data, cardName: cardName)
                if let (field, message) = card.validationProblem() {
                    throw HubError.invalidCard(card: cardName, field: field, message: message)
                }
                let file = directory.appendingPathComponent(card.file)
                guard FileManager.default.fileExists(atPath: file.path) else {
                    throw HubError.missingModelFile(card: cardName, file: card.file)
                }
                found.append(HubEntry(card: card, cardName: cardName, modelFile: file))
            } catch {
                let name = ((json as? [String: Any])?["name"] as? String) ?? cardName
                problems.append(HubProblem(name: name, message: "\(error)"))
            }
        }

        if names.contains(manifestName) {
            let cardName = "\(hubName)/\(manifestName)"
            do {
                let data = try Data(contentsOf: directory.appendingPathComponent(manifestName))
                let json = try JSONSerialization.jsonObject(with: data)
                let list: [Any]
                if let l = json as? [Any] {
                    list = l
                } else if let object = json as? [String: Any], let l = object["models"] as? [Any] {
                    list = l
                } else {
                    throw HubError.unreadableCard(card: cardName, message: "expected a list of cards or {\"models\": [...]}")
                }
                for (i, item) in list.enumerated() { accept(item, cardName: "\(cardName)[\(i)]") }
            } catch let error as HubError {
                problems.append(HubProblem(name: manifestName, message: error.description))
            } catch {
                problems.append(HubProblem(name: manifestName, message: "\(cardName): not valid JSON: \(error.localizedDescription)"))
            }
        }
        for name in names where name.hasSuffix(".json") && name != manifestName {
            let cardName = "\(hubName)/\(name)"
            do {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                accept(try JSONSerialization.jsonObject(with: data), cardName: cardName)
            } catch {
                problems.append(HubProblem(name: String(name.dropLast(5)), message: "\(cardName): not valid JSON: \(error.localizedDescription)"))
            }
        }
        // Checkpoint folders no card names get the card derived from their configuration.
        let named = Set(found.map { $0.modelFile.standardizedFileURL.path } + problems.map(\.name))
        for checkpoint in checkpoints.found {
            let folder = directory.appendingPathComponent(checkpoint.file)
            guard !named.contains(folder.standardizedFileURL.path), !named.contains(checkpoint.name) else { continue }
            do {
                let card = try CheckpointEntries.derivedCard(name: checkpoint.name, file: checkpoint.file, folder: folder)
                found.append(HubEntry(card: card, cardName: "\(hubName)/\(checkpoint.file)/config.json", modelFile: folder))
            } catch {
                problems.append(HubProblem(name: checkpoint.name, message: "\(error)"))
            }
        }
        // A folder a card names as its tokenizer (`input.tokenizer`: config.json and
        // tokenizer files, no weights) is part of that entry, not a broken checkpoint.
        let tokenizerFolders = Set(
            found.compactMap { entry in
                entry.card.input.tokenizer.map {
                    entry.modelFile.deletingLastPathComponent().appendingPathComponent($0).standardizedFileURL.path
                }
            })
        problems += checkpoints.problems.filter {
            !tokenizerFolders.contains(directory.appendingPathComponent($0.name).standardizedFileURL.path)
        }
        // Duplicates: all copies are skipped, since which one is meant is unknown.
        let byName = Dictionary(grouping: found, by: \.name)
        var entries = [HubEntry]()
        for (name, group) in byName {
            if group.count > 1 {
                problems.append(HubProblem(name: name, message: HubError.duplicateName(name: name, cards: group.map(\.cardName)).description))
            } else {
                entries.append(group[0])
            }
        }
        let described = Set(found.map { $0.modelFile.standardizedFileURL.path })
        for name in names where modelExtensions.contains((name as NSString).pathExtension.lowercased()) {
            let path = directory.appendingPathComponent(name).standardizedFileURL.path
            let stem = (name as NSString).deletingPathExtension
            // A file whose card is broken is already reported under the card's problem.
            if !described.contains(path), !problems.contains(where: { $0.name == stem }) {
                problems.append(
                    HubProblem(
                        name: (name as NSString).deletingPathExtension,
                        message:
                            "\(hubName)/\(name): no model card (add \((name as NSString).deletingPathExtension).json or an entry in \(manifestName))")
                )
            }
        }
        return HubManifest(
            directory: directory, entries: entries.sorted { $0.name < $1.name },
            problems: problems.sorted { $0.name < $1.name })
    }

    /// "a number", "a list", ... for messages about a JSON value of the wrong kind.
    static func jsonKind(_ value: Any) -> String {
        switch value {
        case is [Any]: return "a list"
        case is String: return "a string"
        case is NSNull: return "null"
        case is NSNumber: return "a number or boolean"
        default: return "\(type(of: value))"
        }
    }

    /// Decodes one card, turning decoding errors into messages naming the card and field.
    package static func decodeCard(_ data: Data, cardName: String) throws -> ModelCard {
        do {
            return try JSONDecoder().decode(ModelCard.self, from: data)
        } catch let error as StrictDecoding.UnknownField {
            throw HubError.invalidCard(
                card: cardName, field: error.path, message: "unknown field (allowed here: \(error.known.joined(separator: ", ")))")
        } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw HubError.invalidCard(card: cardName, field: path, message: "required field is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw HubError.invalidCard(
                card: cardName, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                message: "expected \(type)")
        } catch let DecodingError.dataCorrupted(context) {
            throw HubError.invalidCard(
                card: cardName, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                message: context.debugDescription)
        } catch let DecodingError.valueNotFound(type, context) {
            throw HubError.invalidCard(
                card: cardName, field: context.codingPath.map(\.stringValue).joined(separator: "."),
                message: "expected \(type), found null")
        }
    }

    /// The card as written by `hub add`: pretty, sorted keys, snake_case.
    package static func encodeCard(_ card: ModelCard) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(card)
    }
}
