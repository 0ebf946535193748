import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes that stay valid as long as the object lives: either a memory-mapped
/// file or a heap buffer (files read whole, inflated zip members, pipes).
///
/// Files are read into the heap with `pread` by default. A mapping would save the copy
/// of the raw bytes, but if another process truncates the file while it is mapped (a
/// script re-saving a feature file during `rank`), touching the lost pages raises
/// SIGBUS and kills the program. A read instead sees the file end early, and the
/// format's reader reports a truncated file naming it. The copy costs at most the
/// size of the decoded `[Double]` (8 bytes an element, never less than the file's).
///
/// Only callers that stream files larger than memory (`MatrixRowReader`) ask for a
/// mapping, and only above `mapThreshold` bytes. Those mappings are registered with
/// `MappingGuard`, which turns the SIGBUS of a file truncated underneath into an error
/// naming the file. The buffer is immutable after init, hence `@unchecked Sendable`.
final class ByteBuffer: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    private enum Ownership {
        case none
        case mapped(MappingGuard.Registration?)
        case allocated(UnsafeMutableRawPointer)
        /// A view of another buffer, kept alive by this one.
        case retained(ByteBuffer)
    }
    private let ownership: Ownership

    private init(bytes: UnsafeRawBufferPointer, ownership: Ownership) {
        self.bytes = bytes
        self.ownership = ownership
    }

    deinit {
        switch ownership {
        case .none: break
        case .mapped(let registration):
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
            if let registration { MappingGuard.unregister(registration) }
        case .allocated(let memory): memory.deallocate()
        case .retained: break
        }
    }

    var count: Int { bytes.count }

    /// A buffer that owns freshly allocated memory, filled by `fill`.
    static func allocate(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> ByteBuffer {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        let view = UnsafeMutableRawBufferPointer(start: memory, count: count)
        do { try fill(view) } catch { memory.deallocate(); throw error }
        return ByteBuffer(bytes: UnsafeRawBufferPointer(view), ownership: .allocated(memory))
    }

    /// Files at least this large are mapped when a caller allows mapping.
    static let mapThreshold = 1 << 30

    /// Reads `url` whole into memory; with `mapLarge`, a regular file of at least
    /// `mapThreshold` bytes is mapped read-only instead (see the type's comment).
    static func open(_ url: URL, mapLarge: Bool = false) throws -> ByteBuffer {
        let path = url.relativePath
        let fd = Foundation.open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FeatureIOError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw FeatureIOError.cannotRead(path: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw FeatureIOError.cannotRead(path: path, reason: "is a directory")
        }
        let size = Int(info.st_size)
        if (info.st_mode & S_IFMT) == S_IFREG {
            if size == 0 {
                return ByteBuffer(bytes: UnsafeRawBufferPointer(start: nil, count: 0), ownership: .none)
            }
            if mapLarge, size >= mapThreshold {
                let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
                if let address, address != MAP_FAILED {
                    let bytes = UnsafeRawBufferPointer(start: address, count: size)
                    let registration = MappingGuard.register(bytes, path: path)
                    return ByteBuffer(bytes: bytes, ownership: .mapped(registration))
                }
            }
            return try readRegular(fd, size: size, path: path)
        }
        // Not mappable: read until end of file.
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FeatureIOError.cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return allocate(count: data.count) { dst in data.withUnsafeBytes { dst.copyMemory(from: $0) } }
    }
}

extension ByteBuffer {
    /// Reads `size` bytes (the size `fstat` gave) with `pread`. If the file shrinks
    /// meanwhile, the buffer holds what was there (the parser then reports a
    /// truncated file); bytes appended meanwhile are not read.
    fileprivate static func readRegular(_ fd: Int32, size: Int, path: String) throws -> ByteBuffer {
        var filled = 0
        let buffer = try allocate(count: size) { dst in
            while filled < size {
                let n = pread(fd, dst.baseAddress! + filled, min(size - filled, 1 << 26), off_t(filled))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FeatureIOError.cannotRead(path: path, reason: String(cString: strerror(errno)))
                }
                if n == 0 { break }
                filled += n
            }
        }
        return filled == size ? buffer : buffer.prefix(filled)
    }

    /// The first `count` bytes, as a buffer sharing this one's memory.
    private func prefix(_ count: Int) -> ByteBuffer {
        ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<count]), ownership: .retained(self))
    }
}

/// A contiguous part of a `ByteBuffer`, keeping the buffer alive.
struct ByteSlice: @unchecked Sendable {
    let owner: ByteBuffer
    let range: Range<Int>

    init(_ owner: ByteBuffer) {
        self.owner = owner
        self.range = 0..<owner.count
    }

    init(owner: ByteBuffer, range: Range<Int>) {
        self.owner = owner
        self.range = range
    }

    var count: Int { range.count }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: owner.bytes[range]) }

    /// A sub-slice; `sub` is relative to this slice and must already be checked.
    func slice(_ sub: Range<Int>) -> ByteSlice {
        ByteSlice(owner: owner, range: (range.lowerBound + sub.lowerBound)..<(range.lowerBound + sub.upperBound))
    }
}

/// Bounds-checked little-endian field access for parsing headers of untrusted files.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    func u8(_ offset: Int) -> UInt8? {
        guard offset >= 0, offset < bytes.count else { return nil }
        return bytes[offset]
    }

    func u16(_ offset: Int) -> UInt16? { load(offset, UInt16.self) }
    func u32(_ offset: Int) -> UInt32? { load(offset, UInt32.self) }
    func u64(_ offset: Int) -> UInt64? { load(offset, UInt64.self) }

    private func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - size, let base = bytes.baseAddress else { return nil }
        return T(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// Bytes `range`, or nil when it does not lie inside the buffer.
    func slice(_ offset: Int, _ count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }
}
