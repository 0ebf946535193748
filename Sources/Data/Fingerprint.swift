import Foundation
import FeatureIO
import Support

/// Content digests of dataset files, cached for the life of the process (keyed by
/// path, size and modification time) so fingerprinting a dataset twice, or its
/// train and test splits, reads each file once.
enum DigestCache {
    private struct Entry: Sendable { var size: Int; var modified: Date; var digest: String }
    private static let entries = Locked([String: Entry]())

    /// `(size, sha256)` of the file at `url`.
    static func digest(of url: URL) throws -> (size: Int, digest: String) {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        } catch {
            throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? -1
        let modified = attributes[.modificationDate] as? Date ?? .distantPast
        let cached = entries.withLock { $0[url.path] }
        if let cached, cached.size == size, cached.modified == modified { return (size, cached.digest) }
        let digest: String
        do {
            digest = try FileDigest.sha256(of: url)
        } catch {
            throw DataError.cannotRead(path: url.path, reason: "\(error)")
        }
        entries.withLock { $0[url.path] = Entry(size: size, modified: modified, digest: digest) }
        return (size, digest)
    }
}

/// Builds a dataset fingerprint: reader kind, split, options, then every file's
/// name, size and content digest. Each part is length-prefixed so no two different
/// lists hash the same bytes.
struct FingerprintBuilder {
    private var hasher = SHA256.Hasher()

    init(reader: String) { add("hubminer-dataset-v1"); add(reader) }

    mutating func add(_ text: String) {
        let bytes = Array(text.utf8)
        hasher.update(Array(String(bytes.count).utf8) + [0x3A])
        hasher.update(bytes)
    }

    mutating func addFile(_ url: URL, name: String) throws {
        let (size, digest) = try DigestCache.digest(of: url)
        add(name); add(String(size)); add(digest)
    }

    /// The fingerprint, or a string that marks it unreadable: a fingerprint must
    /// never collide with a readable dataset's, and `fingerprint` cannot throw.
    static func finish(_ body: (inout FingerprintBuilder) throws -> Void, reader: String) -> String {
        var builder = FingerprintBuilder(reader: reader)
        do {
            try body(&builder)
            return builder.hasher.finalizeHex()
        } catch {
            return "unreadable:" + SHA256.hex("\(error)")
        }
    }
}
