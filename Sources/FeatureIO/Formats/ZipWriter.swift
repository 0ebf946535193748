import Support
/// Writes zip archives for `.npz`: stored or deflated members, zip64 records only when
/// sizes or offsets need them (so small archives stay readable by the oldest tools).
/// Timestamps are fixed at 1980-01-01 so identical arrays give identical files.
struct ZipWriter {
    private struct Written {
        var name: [UInt8]
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var offset: Int
    }

    private var written: [Written] = []
    private var position = 0
    private static let saturated32 = 0xffff_ffff
    private static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    mutating func add(name: String, contents: [UInt8], compress: Bool, into sink: inout some ByteSink) throws {
        let nameBytes = Array(name.utf8)
        let crc = contents.withUnsafeBytes { Zlib.crc32($0) }
        var method: UInt16 = 0
        var payload = contents
        if compress, let deflated = contents.withUnsafeBytes({ Zlib.deflate($0) }) {
            method = 8
            payload = deflated
        }
        let zip64 = contents.count >= Self.saturated32 || payload.count >= Self.saturated32
        var header = Bytes()
        header.u32(0x0403_4b50)
        header.u16(zip64 ? 45 : 20)
        header.u16(flags(for: name))
        header.u16(method)
        header.u16(0)
        header.u16(Self.dosDate)
        header.u32(crc)
        header.u32(zip64 ? UInt32(Self.saturated32) : UInt32(payload.count))
        header.u32(zip64 ? UInt32(Self.saturated32) : UInt32(contents.count))
        header.u16(UInt16(nameBytes.count))
        header.u16(zip64 ? 20 : 0)
        header.bytes += nameBytes
        if zip64 {
            header.u16(0x0001)
            header.u16(16)
            header.u64(UInt64(contents.count))
            header.u64(UInt64(payload.count))
        }
        try sink.write(header.bytes)
        try sink.write(payload)
        written.append(
            Written(
                name: nameBytes, method: method, crc: crc, compressedSize: payload.count,
                uncompressedSize: contents.count, offset: position))
        position += header.bytes.count + payload.count
    }

    mutating func finish(into sink: inout some ByteSink) throws {
        let directoryStart = position
        var directory = Bytes()
        for entry in written {
            let bigU = entry.uncompressedSize >= Self.saturated32
            let bigC = entry.compressedSize >= Self.saturated32
            let bigO = entry.offset >= Self.saturated32
            var extra = Bytes()
            if bigU || bigC || bigO {
                extra.u16(0x0001)
                extra.u16(UInt16(8 * ([bigU, bigC, bigO].filter { $0 }.count)))
                if bigU { extra.u64(UInt64(entry.uncompressedSize)) }
                if bigC { extra.u64(UInt64(entry.compressedSize)) }
                if bigO { extra.u64(UInt64(entry.offset)) }
            }
            let version: UInt16 = extra.bytes.isEmpty ? 20 : 45
            directory.u32(0x0201_4b50)
            directory.u16(version) // made by (MS-DOS attributes)
            directory.u16(version) // needed to extract
            directory.u16(flags(for: String(decoding: entry.name, as: UTF8.self)))
            directory.u16(entry.method)
            directory.u16(0)
            directory.u16(Self.dosDate)
            directory.u32(entry.crc)
            directory.u32(bigC ? UInt32(Self.saturated32) : UInt32(entry.compressedSize))
            directory.u32(bigU ? UInt32(Self.saturated32) : UInt32(entry.uncompressedSize))
            directory.u16(UInt16(entry.name.count))
            directory.u16(UInt16(extra.bytes.count))
            directory.u16(0) // comment length
            directory.u16(0) // disk number
            directory.u16(0) // internal attributes
            directory.u32(0) // external attributes
            directory.u32(bigO ? UInt32(Self.saturated32) : UInt32(entry.offset))
            directory.bytes += entry.name
            directory.bytes += extra.bytes
        }
        let directorySize = directory.bytes.count
        let directoryEnd = directoryStart + directorySize
        let needZip64 = written.count >= 0xffff || directorySize >= Self.saturated32 || directoryStart >= Self.saturated32
        var end = Bytes()
        if needZip64 {
            end.u32(0x0606_4b50)
            end.u64(44)
            end.u16(45)
            end.u16(45)
            end.u32(0)
            end.u32(0)
            end.u64(UInt64(written.count))
            end.u64(UInt64(written.count))
            end.u64(UInt64(directorySize))
            end.u64(UInt64(directoryStart))
            end.u32(0x0706_4b50)
            end.u32(0)
            end.u64(UInt64(directoryEnd))
            end.u32(1)
        }
        end.u32(0x0605_4b50)
        end.u16(0)
        end.u16(0)
        end.u16(needZip64 ? 0xffff : UInt16(written.count))
        end.u16(needZip64 ? 0xffff : UInt16(written.count))
        end.u32(needZip64 ? UInt32(Self.saturated32) : UInt32(directorySize))
        end.u32(needZip64 ? UInt32(Self.saturated32) : UInt32(directoryStart))
        end.u16(0)
        try sink.write(directory.bytes)
        try sink.write(end.bytes)
        position = directoryEnd + end.bytes.count
    }

    /// Bit 11 marks UTF-8 names; plain ASCII names go without it, like Python's zipfile.
    private func flags(for name: String) -> UInt16 {
        name.utf8.allSatisfy { $0 < 0x80 } ? 0 : 0x0800
    }
}

/// Little-endian byte building for binary headers.
struct Bytes {
    var bytes: [UInt8] = []
    mutating func u16(_ v: UInt16) { append(v) }
    mutating func u32(_ v: UInt32) { append(v) }
    mutating func u64(_ v: UInt64) { append(v) }
    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes += $0 }
    }
}
