import FeatureIO
import Foundation
import RunSchema
import Torch
import Support

/// Running sums of the epoch in progress (what its `epoch` log line reports), kept
/// in checkpoints so an epoch resumed half-way reports the same numbers.
struct EpochTotals: Codable, Equatable {
    /// Sample-weighted sums of each term's unweighted loss, and of "total".
    var lossSums: [String: Double] = [:]
    var samples = 0
    var correct = 0
}

/// Where training stands: everything a checkpoint stores besides tensors.
///
/// Random state is not stored: it is derived from the seed and these counters.
/// The data order of epoch e is seeded by (seed, e), each sample's augmentation by
/// (seed, e, index), and libtorch's global generator (dropout) is reseeded before
/// every step from (seed, iteration), so a resumed run draws the same numbers.
struct TrainingPosition: Codable, Equatable {
    /// 2: `best`/`last` are the log's epoch records (`RunSchema.EpochRecord`).
    static let formatVersion = 2
    var version = formatVersion
    var seed: UInt64
    /// The epoch in progress, from 0.
    var epoch = 0
    /// Batches of that epoch already trained on.
    var batchInEpoch = 0
    /// Optimiser steps taken.
    var iteration = 0
    var schedulerStep = 0
    /// Training seconds before this process (resumed runs continue the count).
    var seconds = 0.0
    /// Length of log.jsonl when the checkpoint was written.
    var logBytes: UInt64 = 0
    var totals = EpochTotals()
    /// The best and the last epoch, as their `log.jsonl` lines recorded them.
    var best: EpochRecord?
    var last: EpochRecord?
    /// Files inside the checkpoint directory.
    var tensorsFile = ""
    var tensorNames: [String] = []
    var optimizerFile = ""
    /// The best epoch's model and head (for export), when there is one.
    var bestFile: String?
    var bestNames: [String] = []
    /// SHA-256 of each file above, by name, checked before the file is read back.
    var digests: [String: String]?
    /// What the run was started on, checked on resume.
    var fingerprint: RunFingerprint?
    /// SHA-256 of this record written with `checksum` absent (catches a hand-edited
    /// iteration count or file name).
    var checksum: String?
}

/// The configuration and the dataset a checkpoint belongs to, as digests: a resume
/// with another configuration or changed data (same size, other labels) is refused.
package struct RunFingerprint: Codable, Equatable, Sendable {
    /// SHA-256 of the resolved configuration (keys sorted; loader threads left out).
    package var configuration: String
    /// SHA-256 over the training and validation sets' content fingerprints.
    package var dataset: String

    package init(configuration: String, dataset: String) {
        self.configuration = configuration
        self.dataset = dataset
    }

    /// The fingerprint of a resolved configuration (`config.json`'s bytes) and the two splits.
    package static func of(resolvedConfiguration json: Data, train: String, validation: String) -> RunFingerprint {
        var object = (try? JSONSerialization.jsonObject(with: json) as? [String: Any]) ?? [:]
        for key in ConfigurationComparison.ignored { object.removeValue(forKey: key) }
        let canonical = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? json
        return RunFingerprint(configuration: SHA256.hex(canonical), dataset: SHA256.hex("train=\(train)\nvalidation=\(validation)"))
    }
}

/// `OUT/checkpoint/`: `state.json` (the position, naming the other files),
/// `tensors-*.pt` (model parameters and buffers, head, loss-term state),
/// `optimizer-*.pt` (`OptimizerState.save`) and `best-*.pt`. Tensor files get a
/// fresh name on every save and `state.json` is replaced atomically last, so a
/// kill at any moment leaves the previous checkpoint intact; files no longer named
/// are removed after the commit.
struct CheckpointStore {
    static let stateName = "state.json"
    let directory: URL

    var stateURL: URL { directory.appendingPathComponent(Self.stateName) }
    var exists: Bool { FileManager.default.fileExists(atPath: stateURL.path) }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// A new unique file name for `kind` ("tensors", "optimizer", "best").
    func freshName(_ kind: String, iteration: Int) -> String {
        "\(kind)-\(iteration)-\(UUID().uuidString.prefix(8).lowercased()).pt"
    }

