import FeatureIO
import Foundation
import Testing
@testable import Tuning

/// A resume must continue the run that was interrupted, on the same files, settings
/// and data; and one output directory serves one run at a time.
@Suite("checkpoint verification and the run directory lock")
struct CheckpointVerificationTests {
    func resumeError(_ config: TuneConfiguration) -> String {
        do {
            _ = try TuneJob.run(config: config, source: "test", resume: true)
            return "resumed"
        } catch {
            return "\(error)"
        }
    }

    @Test("a flipped byte, an edited state.json or relabelled data are refused on resume, naming what changed")
    func tamperedCheckpointRefused() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        let out = root.appendingPathComponent("out")
        var config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 2)
        config.export.enabled = false
        var steps = 0
        #expect(throws: TrainingInterrupted.self) {
            _ = try TuneJob.run(
                config: config, source: "test", resume: false,
                shouldStop: {
                    steps += 1
                    return steps >= 4
                })
        }
        let store = CheckpointStore(directory: out.appendingPathComponent("checkpoint"))
        let position = try store.load()
        #expect(position.digests?[position.tensorsFile] != nil && position.fingerprint != nil && position.checksum != nil)

        // One byte flipped in the tensor file.
        let tensors = store.file(position.tensorsFile)
        let original = try Data(contentsOf: tensors)
        var flipped = original
        flipped[flipped.count / 2] ^= 0x40
        try flipped.write(to: tensors)
        let damaged = resumeError(config)
        #expect(damaged.contains("\(position.tensorsFile) is damaged: its SHA-256 is"), "\(damaged)")
        try original.write(to: tensors)

        // The iteration count edited by hand.
        let state = try Data(contentsOf: store.stateURL)
        let text = String(decoding: state, as: UTF8.self)
        let edited = text.replacingOccurrences(of: "\"iteration\" : \(position.iteration),", with: "\"iteration\" : 1,")
        #expect(edited != text)
        try Data(edited.utf8).write(to: store.stateURL)
        let modified = resumeError(config)
        #expect(modified.contains("was modified after it was written"), "\(modified)")
        try state.write(to: store.stateURL)

        // Same samples, other labels (each class renamed: the same counts per class).
        let labelsURL = data.appendingPathComponent("labels.npy")
        let labels = try FeatureFile.readArray(at: labelsURL)
        try FeatureFile.writeNpy(
            NumericArray(shape: labels.shape, dtype: .int64, values: labels.values.map { Double((Int($0) + 1) % 3) }), to: labelsURL)
        let relabelled = resumeError(config)
        #expect(relabelled.contains("the dataset changed since the checkpoint was written"), "\(relabelled)")
        try FeatureFile.writeNpy(labels, to: labelsURL)

        // Untouched, and --out spelled another way: the same run resumes.
        config.out = root.path + "/./out"
        #expect(resumeError(config) == "resumed")
    }

    @Test("a second tune into a directory a live run holds fails at once, naming the directory")
    func runDirectoryLocked() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        let out = root.appendingPathComponent("out")
        let held = try RunDirectoryLock(directory: out)
        let config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 1)
        do {
            _ = try TuneJob.run(config: config, source: "test", resume: false)
            Issue.record("a second run into a locked directory was accepted")
        } catch {
            #expect("\(error)".contains("\(out.path) is in use by another tune run"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("config.json").path))
        held.release()
        // Released (as when the first run's process ends): the directory can be taken.
        _ = try RunDirectoryLock(directory: out)
    }

    @Test("an export name too long for a file name fails before training, not after")
    func longExportNameFailsFirst() throws {
        let root = try TuningFixtures.tempDir()
        defer { TuningFixtures.cleanup(root) }
        let hub = try TuningFixtures.hub(in: root)
        let data = try TuningFixtures.dataset(in: root)
        let out = root.appendingPathComponent("out")
        var config = TuningFixtures.config(hub: hub, data: data, out: out, epochs: 1)
        config.export.name = String(repeating: "n", count: 300)
        do {
            _ = try TuneJob.run(config: config, source: "test", resume: false)
            Issue.record("a 300-character export name was accepted")
        } catch {
            #expect("\(error)".contains("field 'export.name'") && "\(error)".contains("300 bytes long"), "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("log.jsonl").path))
    }
}
