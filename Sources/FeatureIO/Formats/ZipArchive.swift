/// A read-only view of a zip archive, enough for `.npz` files.
///
/// Sizes and offsets come from the central directory (the authoritative copy; local
/// headers may defer sizes to a data descriptor), including zip64 values, which
/// `numpy.savez` writes for every member. Stored members are returned as slices of the
/// mapped file, so an uncompressed `.npz` is read as cheaply as a `.npy`.
struct ZipArchive {
    struct Entry: Equatable {
        var name: String
        var method: UInt16
        var flags: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let path: String
    let file: ByteSlice
    let entries: [Entry]

    private static let endSignature: UInt32 = 0x0605_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let zip64EndSignature: UInt32 = 0x0606_4b50
    private static let centralSignature: UInt32 = 0x0201_4b50
    private static let localSignature: UInt32 = 0x0403_4b50

    init(_ file: ByteSlice, path: String) throws {
        self.path = path
        self.file = file
        let r = ByteReader(bytes: file.bytes)
        let size = file.count

        // End of central directory: last 22 bytes plus a comment of up to 65535 bytes.
        var eocd: Int?
        var candidate = size - 22
        let lowest = max(0, size - 22 - 65535)
        while candidate >= lowest {
            if r.u32(candidate) == Self.endSignature, let commentLength = r.u16(candidate + 20),
                candidate + 22 + Int(commentLength) <= size
            {
                eocd = candidate
                break
            }
            candidate -= 1
        }
        guard let eocd else {
            throw FeatureIOError.invalidField(
                path: path, field: "zip end-of-central-directory record",
                expected: "signature 'PK\\x05\\x06' near the end of the file",
                found: "none (the archive is truncated or not a zip file)")
        }
        guard let diskEntries16 = r.u16(eocd + 10), let cdSize32 = r.u32(eocd + 12), let cdOffset32 = r.u32(eocd + 16)
        else { throw FeatureIOError.truncated(path: path, what: "the zip end record", expectedBytes: eocd + 22, foundBytes: size) }
        var entryCount = Int(diskEntries16)
        var cdSize = Int(cdSize32)
        var cdOffset = Int(cdOffset32)

        // Zip64: a locator right before the end record points at the 64-bit end record.
        if eocd >= 20, r.u32(eocd - 20) == Self.zip64LocatorSignature, let z64 = r.u64(eocd - 20 + 8) {
            guard z64 <= UInt64(Int.max), r.u32(Int(z64)) == Self.zip64EndSignature,
                let count64 = r.u64(Int(z64) + 32), let size64 = r.u64(Int(z64) + 40),
                let offset64 = r.u64(Int(z64) + 48),
                count64 <= UInt64(size), size64 <= UInt64(size), offset64 <= UInt64(size)
            else {
                throw FeatureIOError.invalidField(
                    path: path, field: "zip64 end-of-central-directory record",
                    expected: "signature 'PK\\x06\\x06' with sizes inside the file",
                    found: "an invalid record at offset \(z64)")
            }
            entryCount = Int(count64)
            cdSize = Int(size64)
            cdOffset = Int(offset64)
        }
        guard cdOffset <= size, cdSize <= size - cdOffset, entryCount <= cdSize / 46 + 1 else {
            throw FeatureIOError.invalidField(
                path: path, field: "zip central directory",
                expected: "\(entryCount) entries inside the file's \(size) bytes",
                found: "\(cdSize) bytes at offset \(cdOffset)")
        }

        var entries: [Entry] = []
        var offset = cdOffset
        for index in 0..<entryCount {
            let field = "zip central directory entry \(index)"
            guard r.u32(offset) == Self.centralSignature,
                let flags = r.u16(offset + 8), let method = r.u16(offset + 10), let crc = r.u32(offset + 16),
                let csize32 = r.u32(offset + 20), let usize32 = r.u32(offset + 24),
                let nameLength = r.u16(offset + 28), let extraLength = r.u16(offset + 30),
                let commentLength = r.u16(offset + 32), let local32 = r.u32(offset + 42),
                let nameBytes = r.slice(offset + 46, Int(nameLength)),
                let extra = r.slice(offset + 46 + Int(nameLength), Int(extraLength))
            else {
                throw FeatureIOError.invalidField(
                    path: path, field: field,
                    expected: "signature 'PK\\x01\\x02' and a complete record",
                    found: "bytes " + quotedBytes((r.slice(offset, 4) ?? UnsafeRawBufferPointer(start: nil, count: 0))) + " at offset \(offset)")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            var usize = Int(usize32), csize = Int(csize32), local = Int(local32)
            try Self.applyZip64Extra(
                extra, uncompressed: &usize, compressed: &csize, offset: &local,
                readUncompressed: usize32 == 0xffff_ffff, readCompressed: csize32 == 0xffff_ffff,
                readOffset: local32 == 0xffff_ffff, path: path, field: "member '\(name)': zip64 extra field")
            entries.append(
                Entry(
                    name: name, method: method, flags: flags, crc32: crc, compressedSize: csize,
                    uncompressedSize: usize, localHeaderOffset: local))
            offset += 46 + Int(nameLength) + Int(extraLength) + Int(commentLength)
        }
        self.entries = entries
    }

    /// Reads the zip64 extended-information extra field (id 0x0001). It holds only the
    /// values whose 32-bit field is saturated, in a fixed order.
    private static func applyZip64Extra(
        _ extra: UnsafeRawBufferPointer, uncompressed: inout Int, compressed: inout Int, offset: inout Int,
        readUncompressed: Bool, readCompressed: Bool, readOffset: Bool, path: String, field: String
    ) throws {
        guard readUncompressed || readCompressed || readOffset else { return }
        let r = ByteReader(bytes: extra)
        var position = 0
        while let id = r.u16(position), let length = r.u16(position + 2) {
            let body = position + 4
            if id == 0x0001 {
                var cursor = body
                func next() throws -> Int {
                    guard cursor + 8 <= body + Int(length), let v = r.u64(cursor), v <= UInt64(Int.max) else {
                        throw FeatureIOError.invalidField(
                            path: path, field: field,
                            expected: "64-bit sizes for the saturated 32-bit fields",
                            found: "\(length) bytes")
                    }
                    cursor += 8
                    return Int(v)
                }
                if readUncompressed { uncompressed = try next() }
                if readCompressed { compressed = try next() }
                if readOffset { offset = try next() }
                return
            }
            position = body + Int(length)
        }
        throw FeatureIOError.invalidField(
            path: path, field: field, expected: "a zip64 extra field (id 0x0001)",
            found: "none, although the 32-bit sizes are saturated")
    }

    /// The uncompressed bytes of `entry`, CRC-checked.
    func contents(of entry: Entry) throws -> ByteSlice {
        let r = ByteReader(bytes: file.bytes)
        let member = "member '\(entry.name)'"
        let local = entry.localHeaderOffset
        guard r.u32(local) == Self.localSignature, let localFlags = r.u16(local + 6), let localMethod = r.u16(local + 8),
            let csize32 = r.u32(local + 18), let usize32 = r.u32(local + 22),
            let nameLength = r.u16(local + 26), let extraLength = r.u16(local + 28),
            let extra = r.slice(local + 30 + Int(nameLength), Int(extraLength))
        else {
            throw FeatureIOError.invalidField(
                path: path, field: "\(member): local header",
                expected: "signature 'PK\\x03\\x04' at offset \(local)",
                found: "something else (the archive is corrupt)")
        }
        if entry.flags & 1 != 0 || localFlags & 1 != 0 {
            throw FeatureIOError.invalidField(
                path: path, field: "\(member): flags", expected: "an unencrypted member",
                found: "an encrypted one")
        }
        guard localMethod == entry.method else {
            throw FeatureIOError.invalidField(
                path: path, field: "\(member): local header compression method",
                expected: "\(entry.method) as in the central directory",
                found: "\(localMethod)")
        }
        // Without a data descriptor the local header repeats the sizes; they must agree.
        if localFlags & 0x8 == 0 {
            var usize = Int(usize32), csize = Int(csize32), ignored = 0
            try Self.applyZip64Extra(
                extra, uncompressed: &usize, compressed: &csize, offset: &ignored,
                readUncompressed: usize32 == 0xffff_ffff, readCompressed: csize32 == 0xffff_ffff,
                readOffset: false, path: path, field: "\(member): local zip64 extra field")
            guard usize == entry.uncompressedSize, csize == entry.compressedSize else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(member): local header sizes",
                    expected: "\(entry.compressedSize)/\(entry.uncompressedSize) bytes (compressed/uncompressed) as in the central directory",
                    found: "\(csize)/\(usize)")
            }
        }
        let dataStart = local + 30 + Int(nameLength) + Int(extraLength)
        guard dataStart <= file.count, entry.compressedSize <= file.count - dataStart else {
            throw FeatureIOError.truncated(
                path: path, what: "\(member) data", expectedBytes: entry.compressedSize,
                foundBytes: max(0, file.count - dataStart))
        }
        let compressed = file.slice(dataStart..<(dataStart + entry.compressedSize))

