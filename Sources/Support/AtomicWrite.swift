import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// `write` the system call, not `ByteSink.write`, under one name on every platform.
#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Musl)
private let systemWrite = Musl.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Writes `data` to `url` so that readers only ever see the old file or the complete
/// new one: the bytes go to a temporary file in the same directory (same file system,
/// so the final rename is atomic), are flushed to disk, then renamed over `url`.
/// A process killed mid-write leaves at most a hidden `.name.tmp-*` file, never a
/// half-written result that a later run would trust.
public func writeAtomically(_ data: Data, to url: URL) throws {
    try writeAtomically(to: url) { sink in
        try data.withUnsafeBytes { try sink.write($0) }
    }
}

/// Something the writers stream bytes into: a file being written atomically, or memory
/// (for zip members, whose CRC must be known before their header is written).
package protocol ByteSink {
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    package mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    package mutating func write(_ text: String) throws { try write(Array(text.utf8)) }
}

package struct MemorySink: ByteSink {
    package var bytes: [UInt8] = []
    package init() {}
    package mutating func write(_ chunk: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: chunk) }
}

/// Buffered writes to an open file descriptor.
package struct FileSink: ByteSink {
    fileprivate let fd: Int32
    fileprivate let path: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 20

    fileprivate init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(capacity)
    }

    package mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        if buffer.count + chunk.count > capacity { try flush() }
        if chunk.count >= capacity {
            try writeAll(chunk)
        } else {
            buffer.append(contentsOf: chunk)
        }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ chunk: UnsafeRawBufferPointer) throws {
        guard var base = chunk.baseAddress else { return }
        var remaining = chunk.count
        while remaining > 0 {
            let n = systemWrite(fd, base, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicWriteError(path: path, reason: String(cString: strerror(errno)))
            }
            base += n
            remaining -= n
        }
    }
}

/// Streams the output of `body` into `url` atomically (see `writeAtomically(_:to:)`),
/// so large arrays are written without building the whole file in memory first.
package func writeAtomically(to url: URL, _ body: (inout FileSink) throws -> Void) throws {
    let path = url.relativePath
    let directory = url.deletingLastPathComponent()
    let name = url.lastPathComponent
    guard !name.isEmpty, name != "/" else {
        throw AtomicWriteError(path: path, reason: "not a file name")
    }
    // The rename below would replace a device node, FIFO, socket or symbolic link
    // with a regular file: refuse them (OutputPath says why).
    if let problem = OutputPath.kindProblem(url) { throw AtomicWriteError(path: path, reason: problem) }
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    let temporary = directory.appendingPathComponent(".\(name).tmp-\(getpid())-\(suffix)")

    let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0 else {
        throw AtomicWriteError(path: path, reason: String(cString: strerror(errno)))
    }
    var closed = false
    var renamed = false
    defer {
        if !closed { close(fd) }
        if !renamed { unlink(temporary.path) }
    }
    // Keep the permissions of a file we replace (e.g. a group-readable results file).
    var existing = stat()
    if stat(url.path, &existing) == 0 { fchmod(fd, existing.st_mode & 0o7777) }

    var sink = FileSink(fd: fd, path: path)
    try body(&sink)
    try sink.flush()
    guard fsync(fd) == 0 else {
        throw AtomicWriteError(path: path, reason: "fsync: " + String(cString: strerror(errno)))
    }
    closed = true
    guard close(fd) == 0 else {
        throw AtomicWriteError(path: path, reason: "close: " + String(cString: strerror(errno)))
    }
    guard rename(temporary.path, url.path) == 0 else {
        throw AtomicWriteError(path: path, reason: "rename: " + String(cString: strerror(errno)))
    }
    renamed = true
    // Make the rename itself durable; failure here does not undo a completed write.
    let directoryFD = open(directory.path, O_RDONLY | O_CLOEXEC)
    if directoryFD >= 0 {
        _ = fsync(directoryFD)
        close(directoryFD)
    }
}

/// A file that could not be written: its path and why (the system's reason).
public struct AtomicWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): cannot write: \(reason)" }
}
