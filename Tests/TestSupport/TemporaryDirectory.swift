import Foundation

/// Fresh temporary directories for tests, one per call, under the system's
/// temporary folder; the caller removes it (`defer { TemporaryDirectory.remove(dir) }`).
public enum TemporaryDirectory {
    /// A new empty directory named `<prefix>-<UUID>`.
    public static func make(_ prefix: String = "hubminer-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }
}
