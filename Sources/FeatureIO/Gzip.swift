import Foundation

/// gzip (RFC 1952) decompression over FeatureIO's zlib wrapper, public so the Data
/// target can read `.gz` MNIST files without importing CZlib itself (FeatureIO owns
/// that C module: see docs/ARCHITECTURE.md).
public enum Gzip {
    /// True when `data` starts with the gzip signature.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The decompressed contents of a single-member gzip file; `path` names the file
    /// in errors. The trailer's size and CRC-32 are checked.
    public static func decompress(_ data: Data, path: String) throws -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 18, bytes[0] == 0x1f, bytes[1] == 0x8b else {
            throw FeatureIOError.invalidField(
                path: path, field: "gzip signature", expected: "1f 8b",
                found: quotedBytes(bytes.prefix(2)))
        }
        guard bytes[2] == 8 else {
            throw FeatureIOError.invalidField(path: path, field: "gzip method", expected: "8 (deflate)", found: "\(bytes[2])")
        }
        let flags = bytes[3]
        var p = 10
        func need(_ n: Int, _ what: String) throws {
            if p + n > bytes.count - 8 {
                throw FeatureIOError.truncated(path: path, what: what, expectedBytes: p + n + 8, foundBytes: bytes.count)
            }
        }
        if flags & 4 != 0 { // FEXTRA
            try need(2, "gzip extra field")
            let n = Int(bytes[p]) | Int(bytes[p + 1]) << 8
            p += 2
            try need(n, "gzip extra field")
            p += n
        }
        for flag in [UInt8(8), 16] where flags & flag != 0 { // FNAME, FCOMMENT: zero-terminated
            while true {
                try need(1, "gzip header string")
                p += 1
                if bytes[p - 1] == 0 { break }
            }
        }
        if flags & 2 != 0 { try need(2, "gzip header CRC"); p += 2 }
        let n = bytes.count
        let size = Int(UInt32(bytes[n - 4]) | UInt32(bytes[n - 3]) << 8 | UInt32(bytes[n - 2]) << 16 | UInt32(bytes[n - 1]) << 24)
        let crc = UInt32(bytes[n - 8]) | UInt32(bytes[n - 7]) << 8 | UInt32(bytes[n - 6]) << 16 | UInt32(bytes[n - 5]) << 24
        // ISIZE is the size modulo 2^32; files of 4 GiB and more are not datasets this reads.
        var out = Data(count: size)
        let failure = bytes.withUnsafeBytes { raw -> Zlib.InflateFailure? in
            out.withUnsafeMutableBytes { dest -> Zlib.InflateFailure? in
                do throws(Zlib.InflateFailure) {
                    try Zlib.inflate(UnsafeRawBufferPointer(rebasing: raw[p..<(n - 8)]), into: dest)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure {
            let reason: String
            switch failure {
            case .corrupt(let why): reason = why
            case .sizeMismatch(let produced): reason = "the trailer says \(size) bytes, the stream gives \(produced)"
            }
            throw FeatureIOError.invalidField(path: path, field: "gzip stream", expected: "valid deflate data", found: reason)
        }
        let actual = out.withUnsafeBytes { Zlib.crc32($0) }
        if actual != crc {
            throw FeatureIOError.checksumMismatch(path: path, member: "gzip", expected: crc, found: actual)
        }
        return out
    }
}
