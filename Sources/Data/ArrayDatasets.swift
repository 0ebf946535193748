import Foundation
import FeatureIO

/// The largest class id a dataset may hold. Ids index the classes `0..<max+1` (class
/// names, the classifier head), so one stray id of 1e9 would allocate a billion of
/// each; real label sets stay far below this.
public let maxClassID = 999_999

/// Labels of integer class ids as they are (`classNames` "0"..."max"), checked to be
/// non-negative integers no larger than `maxClassID`.
func integerLabels(_ values: [Double], path: String, field: String) throws -> [Int] {
    var out = [Int]()
    out.reserveCapacity(values.count)
    for (i, v) in values.enumerated() {
        guard v >= 0, v == v.rounded(), v <= Double(maxClassID) else {
            throw DataError.invalidField(
                path: path, field: "\(field) element \(i)",
                expected: "a non-negative integer class id of at most \(maxClassID) (ids index the classes 0..K-1)", found: "\(v)")
        }
        out.append(Int(v))
    }
    return out
}

// MARK: - NumPy

/// Arrays from NumPy files: images `N x C x H x W` (or `N x H x W`, one channel) or a
/// table `N x F`, plus a label vector of `N` non-negative integer class ids. Either
/// two `.npy` files or one `.npz` holding `images`/`x` and `labels`/`y`. `uint8` pixels
/// are divided by 255; other dtypes are taken as they are. Class names come from a
/// `classes.txt` next to the files when present, else "0"..."max label".
public struct NumpyDataset: Dataset {
    public let files: [URL]
    public let classNames: [String]
    public let kind: SampleKind
    public let splitName: String
    let values: [Float]
    let labelIDs: [Int]
    let sampleShape: [Int]
    public let count: Int

    /// Two `.npy` files.
    public init(images: URL, labels: URL, classNames: [String]? = nil, splitName: String = "all") throws {
        let x = try Self.read(images, key: nil)
        let y = try Self.read(labels, key: nil)
        try self.init(x: x, xPath: images.path, y: y, yPath: labels.path, files: [images, labels], classNames: classNames, splitName: splitName)
    }

    /// One `.npz` with `images` or `x`, and `labels` or `y`.
    public init(npz: URL, classNames: [String]? = nil, splitName: String = "all") throws {
        let keys: [String]
        do { keys = try FeatureFile.keys(at: npz) } catch { throw DataError.cannotRead(path: npz.path, reason: "\(error)") }
        guard let xKey = ["images", "x", "X"].first(where: keys.contains) else {
            throw DataError.invalidField(path: npz.path, field: "arrays", expected: "'images' or 'x'", found: keys.joined(separator: ", "))
        }
        guard let yKey = ["labels", "y", "Y"].first(where: keys.contains) else {
            throw DataError.invalidField(path: npz.path, field: "arrays", expected: "'labels' or 'y'", found: keys.joined(separator: ", "))
        }
        try self.init(
            x: try Self.read(npz, key: xKey), xPath: "\(npz.path)[\(xKey)]", y: try Self.read(npz, key: yKey),
            yPath: "\(npz.path)[\(yKey)]", files: [npz], classNames: classNames, splitName: splitName)
    }

    static func read(_ url: URL, key: String?) throws -> NumericArray {
        do {
            return try FeatureFile.readArray(at: url, key: key)
        } catch let error as FeatureIOError {
            throw DataError.cannotRead(path: url.path, reason: error.description)
        }
    }

    init(x: NumericArray, xPath: String, y: NumericArray, yPath: String, files: [URL], classNames: [String]?, splitName: String) throws {
        let n: Int
        switch x.shape.count {
        case 4: n = x.shape[0]; sampleShape = Array(x.shape.dropFirst()); kind = .image
        case 3: n = x.shape[0]; sampleShape = [1] + Array(x.shape.dropFirst()); kind = .image
        case 2: n = x.shape[0]; sampleShape = [x.shape[1]]; kind = .tabular
        default:
            throw DataError.invalidField(
                path: xPath, field: "shape", expected: "N x C x H x W, N x H x W or N x F",
                found: "\(x.shape)")
        }
        guard y.shape.count == 1 || (y.shape.count == 2 && y.shape[1] == 1) else {
            throw DataError.invalidField(path: yPath, field: "shape", expected: "a vector of \(n) labels", found: "\(y.shape)")
        }
        guard y.shape[0] == n else {
            throw DataError.invalidField(path: yPath, field: "label count", expected: "\(n) (one per sample)", found: "\(y.shape[0])")
        }
        labelIDs = try integerLabels(y.values, path: yPath, field: "label")
        let scale = x.dtype == .uint8 ? 1.0 / 255.0 : 1.0
        values = x.values.map { Float($0 * scale) }
        count = n
        self.files = files
        self.splitName = splitName
        let classes = (labelIDs.max() ?? -1) + 1
        if let names = classNames, names.count >= classes {
            self.classNames = names
        } else {
            self.classNames = (0..<classes).map(String.init)
        }
    }

    public func sample(at index: Int) throws -> Sample {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(files[0].path): sample index \(index) outside 0..<\(count)") }
        let size = sampleShape.reduce(1, *)
        return Sample(
            values: Array(values[(index * size)..<((index + 1) * size)]), shape: sampleShape, label: labelIDs[index],
            source: "\(files[0].path)#\(index)")
    }

