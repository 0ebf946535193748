/// Reads the `.npy` format (versions 1.0, 2.0, 3.0) from bytes already in memory or mapped.
///
/// Only the header is parsed here; the data stays where it is and is described by a
/// `RawArray`, so callers choose between converting everything or a range of rows.
enum NpyReader {
    static let magic: [UInt8] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // "\x93NUMPY"

    static func hasMagic(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && zip(bytes.prefix(magic.count), magic).allSatisfy { $0 == $1 }
    }

    static func parse(_ slice: ByteSlice, path: String) throws -> RawArray {
        let bytes = slice.bytes
        let reader = ByteReader(bytes: bytes)
        guard bytes.count >= 8 else {
            if bytes.count < magic.count || hasMagic(bytes) == false {
                throw FeatureIOError.invalidField(
                    path: path, field: "file signature",
                    expected: "NumPy magic '\\x93NUMPY'",
                    found: describeSignature(bytes))
            }
            throw FeatureIOError.truncated(
                path: path, what: "the .npy preamble", expectedBytes: 10,
                foundBytes: bytes.count)
        }
        guard hasMagic(bytes) else {
            throw FeatureIOError.invalidField(
                path: path, field: "file signature",
                expected: "NumPy magic '\\x93NUMPY'", found: describeSignature(bytes))
        }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw FeatureIOError.invalidField(
                path: path, field: "format version",
                expected: "1.0, 2.0 or 3.0", found: "\(major).\(minor)")
        }
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            guard let n = reader.u16(8) else {
                throw FeatureIOError.truncated(
                    path: path, what: "the .npy preamble", expectedBytes: 10,
                    foundBytes: bytes.count)
            }
            headerLength = Int(n)
            headerStart = 10
        } else {
            guard let n = reader.u32(8) else {
                throw FeatureIOError.truncated(
                    path: path, what: "the .npy preamble", expectedBytes: 12,
                    foundBytes: bytes.count)
            }
            headerLength = Int(n)
            headerStart = 12
        }
        guard let headerBytes = reader.slice(headerStart, headerLength) else {
            throw FeatureIOError.truncated(
                path: path, what: "the header (its length field)",
                expectedBytes: headerStart + headerLength, foundBytes: bytes.count)
        }
        // Versions 1 and 2 are latin-1, version 3 is UTF-8 (for structured field names).
        let text: String
        if major == 3 {
            guard let decoded = String(validating: headerBytes, as: UTF8.self) else {
                throw FeatureIOError.invalidField(
                    path: path, field: "header", expected: "UTF-8 text",
                    found: "invalid UTF-8 " + quotedBytes(headerBytes))
            }
            text = decoded
        } else {
            text = String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
        }
        let header = try NpyHeader.parse(text, path: path)

        let dataStart = headerStart + headerLength
        guard let byteCount = checkedByteCount(shape: header.shape, itemSize: header.dtype.byteCount) else {
            throw FeatureIOError.invalidField(
                path: path, field: "header field 'shape'",
                expected: "a shape whose size fits in memory",
                found: formatShape(header.shape))
        }
        let available = bytes.count - dataStart
        guard byteCount <= available else {
            throw FeatureIOError.truncated(
                path: path,
                what: "shape \(formatShape(header.shape)) of \(header.dtype.rawValue)",
                expectedBytes: byteCount, foundBytes: available)
        }
        return RawArray(
            path: path, shape: header.shape, dtype: header.dtype, bigEndian: header.bigEndian,
            fortranOrder: header.fortranOrder,
            data: slice.slice(dataStart..<(dataStart + byteCount)))
    }

    /// Names what a wrong file looks like, because "bad magic" on a .npz renamed to .npy
    /// is much clearer as "this looks like a zip archive".
    static func describeSignature(_ bytes: UnsafeRawBufferPointer) -> String {
        var found = quotedBytes(bytes.prefix(6), limit: 6)
        if let guess = FeatureFormat.sniff(bytes) { found += " (this looks like \(guess.articleName))" }
        if bytes.isEmpty { found = "an empty file" }
        return found
    }
}
