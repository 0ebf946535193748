import Foundation

/// Fractions for seeded splits of datasets that do not define a split themselves.
public struct SplitPlan: Sendable, Equatable {
    public var train: Double
    public var validation: Double
    public var test: Double
    public var seed: UInt64

    public init(train: Double = 0.8, validation: Double = 0.1, test: Double = 0.1, seed: UInt64 = 0) {
        self.train = train; self.validation = validation; self.test = test; self.seed = seed
    }

    public func fraction(_ split: DatasetSplit) -> Double {
        switch split {
        case .train: return train
        case .validation: return validation
        case .test: return test
        }
    }
}

/// Opens a dataset from a path, detecting its layout (see docs/DATA.md for the rules).
public enum DatasetLoader {
    /// One part of a dataset's layout and how to open it.
    struct Part {
        var split: DatasetSplit?
        var open: () throws -> any Dataset
    }

    /// Opens `url` (a directory, or a single `.csv`/`.tsv`/`.npz`/idx/`.bin` file).
    /// `split` picks one predefined split; nil opens everything the dataset holds (all
    /// splits concatenated, train first). A split the dataset does not define is an
    /// error listing the ones it does: use `SeededSplit` then. `format` skips
    /// detection.
    public static func open(
        _ url: URL, split: DatasetSplit?, format: DatasetFormat? = nil,
        channels: ImageChannels = .rgb
    ) throws -> any Dataset {
        let (_, parts) = try layout(url, format: format, channels: channels)
        if let split {
            guard let part = parts.first(where: { $0.split == split }) else {
                throw DataError.splitNotDefined(
                    path: url.path, split: split.rawValue,
                    available: parts.compactMap { $0.split?.rawValue })
            }
            return try part.open()
        }
        if parts.count == 1 { return try parts[0].open() }
        return ConcatDataset(try parts.map { try $0.open() })
    }

    /// Opens `split`, falling back to a seeded, stratified split where the dataset does
    /// not define it. A dataset with no predefined splits is split whole by the plan's
    /// fractions. A dataset that defines a train split but lacks others (CIFAR and MNIST
    /// have no validation split) has the missing ones carved out of its train split,
    /// and `.train` then returns what remains, so the parts never overlap. Predefined
    /// splits other than train are returned as they are.
    public static func open(
        _ url: URL, split: DatasetSplit, plan: SplitPlan, format: DatasetFormat? = nil,
        channels: ImageChannels = .rgb
    ) throws -> any Dataset {
        let (_, parts) = try layout(url, format: format, channels: channels)
        let defined = Set(parts.compactMap(\.split))
        if defined.isEmpty {
            let all = parts.count == 1 ? try parts[0].open() : ConcatDataset(try parts.map { try $0.open() })
            let order: [DatasetSplit] = [.train, .validation, .test]
            let subsets = try SeededSplit.subsets(of: all, fractions: order.map(plan.fraction), seed: plan.seed)
            return subsets[order.firstIndex(of: split) ?? 0]
        }
        if split != .train, let part = parts.first(where: { $0.split == split }) { return try part.open() }
        let missing = DatasetSplit.allCases.filter { !defined.contains($0) && plan.fraction($0) > 0 }
        guard let trainPart = parts.first(where: { $0.split == .train }), split == .train || missing.contains(split) else {
            throw DataError.splitNotDefined(path: url.path, split: split.rawValue, available: parts.compactMap { $0.split?.rawValue })
        }
        let train = try trainPart.open()
        if missing.isEmpty { return train }
        let carve = [DatasetSplit.train] + missing
        let subsets = try SeededSplit.subsets(of: train, fractions: carve.map(plan.fraction), seed: plan.seed)
        return subsets[carve.firstIndex(of: split) ?? 0]
    }

    /// The format `open` would use for `url`.
    public static func detect(_ url: URL) throws -> DatasetFormat {
        try layout(url, format: nil, channels: .rgb).0
    }

    /// The splits `url` defines (empty when it defines none).
    public static func splits(_ url: URL, format: DatasetFormat? = nil) throws -> [DatasetSplit] {
        try layout(url, format: format, channels: .rgb).1.compactMap(\.split)
    }

    static let splitFolderNames: [(DatasetSplit, [String])] = [
        (.train, ["train", "training"]), (.validation, ["val", "validation", "valid"]), (.test, ["test", "testing"]),
    ]