    public func label(at index: Int) throws -> Int? {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(files[0].path): sample index \(index) outside 0..<\(count)") }
        return labelIDs[index]
    }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(classNames.joined(separator: "\u{1F}"))
                for f in files { try b.addFile(f, name: f.lastPathComponent) }
            }, reader: "numpy")
    }
}

// MARK: - CSV

/// A CSV table for tabular models: a header row, numeric feature columns and one
/// label column named `label` (or `target`, `class`, `y`; any case). Labels that are
/// all non-negative integers are class ids (`classNames` "0"..."max"); otherwise the
/// distinct strings, sorted, are the classes. Fields are split on commas (tabs for
/// `.tsv`); double-quoted fields may contain the separator.
public struct CSVDataset: Dataset {
    public let url: URL
    public let featureNames: [String]
    /// The header of the column holding the labels.
    public let labelColumn: String
    public let classNames: [String]
    public let splitName: String
    let rows: [[Float]]
    let labelIDs: [Int]
    public var count: Int { rows.count }
    public var kind: SampleKind { .tabular }

    static let labelColumns = ["label", "target", "class", "y"]

    public init(url: URL, labelColumn: String? = nil, classNames: [String]? = nil, splitName: String = "all") throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        let separator: Character = url.pathExtension.lowercased() == "tsv" ? "\t" : ","
        var lines = [(Int, [String])]()
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            lines.append((i + 1, Self.fields(line, separator: separator)))
        }
        guard let header = lines.first?.1 else {
            throw DataError.invalidField(path: url.path, field: "header", expected: "a header row", found: "an empty file")
        }
        let lowered = header.map { $0.lowercased() }
        let wanted = labelColumn.map { [$0.lowercased()] } ?? Self.labelColumns
        guard let labelIndex = wanted.lazy.compactMap({ lowered.firstIndex(of: $0) }).first else {
            throw DataError.invalidField(
                path: url.path, field: "header", expected: "a label column named " + wanted.joined(separator: ", "),
                found: header.joined(separator: ","))
        }
        var rows = [[Float]]()
        var rawLabels = [String]()
        for (lineNumber, cells) in lines.dropFirst() {
            guard cells.count == header.count else {
                throw DataError.invalidField(
                    path: url.path, field: "line \(lineNumber)", expected: "\(header.count) fields like the header",
                    found: "\(cells.count)")
            }
            var row = [Float]()
            row.reserveCapacity(cells.count - 1)
            for (c, cell) in cells.enumerated() where c != labelIndex {
                guard let v = Double(cell.trimmingCharacters(in: .whitespaces)) else {
                    throw DataError.invalidField(
                        path: url.path, field: "line \(lineNumber), column \(c + 1) (\(header[c]))",
                        expected: "a number", found: "'\(cell)'")
                }
                row.append(Float(v))
            }
            rows.append(row)
            rawLabels.append(cells[labelIndex].trimmingCharacters(in: .whitespaces))
        }
        let numeric = rawLabels.compactMap { Int($0) }
        if numeric.count == rawLabels.count && numeric.allSatisfy({ $0 >= 0 }) {
            if let (r, id) = numeric.enumerated().first(where: { $0.element > maxClassID }) {
                throw DataError.invalidField(
                    path: url.path, field: "row \(r + 1) label",
                    expected: "a class id of at most \(maxClassID) (ids index the classes 0..K-1)", found: "\(id)")
            }
            labelIDs = numeric
            let classes = (numeric.max() ?? -1) + 1
            self.classNames = classNames.flatMap { $0.count >= classes ? $0 : nil } ?? (0..<classes).map(String.init)
        } else {
            let names = classNames ?? Array(Set(rawLabels)).sorted()
            var index = [String: Int]()
            for (i, n) in names.enumerated() { index[n] = i }
            var ids = [Int]()
            for (r, l) in rawLabels.enumerated() {
                guard let id = index[l] else {
                    throw DataError.invalidField(
                        path: url.path, field: "row \(r + 1) label", expected: "one of " + names.joined(separator: ", "),
                        found: "'\(l)'")
                }
                ids.append(id)
            }
            labelIDs = ids
            self.classNames = names
        }
        self.url = url
        self.rows = rows
        self.labelColumn = header[labelIndex]
        self.featureNames = header.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        self.splitName = splitName
    }

    static func fields(_ line: Substring, separator: Character) -> [String] {
        var out = [String]()
        var current = ""
        var quoted = false
        var chars = line.makeIterator()
        while let ch = chars.next() {
            if quoted {
                if ch == "\"" { quoted = false } else { current.append(ch) }
            } else if ch == "\"" {
                quoted = true
            } else if ch == separator {
                out.append(current); current = ""
            } else {
                current.append(ch)
            }
        }
        out.append(current)
        return out
    }

    public func sample(at index: Int) throws -> Sample {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(url.path): row index \(index) outside 0..<\(count)") }
        return Sample(values: rows[index], shape: [rows[index].count], label: labelIDs[index], source: "\(url.path)#row\(index + 1)")
    }

    public func label(at index: Int) throws -> Int? {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(url.path): row index \(index) outside 0..<\(count)") }
        return labelIDs[index]
    }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(labelColumn); b.add(classNames.joined(separator: "\u{1F}"))
                try b.addFile(url, name: url.lastPathComponent)
            }, reader: "csv")
    }
}
