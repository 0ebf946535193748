import Support
import FeatureIO
import Foundation
import Torch

/// The tensors of a checkpoint folder, handed out by name to the code that builds a
/// model (as candle's `VarBuilder` does): `model.safetensors`, or the shards listed
/// by `model.safetensors.index.json`.
///
/// Every request names the shape the module needs; a missing tensor or a wrong shape
/// is recorded rather than thrown, so that `finish` can name every problem at once,
/// together with every tensor of the file the module never asked for (except those
/// the family declares ignorable: `position_ids` buffers, an unused pooler...).
/// fp16, bf16 and fp64 tensors are converted to float32, the modules' dtype.
///
/// A checkpoint saved from a task model (`BertForSequenceClassification`) prefixes
/// the encoder's keys (`bert.`); `choosePrefix` finds which prefix the file uses.
public final class CheckpointWeights {
    public let directory: URL
    /// Every tensor name in the checkpoint, with the file holding it.
    public let files: [String: URL]
    /// The opened files (each header parsed once).
    private let opened: [URL: NamedArrayFile]
    /// The prefix put before every requested name (`""`, `"bert."`, ...).
    public private(set) var prefix = ""
    private var used = Set<String>()
    private var problems = [String]()

    public static let singleFile = "model.safetensors"
    public static let indexFile = "model.safetensors.index.json"

    /// Opens the checkpoint of `directory`; neither file present is an error naming both.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let single = directory.appendingPathComponent(Self.singleFile)
        let index = directory.appendingPathComponent(Self.indexFile)
        var files = [String: URL]()
        var opened = [URL: NamedArrayFile]()
        if fm.fileExists(atPath: single.path) {
            let file = try NamedArrayFile(single)
            opened[single] = file
            for key in file.keys { files[key] = single }
        } else if fm.fileExists(atPath: index.path) {
            let config = try ConfigFile(contentsOf: index)
            guard let map = config.object["weight_map"] as? [String: String] else {
                throw ModelError.invalidConfig(path: index.path, field: "weight_map", message: "expected an object of tensor name -> shard file")
            }
            var shardKeys = [String: Set<String>]()
            for shard in Set(map.values) {
                guard !shard.contains("/"), !shard.hasPrefix(".") else {
                    throw ModelError.invalidConfig(
                        path: index.path, field: "weight_map", message: "shard '\(shard)' is not a file name in the folder")
                }
                let url = directory.appendingPathComponent(shard)
                guard fm.fileExists(atPath: url.path) else {
                    throw ModelError.unreadable(path: url.path, message: "shard listed in \(Self.indexFile) does not exist")
                }
                let file = try NamedArrayFile(url)
                opened[url] = file
                shardKeys[shard] = Set(file.keys)
            }
            for (name, shard) in map {
                guard shardKeys[shard]?.contains(name) == true else {
                    throw ModelError.weights(
                        path: directory.appendingPathComponent(shard).path,
                        problems: ["tensor '\(name)' listed in \(Self.indexFile) is not in the shard"])
                }
                files[name] = directory.appendingPathComponent(shard)
            }
        } else {
            throw ModelError.unreadable(
                path: directory.path, message: "no \(Self.singleFile) or \(Self.indexFile) (only safetensors checkpoints are read)")
        }
        self.files = files
        self.opened = opened
    }

    public var names: [String] { files.keys.sorted() }

    /// Uses the first of `candidates` under which `probe` exists (e.g. `["", "bert."]`
    /// with probe `embeddings.word_embeddings.weight`); none is an error listing them.
    public func choosePrefix(_ candidates: [String], probe: String) throws {
        guard let found = candidates.first(where: { files[$0 + probe] != nil }) else {
            throw ModelError.weights(
                path: directory.path,
                problems: ["no tensor '\(probe)' under any of the prefixes \(candidates.map { "'\($0)'" }.joined(separator: ", "))"])
        }
        prefix = found
    }

    public func contains(_ name: String) -> Bool { files[prefix + name] != nil }

    /// The tensor `name` (under the chosen prefix) as float32 of `shape`. A missing
    /// tensor or another shape is recorded for `finish` and zeros are returned, so
    /// building continues and every problem is reported together.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let key = prefix + name
        guard let url = files[key] else {
            problems.append("missing tensor '\(key)' (expected shape \(shape))")
            return try Tensor.zeros(shape)
        }
        used.insert(key)
        let array = try opened[url]!.read(key)
        guard array.shape == shape else {
            problems.append("tensor '\(key)' in \(url.lastPathComponent) has shape \(array.shape), expected \(shape)")
            return try Tensor.zeros(shape)
        }
        guard array.dtype.isFloatingPoint else {
            problems.append("tensor '\(key)' in \(url.lastPathComponent) is \(array.dtype), expected a float type")
            return try Tensor.zeros(shape)
        }
        return try Tensor(array.values.map { Float($0) }, shape: shape)
    }

    /// Throws every recorded problem, and every tensor never requested that
    /// `ignorable` does not accept (it gets the full name, prefix included).
    public func finish(ignorable: (String) -> Bool = { _ in false }) throws {
        let unexpected = files.keys.filter { !used.contains($0) && !ignorable($0) }.sorted()
        let all = problems + unexpected.map { "unexpected tensor '\($0)' in \(files[$0]!.lastPathComponent)" }
        guard all.isEmpty else { throw ModelError.weights(path: directory.path, problems: all) }
    }

    /// SHA-256 over the weight files' digests in name order, for cache keys.
    public func digest() throws -> String {
        let urls = Set(files.values).sorted { $0.lastPathComponent < $1.lastPathComponent }
        let parts = try urls.map { url in
            let data = try Data(contentsOf: url, options: .alwaysMapped)
            return "\(url.lastPathComponent)=\(SHA256.hex(data))"
        }
        return SHA256.hex(Data(parts.joined(separator: "\n").utf8))
    }
}
