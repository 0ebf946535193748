import Foundation

/// Class-named folders of PNG/JPEG images: `root/<class>/<image>`. Classes are the
/// sorted folder names; files are listed recursively inside each class folder,
/// sorted by relative path. Hidden files and files without an image extension
/// (`.png`, `.jpg`, `.jpeg`, any case) are skipped.
public struct ImageFolderDataset: Dataset {
    public struct Entry: Sendable, Equatable {
        public var url: URL
        /// Path relative to the dataset root, used in fingerprints.
        public var relativePath: String
        public var label: Int
    }

    public let root: URL
    public let entries: [Entry]
    public let classNames: [String]
    public let channels: ImageChannels
    /// The split name recorded in the fingerprint ("all" when none).
    public let splitName: String
    public var kind: SampleKind { .image }
    public var count: Int { entries.count }

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Reads the folder `root` whose subfolders are classes. `classNames` fixes the
    /// class list (so train and validation folders share labels); a folder not in
    /// it is an error. `channels` defaults to RGB so gray and colour files mix.
    public init(root: URL, classNames: [String]? = nil, channels: ImageChannels = .rgb, splitName: String = "all") throws {
        let found = try Self.classFolders(in: root)
        guard !found.isEmpty else {
            throw DataError.unrecognizedLayout(path: root.path, reason: "expected one subfolder per class, found none")
        }
        let names = classNames ?? found
        var index = [String: Int]()
        for (i, n) in names.enumerated() { index[n] = i }
        var entries = [Entry]()
        for folder in found {
            guard let label = index[folder] else {
                throw DataError.invalidField(
                    path: root.appendingPathComponent(folder).path, field: "class folder",
                    expected: "one of the classes " + names.joined(separator: ", "), found: "'\(folder)'")
            }
            for rel in try Self.imageFiles(in: root.appendingPathComponent(folder)) {
                entries.append(
                    Entry(
                        url: root.appendingPathComponent(folder).appendingPathComponent(rel),
                        relativePath: folder + "/" + rel, label: label))
            }
        }
        self.root = root
        self.entries = entries
        self.classNames = names
        self.channels = channels
        self.splitName = splitName
    }

    /// Sorted names of the visible subdirectories of `root`.
    static func classFolders(in root: URL) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        } catch {
            throw DataError.cannotRead(path: root.path, reason: error.localizedDescription)
        }
        return names.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDir)
                && isDir.boolValue
        }.sorted()
    }

    /// Image files below `folder`, relative paths, sorted.
    static func imageFiles(in folder: URL) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder.path) else {
            throw DataError.cannotRead(path: folder.path, reason: "cannot list the folder")
        }
        var out = [String]()
        for case let rel as String in walker {
            let name = (rel as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            if imageExtensions.contains((name as NSString).pathExtension.lowercased()) { out.append(rel) }
        }
        return out.sorted()
    }

    /// True when some subfolder of `root` holds image files (the ImageFolder layout).
    static func looksLikeImageFolder(_ root: URL) -> Bool {
        guard let folders = try? classFolders(in: root) else { return false }
        return folders.contains { (try? imageFiles(in: root.appendingPathComponent($0)).isEmpty == false) ?? false }
    }

    public func sample(at index: Int) throws -> Sample {
        guard entries.indices.contains(index) else {
            throw DataError.invalidArgument("\(root.path): sample index \(index) outside 0..<\(count)")
        }
        let entry = entries[index]
        let image = try ImageCodec.decode(contentsOf: entry.url)
        let (values, shape) = image.sampleValues(channels)
        return Sample(values: values, shape: shape, label: entry.label, source: entry.url.path)
    }

    public func label(at index: Int) throws -> Int? {
        guard entries.indices.contains(index) else {
            throw DataError.invalidArgument("\(root.path): sample index \(index) outside 0..<\(count)")
        }
        return entries[index].label
    }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(channels.rawValue)
                b.add(classNames.joined(separator: "\u{1F}"))
                for e in entries {
                    b.add(String(e.label))
                    try b.addFile(e.url, name: e.relativePath)
                }
            }, reader: "imageFolder")
    }
}
