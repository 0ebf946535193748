import Foundation
import Testing

/// A fresh temporary directory; remove it with `cleanup`.
func makeTempDir(_ name: String = #function) throws -> URL {
    let safe = name.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-zoo-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func cleanup(_ url: URL) { try? FileManager.default.removeItem(at: url) }
