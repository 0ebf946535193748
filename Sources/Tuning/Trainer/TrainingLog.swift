import Foundation
import RunSchema

/// `OUT/log.jsonl`: one JSON object per line, appended and flushed as training goes.
/// Checkpoints record the file's length; a resumed run cuts the file back to that
/// length first, so lines written after the checkpoint are neither duplicated nor lost.
package final class TrainingLog {
    package let url: URL
    private let handle: FileHandle

    /// Opens the log for appending: a new run starts it empty; a resumed run keeps
    /// its first `keepingBytes` bytes (the length recorded by the checkpoint).
    package init(url: URL, keepingBytes: UInt64? = nil) throws {
        self.url = url
        let fm = FileManager.default
        if keepingBytes == nil || !fm.fileExists(atPath: url.path) {
            guard fm.createFile(atPath: url.path, contents: nil) else {
                throw TuningError.checkpoint(message: "cannot create \(url.path)")
            }
        }
        do {
            handle = try FileHandle(forUpdating: url)
            let size = try handle.seekToEnd()
            if let keep = keepingBytes {
                guard keep <= size else {
                    throw TuningError.checkpoint(
                        message: "\(url.path) has \(size) bytes but the checkpoint recorded \(keep): the log does not belong to this checkpoint")
                }
                try handle.truncate(atOffset: keep)
                try handle.seekToEnd()
            }
        } catch let error as TuningError {
            throw error
        } catch {
            throw TuningError.checkpoint(message: "cannot open \(url.path): \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    /// Bytes written so far (what a checkpoint records).
    package var length: UInt64 { (try? handle.offset()) ?? 0 }

    package func append(_ line: TuningLogLine) throws {
        handle.write(try line.encoded() + Data("\n".utf8))
        try handle.synchronize()
    }
}
