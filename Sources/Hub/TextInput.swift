import Support
import FeatureIO
import Foundation
import Models
import Tokenizers
import Torch

/// The tokeniser of a text hub entry (`input.kind: tokens`), set up as the model
/// needs it: truncation to the model's usable length (sentence-transformers'
/// `max_seq_length` when shorter) and padding to each batch's longest with the
/// model's padding id. It turns a batch's texts (one string or a pair per sample)
/// into the `input_ids`, `attention_mask` and `token_type_ids` tensors the model's
/// methods take: the Data and Tokenizers layers stay free of libtorch.
package struct TextInput: Sendable {
    package let tokenizer: Tokenizer
    /// Tokens per sequence at most, special tokens included.
    package let maxLength: Int
    package let padId: Int
    /// The files the token ids depend on (tokenizer and its configuration), for the cache key.
    package let files: [URL]
    /// The folder they are in (the checkpoint folder, or the card's `input.tokenizer`).
    package let folder: URL

    /// The files that can shape tokenisation, in the order they are hashed (with
    /// `config.json`, which gives the padding id, the files `tune` exports beside a
    /// tuned text model).
    static let tokenizerFiles = [
        "tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json",
        "sentence_bert_config.json",
    ]

    /// The tokeniser of `entry`'s checkpoint folder, or an error naming the model.
    package init(entry: HubEntry) throws {
        guard entry.card.input.kind == .tokens else {
            throw HubError.modelFailed(model: entry.name, message: "not a text model (input.kind is \(entry.card.input.kind.rawValue))")
        }
        let folder: URL
        if entry.isCheckpointFolder {
            folder = entry.modelFile
        } else if let named = entry.card.input.tokenizer {
            folder = entry.modelFile.deletingLastPathComponent().appendingPathComponent(named, isDirectory: true)
        } else {
            throw HubError.modelFailed(
                model: entry.name,
                message:
                    "\(entry.modelFile.lastPathComponent) takes token ids but is a TorchScript file: text extraction needs a checkpoint folder with its tokenizer (tokenizer.json, or vocab.txt), or the card's input.tokenizer naming a folder of the tokenizer files and config.json"
            )
        }
        let fm = FileManager.default
        guard ["tokenizer.json", "vocab.txt"].contains(where: { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }) else {
            throw HubError.modelFailed(
                model: entry.name,
                message: "no tokenizer in \(folder.lastPathComponent)/: expected tokenizer.json, or vocab.txt (with tokenizer_config.json)")
        }
        var tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer.load(folder)
        } catch {
            throw HubError.modelFailed(model: entry.name, message: "tokenizer: \(error)")
        }
        var maxLength = entry.card.input.sequenceLength ?? 512
        let stConfig = folder.appendingPathComponent("sentence_bert_config.json")
        if fm.fileExists(atPath: stConfig.path) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(contentsOf: stConfig))) as? [String: Any] else {
                throw HubError.modelFailed(model: entry.name, message: "\(folder.lastPathComponent)/sentence_bert_config.json: not a JSON object")
            }
            if let value = object["max_seq_length"] {
                guard let n = value as? Int, n >= 2 else {
                    throw HubError.modelFailed(
                        model: entry.name,
                        message:
                            "\(folder.lastPathComponent)/sentence_bert_config.json: field 'max_seq_length': expected an integer >= 2, found \(value)")
                }
                maxLength = min(maxLength, n)
            }
        }
        var padId = 0
        do {
            if case let .tokens(_, pad, _) = try Checkpoint.describe(folder).input { padId = pad }
        } catch {
            throw HubError.modelFailed(model: entry.name, message: "\(error)")
        }
        tokenizer.truncation = Truncation(maxLength: maxLength)
        let padToken = tokenizer.token(for: padId) ?? "[PAD]"
        tokenizer.padding = Padding(length: .longest, padId: padId, padTypeId: 0, padToken: padToken)
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.padId = padId
        self.folder = folder
        files = Self.tokenizerFiles.map { folder.appendingPathComponent($0) }.filter { fm.fileExists(atPath: $0.path) }
    }

    /// SHA-256 over the tokenizer files' digests and the truncation length.
    package func digest() throws -> String {
        var parts = ["max_length=\(maxLength)", "pad=\(padId)"]
        for file in files { parts.append("\(file.lastPathComponent)=\(try FileDigest.sha256(of: file))") }
        return SHA256.hex(Data(parts.joined(separator: "\n").utf8))
    }

    /// Token ids, attention mask and token types [B, L] (int64) of a batch of texts,
    /// each one string or a pair, padded to the batch's longest.
    package func encode(_ texts: [[String]], model: String) throws -> (ids: Tensor, mask: Tensor, types: Tensor) {
        try tensors(of: try encodeUnpadded(texts, model: model))
    }

    /// Each text (or pair) tokenised, truncated and given its special tokens, but not
    /// padded: length bucketing sorts these by length before batching them.
    package func encodeUnpadded(_ texts: [[String]], model: String) throws -> [Encoding] {
        guard !texts.isEmpty else { throw HubError.modelFailed(model: model, message: "empty text batch") }
        let inputs: [(String, String?)] = try texts.map { sample in
            switch sample.count {
            case 1: return (sample[0], nil)
            case 2: return (sample[0], sample[1])
            default:
                throw HubError.modelFailed(model: model, message: "a text sample has \(sample.count) texts; expected one, or a pair")
            }
        }
        var unpadded = tokenizer
        unpadded.padding = nil
        do {
            return try unpadded.encodeBatch(inputs)
        } catch {
            throw HubError.modelFailed(model: model, message: "tokenizer: \(error)")
        }
    }

    /// The [B, L] tensors of unpadded encodings, each padded on the right to the
    /// longest of them (L) with the model's padding id, mask 0 and token type 0:
    /// the padding `init` sets on the tokenizer, applied per group.
    package func tensors(of encodings: [Encoding]) throws -> (ids: Tensor, mask: Tensor, types: Tensor) {
        let length = encodings.map(\.ids.count).max() ?? 0
        var ids = [Int](), mask = [Int](), types = [Int]()
        ids.reserveCapacity(encodings.count * length)
        mask.reserveCapacity(encodings.count * length)
        types.reserveCapacity(encodings.count * length)
        for e in encodings {
            let k = length - e.ids.count
            ids += e.ids
            ids += repeatElement(padId, count: k)
            mask += e.attentionMask
            mask += repeatElement(0, count: k)
            types += e.typeIds
            types += repeatElement(0, count: k)
        }
        let shape = [encodings.count, length]
        return (try Tensor(ids, shape: shape), try Tensor(mask, shape: shape), try Tensor(types, shape: shape))
    }
}