        let contents: ByteSlice
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw FeatureIOError.invalidField(
                    path: path, field: "\(member): sizes",
                    expected: "equal compressed and uncompressed sizes for a stored member",
                    found: "\(entry.compressedSize) and \(entry.uncompressedSize)")
            }
            contents = compressed
        case 8:
            do {
                let buffer = try ByteBuffer.allocate(count: entry.uncompressedSize) { output in
                    try Zlib.inflate(compressed.bytes, into: output)
                }
                contents = ByteSlice(buffer)
            } catch let failure as Zlib.InflateFailure {
                switch failure {
                case .corrupt(let why):
                    throw FeatureIOError.invalidField(
                        path: path, field: "\(member): deflate data",
                        expected: "a valid deflate stream", found: why)
                case .sizeMismatch(let produced):
                    throw FeatureIOError.invalidField(
                        path: path, field: "\(member): uncompressed size",
                        expected: "\(entry.uncompressedSize) bytes as recorded",
                        found: produced > entry.uncompressedSize ? "more data" : "\(produced) bytes")
                }
            }
        default:
            throw FeatureIOError.invalidField(
                path: path, field: "\(member): compression method",
                expected: "0 (stored) or 8 (deflated)", found: "\(entry.method)")
        }
        let actual = Zlib.crc32(contents.bytes)
        guard actual == entry.crc32 else {
            throw FeatureIOError.checksumMismatch(path: path, member: entry.name, expected: entry.crc32, found: actual)
        }
        return contents
    }
}