    static func isDirectory(_ url: URL) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue
    }

    static func layout(_ url: URL, format: DatasetFormat?, channels: ImageChannels) throws -> (DatasetFormat, [Part]) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DataError.cannotRead(path: url.path, reason: "no such file or directory")
        }
        if !isDirectory(url) { return try fileLayout(url, format: format) }
        let names: Set<String>
        do {
            names = Set(try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") })
        } catch {
            throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        func file(_ n: String) -> URL { url.appendingPathComponent(n) }
        let wants = { (f: DatasetFormat) in format == nil || format == f }

        // CIFAR-10
        let cifar10Train = names.filter { $0.hasPrefix("data_batch_") && $0.hasSuffix(".bin") }
            .sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }
        if wants(.cifar10), !cifar10Train.isEmpty || names.contains("test_batch.bin") {
            let classes = readNameList(file("batches.meta.txt"))
            var parts = [Part]()
            if !cifar10Train.isEmpty {
                parts.append(
                    Part(split: .train) {
                        try CIFARDataset(files: cifar10Train.map(file), variant: .cifar10, classNames: classes, splitName: "train")
                    })
            }
            if names.contains("test_batch.bin") {
                parts.append(
                    Part(split: .test) {
                        try CIFARDataset(files: [file("test_batch.bin")], variant: .cifar10, classNames: classes, splitName: "test")
                    })
            }
            return (.cifar10, parts)
        }
        // CIFAR-100
        if wants(.cifar100), names.contains("train.bin") || names.contains("test.bin") {
            let classes = readNameList(file("fine_label_names.txt"))
            var parts = [Part]()
            for (split, name) in [(DatasetSplit.train, "train.bin"), (.test, "test.bin")] where names.contains(name) {
                parts.append(
                    Part(split: split) { try CIFARDataset(files: [file(name)], variant: .cifar100, classNames: classes, splitName: split.rawValue) })
            }
            return (.cifar100, parts)
        }
        // MNIST idx
        if wants(.mnist) {
            var parts = [Part]()
            for (split, prefix) in [(DatasetSplit.train, "train"), (.test, "t10k")] {
                guard
                    let images = names.filter({ $0.hasPrefix(prefix + "-images") && $0.contains("idx3-ubyte") })
                        .sorted(by: { $0.count < $1.count }).first
                else { continue }
                let labelName = images.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3", with: "idx1")
                let labelCandidates = [labelName, labelName + ".gz", labelName.replacingOccurrences(of: ".gz", with: "")]
                guard let labels = labelCandidates.first(where: names.contains) else {
                    throw DataError.unrecognizedLayout(path: file(images).path, reason: "expected the labels file \(labelName) next to it")
                }
                parts.append(Part(split: split) { try MNISTDataset(images: file(images), labels: file(labels), splitName: split.rawValue) })
            }
            if !parts.isEmpty { return (.mnist, parts) }
        }
        // NumPy
        if wants(.numpy) {
            let classes = readNameList(file("classes.txt"))
            for (x, y) in [("images.npy", "labels.npy"), ("x.npy", "y.npy")] where names.contains(x) && names.contains(y) {
                return (.numpy, [Part(split: nil) { try NumpyDataset(images: file(x), labels: file(y), classNames: classes) }])
            }
            let npz = splitFiles(names, ext: "npz")
            if !npz.isEmpty {
                return (
                    .numpy,
                    npz.map { entry in
                        Part(split: entry.0) { try NumpyDataset(npz: file(entry.1), classNames: classes, splitName: entry.0?.rawValue ?? "all") }
                    }
                )
            }
        }
        // Text: JSON Lines, or CSV/TSV files with a text column (before numeric CSV).
        if wants(.text) {
            for ext in ["jsonl", "ndjson", "csv", "tsv"] {
                let files = splitFiles(names, ext: ext)
                guard !files.isEmpty else { continue }
                let isText =
                    ext == "jsonl" || ext == "ndjson" || format == .text
                    || files.allSatisfy { TextTable.peekColumns(file($0.1)).map(TextDataset.hasTextColumn) ?? false }
                if isText { return (.text, textParts(files.map { ($0.0, file($0.1)) })) }
            }
        }
        // CSV
        if wants(.csv) {
            let csv = splitFiles(names, ext: "csv")
            if !csv.isEmpty {
                return (.csv, csv.map { entry in Part(split: entry.0) { try CSVDataset(url: file(entry.1), splitName: entry.0?.rawValue ?? "all") } })
            }
        }
        // Split subfolders (train/val/test), each a dataset of the same format.
        var splitDirs = [(DatasetSplit, URL)]()
        for (split, candidates) in splitFolderNames {
            if let name = candidates.first(where: { names.contains($0) && isDirectory(file($0)) }) { splitDirs.append((split, file(name))) }
        }
        if !splitDirs.isEmpty {
            let inner = try layout(splitDirs[0].1, format: format, channels: channels).0
            if inner == .imageFolder {
                // One class list for all splits, so a label means the same class everywhere.
                let classes = try Array(Set(splitDirs.flatMap { try ImageFolderDataset.classFolders(in: $0.1) })).sorted()
                return (
                    .imageFolder,
                    splitDirs.map { entry in
                        Part(split: entry.0) {
                            try ImageFolderDataset(root: entry.1, classNames: classes, channels: channels, splitName: entry.0.rawValue)
                        }
                    }
                )
            }
            return (
                inner,
                splitDirs.map { entry in
                    Part(split: entry.0) {
                        let parts = try layout(entry.1, format: inner, channels: channels).1
                        return parts.count == 1 ? try parts[0].open() : ConcatDataset(try parts.map { try $0.open() })
                    }
                }
            )
        }
        if wants(.imageFolder), ImageFolderDataset.looksLikeImageFolder(url) {
            return (.imageFolder, [Part(split: nil) { try ImageFolderDataset(root: url, channels: channels) }])
        }
        // A folder holding a single folder (an extracted archive such as cifar-10-batches-bin).
        let dirs = names.sorted().filter { isDirectory(file($0)) }
        if dirs.count == 1, names.count == 1 || format != nil {
            return try layout(file(dirs[0]), format: format, channels: channels)
        }
        throw DataError.unrecognizedLayout(
            path: url.path,
            reason: format.map { "expected a \($0.rawValue) layout" }
                ?? "expected class folders of PNG/JPEG images, CIFAR .bin batches, MNIST idx files, images.npy + labels.npy, .npz, .csv or .jsonl files"
        )
    }

    /// Files with extension `ext`: split-named ones (`train.csv`, `val.csv`, ...) as
    /// splits, or a single other file as the whole dataset.
    static func splitFiles(_ names: Set<String>, ext: String) -> [(DatasetSplit?, String)] {
        var out = [(DatasetSplit?, String)]()
        for (split, stems) in splitFolderNames {
            if let stem = stems.first(where: { names.contains("\($0).\(ext)") }) { out.append((split, "\(stem).\(ext)")) }
        }
        if !out.isEmpty { return out }
        let all: [String] = names.filter { ($0 as NSString).pathExtension.lowercased() == ext }.sorted()
        return all.count == 1 ? [(nil, all[0])] : []
    }

    /// Text datasets, one per split file. With several files, every split is read
    /// with one class list (the union over the files) and one task, so a label means
    /// the same class in every split.
    static func textParts(_ files: [(DatasetSplit?, URL)]) -> [Part] {
        if files.count == 1 {
            return [Part(split: files[0].0) { try TextDataset(url: files[0].1, splitName: files[0].0?.rawValue ?? "all") }]
        }
        return files.map { entry in
            Part(split: entry.0) {
                let all = try files.map { try TextDataset(url: $0.1) }
                let task = all[0].task
                if let other = all.first(where: { $0.task != task }) {
                    throw DataError.invalidField(
                        path: other.url.path, field: "labels", expected: "a \(task.rawValue) task like \(all[0].url.lastPathComponent)",
                        found: "a \(other.task.rawValue) task")
                }
                var names: [String]?
                if task != .regression, all.allSatisfy({ $0.labelColumns.count == 1 }) {
                    let numeric = all.allSatisfy { $0.classNames.enumerated().allSatisfy { $0.element == String($0.offset) } }
                    names =
                        numeric
                        ? (0..<(all.map(\.classNames.count).max() ?? 0)).map(String.init)
                        : Array(Set(all.flatMap(\.classNames))).sorted()
                }
                return try TextDataset(url: entry.1, task: task, classNames: names, splitName: entry.0?.rawValue ?? "all")
            }
        }
    }

    static func fileLayout(_ url: URL, format: DatasetFormat?) throws -> (DatasetFormat, [Part]) {
        let name = url.lastPathComponent
        let ext = url.pathExtension.lowercased()
        if format == .text
            || (format == nil
                && (ext == "jsonl" || ext == "ndjson"
                    || ((ext == "csv" || ext == "tsv") && (TextTable.peekColumns(url).map(TextDataset.hasTextColumn) ?? false))))
        {
            return (.text, textParts([(nil, url)]))
        }
        if format == .csv || (format == nil && (ext == "csv" || ext == "tsv")) {
            return (.csv, [Part(split: nil) { try CSVDataset(url: url) }])
        }
        if format == .numpy || (format == nil && ext == "npz") {
            return (.numpy, [Part(split: nil) { try NumpyDataset(npz: url) }])
        }
        if format == .mnist || (format == nil && name.contains("idx3-ubyte")) {
            let labels = url.deletingLastPathComponent().appendingPathComponent(
                name.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(of: "idx3", with: "idx1"))
            return (.mnist, [Part(split: nil) { try MNISTDataset(images: url, labels: labels) }])
        }
        if format == .cifar10 || format == .cifar100 || (format == nil && ext == "bin") {
            let variant: CIFARDataset.Variant =
                format == .cifar100 || (format == nil && (name == "train.bin" || name == "test.bin")) ? .cifar100 : .cifar10
            return (variant == .cifar10 ? .cifar10 : .cifar100, [Part(split: nil) { try CIFARDataset(files: [url], variant: variant) }])
        }
        throw DataError.unrecognizedLayout(
            path: url.path, reason: "a single file must be .csv, .tsv, .jsonl, .npz, an idx3-ubyte image file or a CIFAR .bin batch")
    }
}
