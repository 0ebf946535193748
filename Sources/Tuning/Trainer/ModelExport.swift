import FeatureIO
import Foundation
import Hub
import Torch
import Support

/// Writes a tuned network as an ordinary hub entry (`OUT/model/<name>.pt` and
/// `<name>.json`): the trained TorchScript module with the new head added as a
/// submodule, and a card whose representation, hints and input are the original
/// card's and whose `source_head` is that submodule, giving logits over the target
/// classes. The entry can be ranked, extracted, or used as a teacher in the
/// target's output space.
///
/// A text model is exported the same way (its module's methods take token ids), with
/// the files its tokenizer needs copied into `<name>.tokenizer/` beside it
/// (`tokenizer.json` or `vocab.txt`, their configurations, `sentence_bert_config.json`
/// and `config.json`), which the card names as `input.tokenizer`: the entry tokenises
/// texts exactly as the tuned model was trained.
package enum ModelExport {
    /// The exported card (and where it was written).
    package struct Exported: Sendable, Equatable {
        package var card: ModelCard
        package var directory: URL
    }

    /// Exports `model` with `head` (the live tensors are copied into the saved file).
    /// The module is left in eval mode with the head registered under a fresh name.
    package static func export(
        model: HubModel, head: LinearHead, name: String, to directory: URL,
        description: String, sourceDataset: String?
    ) throws -> Exported {
        let module = model.module
        let taken = Set(module.childNames)
        var headName = "tuned_head"
        var n = 2
        while taken.contains(headName) { headName = "tuned_head_\(n)"; n += 1 }

        let headModule = try ScriptModule(name: "TunedHead")
        try headModule.registerParameter("weight", try head.weight.detach().clone())
        try headModule.registerParameter("bias", try head.bias.detach().clone())
        // addmm is what `linear` computes for a 2-D input with a bias, so the saved
        // head gives the trainer's logits bit for bit.
        try headModule.define(
            """
            def forward(self, x):
                return torch.addmm(self.bias, x, self.weight.t())
            """)
        try module.eval()
        try module.registerModule(headName, headModule)

        var card = model.card
        card.name = name
        card.file = name + ".pt"
        let tokenizerFolder = name + ".tokenizer"
        if model.takesTexts { card.input.tokenizer = tokenizerFolder }
        card.sourceHead = Stage(submodule: headName)
        card.metadata = Metadata(
            parameters: try module.parameters().reduce(0) { $0 + $1.count },
            sourceDataset: sourceDataset, license: model.card.metadata.license, description: description,
            featureDimension: head.featureDimension, sourceClasses: head.classCount)

        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if let textInput = model.textInput {
                try exportTokenizer(textInput, to: directory.appendingPathComponent(tokenizerFolder, isDirectory: true))
            }
            // Model first, then its card, each through a temporary file and a rename:
            // an interruption never leaves a card pointing at a partial model.
            let modelURL = directory.appendingPathComponent(card.file)
            let temporary = directory.appendingPathComponent(".\(card.file).\(UUID().uuidString).tmp")
            try module.save(to: temporary.path)
            guard rename(temporary.path, modelURL.path) == 0 else {
                try? FileManager.default.removeItem(at: temporary)
                throw TuningError.model(name: name, message: "cannot move the model into \(modelURL.path): \(String(cString: strerror(errno)))")
            }
            try writeAtomically(try HubManifest.encodeCard(card), to: directory.appendingPathComponent(name + ".json"))
        } catch {
            throw TuningError.model(name: name, message: "cannot export to \(directory.path): \(error)")
        }
        return Exported(card: card, directory: directory)
    }

    /// Copies the tokenizer's files (and `config.json`, for the padding id) into a
    /// fresh `folder`: built under a temporary name, then renamed over any old one.
    static func exportTokenizer(_ textInput: TextInput, to folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".\(folder.lastPathComponent).\(UUID().uuidString).tmp", isDirectory: true)
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        do {
            let sources = textInput.files + [textInput.folder.appendingPathComponent("config.json")]
            for file in sources where fm.fileExists(atPath: file.path) {
                try fm.copyItem(at: file, to: temporary.appendingPathComponent(file.lastPathComponent))
            }
            if fm.fileExists(atPath: folder.path) { try fm.removeItem(at: folder) }
            try fm.moveItem(at: temporary, to: folder)
        } catch {
            try? fm.removeItem(at: temporary)
            throw error
        }
    }
}
