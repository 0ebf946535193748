import Foundation

/// An opened feature file: its format, its named arrays, and how to get at each.
///
/// This is where the formats meet the key-selection rules shared by every command:
/// an explicit key must exist; without one, a file with exactly one array uses it and
/// a file with several is an error listing them.
struct ArraySource {
    enum Content {
        /// `.npy`: one unnamed array.
        case single(RawArray)
        /// `.npz`: members by key (name without `.npy`), parsed on demand so an unused
        /// compressed member is never inflated.
        case archive(ZipArchive, [(key: String, entry: ZipArchive.Entry)])
        /// safetensors: tensors by name, in file order.
        case tensors([SafetensorsReader.Tensor])
        /// CSV: parsed up front (text has no random access).
        case table(CSVReader.Table)
    }

    let url: URL
    let format: FeatureFormat
    let content: Content

    var path: String { url.relativePath }

    /// `mapLarge`: map files of `ByteBuffer.mapThreshold` bytes or more instead of
    /// reading them (streaming readers of files larger than memory).
    init(_ url: URL, mapLarge: Bool = false) throws {
        self.url = url
        let buffer = try ByteBuffer.open(url, mapLarge: mapLarge)
        let format = try FeatureFormat.detect(url, bytes: buffer.bytes)
        self.format = format
        let path = url.relativePath
        let file = ByteSlice(buffer)
        switch format {
        case .npy:
            content = .single(try NpyReader.parse(file, path: path))
        case .npz:
            let archive = try ZipArchive(file, path: path)
            // Only `.npy` members hold arrays; anything else in the archive (NumPy would
            // hand it back as raw bytes) is not offered as a key.
            let members = archive.entries
                .filter { $0.name.hasSuffix(".npy") }
                .map { (key: String($0.name.dropLast(4)), entry: $0) }
            content = .archive(archive, members)
        case .safetensors:
            content = .tensors(try SafetensorsReader.parse(file, path: path))
        case .csv:
            content = .table(try CSVReader.parse(buffer.bytes, path: path))
        }
    }

    /// The array names; empty for formats that hold one unnamed array.
    var keys: [String] {
        switch content {
        case .single, .table: return []
        case .archive(_, let members): return members.map(\.key)
        case .tensors(let tensors): return tensors.map(\.name)
        }
    }

    /// Resolves `key` by the shared rules and returns where the array lives, or the
    /// parsed CSV table.
    func select(_ key: String?) throws -> Either {
        switch content {
        case .single(let raw):
            if let key { throw FeatureIOError.keyNotApplicable(path: path, key: key, format: ".npy") }
            return .raw(raw)
        case .table(let table):
            if let key { throw FeatureIOError.keyNotApplicable(path: path, key: key, format: "CSV") }
            return .table(table)
        case .archive(let archive, let members):
            let chosen = try choose(key, among: members.map(\.key))
            guard let member = members.first(where: { $0.key == chosen }) else {
                throw FeatureIOError.missingKey(path: path, key: chosen, available: keys)
            }
            let memberPath = "\(path) (member '\(member.entry.name)')"
            let contents = try archive.contents(of: member.entry)
            return .raw(try NpyReader.parse(contents, path: memberPath))
        case .tensors(let tensors):
            let chosen = try choose(key, among: tensors.map(\.name))
            guard let tensor = tensors.first(where: { $0.name == chosen }) else {
                throw FeatureIOError.missingKey(path: path, key: chosen, available: keys)
            }
            return .raw(tensor.array)
        }
    }

    enum Either {
        case raw(RawArray)
        case table(CSVReader.Table)
    }

    private func choose(_ key: String?, among available: [String]) throws -> String {
        if let key {
            guard available.contains(key) else {
                throw FeatureIOError.missingKey(path: path, key: key, available: available)
            }
            return key
        }
        switch available.count {
        case 1: return available[0]
        case 0:
            throw FeatureIOError.invalidField(
                path: path, field: "contents", expected: "at least one array",
                found: "none")
        default: throw FeatureIOError.ambiguousKey(path: path, available: available)
        }
    }
}