    func prepare() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TuningError.checkpoint(message: "cannot create \(directory.path): \(error.localizedDescription)")
        }
    }

    func saveTensors(_ named: [(name: String, tensor: Tensor)], as name: String) throws {
        do {
            try TensorList.save(try named.map { try $0.tensor.detach().contiguous() }, to: file(name).path)
        } catch {
            throw TuningError.checkpoint(message: "cannot write \(file(name).path): \(error)")
        }
    }

    func loadTensors(_ name: String, names: [String]) throws -> [String: Tensor] {
        let tensors: [Tensor]
        do {
            tensors = try TensorList.load(from: file(name).path)
        } catch {
            throw TuningError.checkpoint(message: "cannot read \(file(name).path): \(error)")
        }
        guard tensors.count == names.count else {
            throw TuningError.checkpoint(message: "\(file(name).path) holds \(tensors.count) tensors, \(Self.stateName) names \(names.count)")
        }
        return Dictionary(uniqueKeysWithValues: zip(names, tensors).map { ($0, $1) })
    }

    private static func encoded(_ position: TrainingPosition) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(position)
    }

    /// SHA-256 of the position as written without its checksum.
    private static func checksum(_ position: TrainingPosition) throws -> String {
        var bare = position
        bare.checksum = nil
        return SHA256.hex(try encoded(bare))
    }

    /// Makes `position` the checkpoint (with the digests of its files and its own
    /// checksum), then deletes files it no longer names.
    func commit(_ position: TrainingPosition) throws {
        var position = position
        do {
            var digests = [String: String]()
            for name in [position.tensorsFile, position.optimizerFile, position.bestFile].compactMap({ $0 }) where !name.isEmpty {
                digests[name] = try FileDigest.sha256(of: file(name))
            }
            position.digests = digests
            position.checksum = try Self.checksum(position)
            try writeAtomically(try Self.encoded(position), to: stateURL)
        } catch {
            throw TuningError.checkpoint(message: "cannot write \(stateURL.path): \(error)")
        }
        let keep = Set([position.tensorsFile, position.optimizerFile, position.bestFile].compactMap { $0 } + [Self.stateName])
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where !keep.contains(name) {
            if name.hasSuffix(".pt") { try? FileManager.default.removeItem(at: file(name)) }
        }
    }

    func load() throws -> TrainingPosition {
        let data: Data
        do {
            data = try Data(contentsOf: stateURL)
        } catch {
            throw TuningError.checkpoint(message: "no checkpoint to resume from (\(stateURL.path) cannot be read)")
        }
        let position: TrainingPosition
        do {
            position = try JSONDecoder().decode(TrainingPosition.self, from: data)
        } catch {
            throw TuningError.checkpoint(message: "\(stateURL.path) is not a checkpoint state (\(error))")
        }
        guard position.version == TrainingPosition.formatVersion else {
            throw TuningError.checkpoint(
                message: "\(stateURL.path) has format version \(position.version), this program reads \(TrainingPosition.formatVersion)")
        }
        // Checkpoints written before checksums existed have none and are taken as they are.
        if let recorded = position.checksum, recorded != (try? Self.checksum(position)) {
            throw TuningError.checkpoint(
                message: "\(stateURL.path) was modified after it was written (its checksum does not match); start the run again without --resume")
        }
        return position
    }

    /// Checks `name` against the digest `position` recorded for it.
    func verify(_ name: String, in position: TrainingPosition) throws {
        guard let expected = position.digests?[name] else { return }
        let actual: String
        do {
            actual = try FileDigest.sha256(of: file(name))
        } catch {
            throw TuningError.checkpoint(message: "cannot read \(file(name).path): \(error)")
        }
        guard actual == expected else {
            throw TuningError.checkpoint(
                message:
                    "\(file(name).path) is damaged: its SHA-256 is \(actual.prefix(12))…, the checkpoint recorded \(expected.prefix(12))…; start the run again without --resume"
            )
        }
    }
}

/// Copies saved tensors into live ones (parameters, buffers, head), checking names and shapes.
func restore(_ live: [(name: String, tensor: Tensor)], from saved: [String: Tensor], file: String) throws {
    try withNoGrad {
        for (name, tensor) in live {
            guard let value = saved[name] else {
                throw TuningError.checkpoint(message: "\(file) has no tensor '\(name)' (was the checkpoint written for another model or method?)")
            }
            guard value.shape == tensor.shape else {
                throw TuningError.checkpoint(message: "\(file): '\(name)' has shape \(value.shape), the model's is \(tensor.shape)")
            }
            try tensor.copy_(value)
        }
    }
}
