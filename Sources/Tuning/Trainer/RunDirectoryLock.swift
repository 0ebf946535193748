import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `OUT/.lock` while a run owns its output directory. The
/// kernel drops the lock when the process ends however it ends (a kill included),
/// so a stale lock file never blocks the next run; only a live run does.
final class RunDirectoryLock {
    static let fileName = ".lock"
    private var fd: Int32

    /// Creates `directory` if needed and takes the lock, or throws at once naming the
    /// directory when another process holds it.
    init(directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TuningError.checkpoint(message: "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let path = directory.appendingPathComponent(Self.fileName).path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TuningError.checkpoint(message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TuningError.checkpoint(
                message: busy
                    ? "\(directory.path) is in use by another tune run (it holds \(Self.fileName)); wait for it to finish or choose another --out"
                    : "cannot lock \(path): \(reason)")
        }
    }

    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
