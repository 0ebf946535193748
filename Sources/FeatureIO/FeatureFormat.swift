import Foundation

/// The feature file formats HubMiner reads and writes.
public enum FeatureFormat: String, Sendable, CaseIterable {
    case npy, npz, safetensors, csv

    /// The format of `url`: chosen by extension and confirmed by the file's first bytes,
    /// so a `.npz` renamed to `.npy` gives a clear error instead of garbage. Files with an
    /// unknown extension are identified by their signature alone (text counts as CSV).
    public static func detect(_ url: URL) throws -> FeatureFormat {
        let buffer = try ByteBuffer.open(url, mapLarge: true)
        return try detect(url, bytes: buffer.bytes)
    }

    static func detect(_ url: URL, bytes: UnsafeRawBufferPointer) throws -> FeatureFormat {
        let path = url.relativePath
        let sniffed = sniff(bytes)
        guard let byName = fromExtension(url.pathExtension) else {
            if let sniffed { return sniffed }
            if looksLikeText(bytes) { return .csv }
            throw FeatureIOError.invalidField(
                path: path, field: "file format",
                expected: "a .npy, .npz, .safetensors or .csv file",
                found: "extension '\(url.pathExtension)' and signature " + quotedBytes(bytes.prefix(8), limit: 8))
        }
        if byName == .csv {
            if let sniffed {
                throw FeatureIOError.invalidField(
                    path: path, field: "file signature", expected: "CSV text",
                    found: "binary data (this looks like \(sniffed.articleName))")
            }
            return .csv
        }
        // With no recognizable signature the format's own reader gives the more precise
        // error (truncated header, bad magic); a different format's signature is caught here.
        if sniffed == byName || (sniffed == nil && byName != .npz) { return byName }
        let found: String
        if bytes.isEmpty {
            found = "an empty file"
        } else {
            found = quotedBytes(bytes.prefix(8), limit: 8) + (sniffed.map { " (this looks like \($0.articleName))" } ?? "")
        }
        throw FeatureIOError.invalidField(
            path: path, field: "file signature",
            expected: byName.signatureDescription, found: found)
    }

    static func fromExtension(_ ext: String) -> FeatureFormat? {
        switch ext.lowercased() {
        case "npy": return .npy
        case "npz": return .npz
        case "safetensors": return .safetensors
        case "csv", "tsv", "txt": return .csv
        default: return nil
        }
    }

    /// Identifies a binary format by its first bytes.
    static func sniff(_ bytes: UnsafeRawBufferPointer) -> FeatureFormat? {
        if NpyReader.hasMagic(bytes) { return .npy }
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4b,
            (bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6)
        {
            return .npz
        }
        // safetensors: u64 header length that fits the file, then a JSON object.
        if bytes.count >= 10, let n = ByteReader(bytes: bytes).u64(0), n >= 2, n <= UInt64(bytes.count - 8),
            bytes[8] == UInt8(ascii: "{")
        {
            return .safetensors
        }
        return nil
    }

    /// CSV has no signature; reject only what is clearly binary (NUL bytes up front).
    static func looksLikeText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.prefix(4096).contains(0)
    }

    var articleName: String {
        switch self {
        case .npy: return "a NumPy .npy file"
        case .npz: return "a zip/.npz archive"
        case .safetensors: return "a safetensors file"
        case .csv: return "a CSV file"
        }
    }

    var signatureDescription: String {
        switch self {
        case .npy: return "NumPy magic '\\x93NUMPY'"
        case .npz: return "zip signature 'PK\\x03\\x04'"
        case .safetensors: return "an 8-byte header length followed by '{'"
        case .csv: return "CSV text"
        }
    }
}
