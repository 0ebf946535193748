import Foundation
import Support

/// `OUT/extract.json`: the files `extract --out OUT` wrote, so the next extract into
/// the same folder removes the ones it no longer writes (a model removed from the
/// hub) and nothing else. Only names of the layout extract writes are trusted
/// (`features/<model>.npy`, `source_probs/<model>.npy`, `labels.npy`), so an edited
/// list can never make extract delete a file elsewhere.
enum ExtractOutputManifest {
    static let fileName = "extract.json"

    private struct Contents: Codable {
        var format = "hubminer-extract-output"
        var version = 1
        var files: [String]
    }

    /// The files an earlier extract recorded (none when there is no list, or it is unreadable).
    static func read(in directory: URL) -> [String] {
        let url = directory.appendingPathComponent(fileName)
        guard OutputPath.kindProblem(url) == nil, let data = try? Data(contentsOf: url),
            let contents = try? JSONDecoder().decode(Contents.self, from: data), contents.format == "hubminer-extract-output"
        else { return [] }
        return contents.files.filter(isOwnedName)
    }

    static func write(files: [String], in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(try encoder.encode(Contents(files: files.sorted())), to: directory.appendingPathComponent(fileName))
    }

    /// Whether `name` is a path extract writes: one level under features/ or
    /// source_probs/, a plain `.npy` name, or labels.npy.
    static func isOwnedName(_ name: String) -> Bool {
        if name == "labels.npy" { return true }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "features" || parts[0] == "source_probs" else { return false }
        let file = parts[1]
        return file.hasSuffix(".npy") && file.count > 4 && !file.hasPrefix(".") && !file.contains("\\")
    }
}
