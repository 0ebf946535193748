import Foundation
import FeatureIO

/// Reads a whole file (memory-mapped where possible), naming it in errors.
func readFile(_ url: URL) throws -> Data {
    do {
        return try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
        throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
    }
}

/// Class names from a text file with one name per line (blank lines dropped), or nil.
func readNameList(_ url: URL) -> [String]? {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return names.isEmpty ? nil : names
}

// MARK: - CIFAR

/// CIFAR-10/100 binary batches. A CIFAR-10 record is 1 label byte then 3072 pixel
/// bytes (1024 red, 1024 green, 1024 blue, row-major 32x32); a CIFAR-100 record has a
/// coarse and a fine label byte, and the fine label is used. Files: CIFAR-10
/// `data_batch_1.bin`...`data_batch_5.bin` (train) and `test_batch.bin` (test);
/// CIFAR-100 `train.bin` and `test.bin`. Class names come from `batches.meta.txt` or
/// `fine_label_names.txt` when present, else the label numbers.
public struct CIFARDataset: Dataset {
    public enum Variant: String, Sendable { case cifar10, cifar100 }
    struct Part: Sendable { var url: URL; var data: Data; var records: Int }

    public let variant: Variant
    public let classNames: [String]
    public let splitName: String
    let parts: [Part]
    let starts: [Int]
    public let count: Int
    public var kind: SampleKind { .image }

    static let pixelBytes = 3072
    var recordBytes: Int { variant == .cifar10 ? 3073 : 3074 }
    var labelOffset: Int { variant == .cifar10 ? 0 : 1 }
    var classCount: Int { variant == .cifar10 ? 10 : 100 }

    /// Reads the given batch files (in order).
    public init(files: [URL], variant: Variant, classNames: [String]? = nil, splitName: String = "all") throws {
        self.variant = variant
        self.splitName = splitName
        let record = variant == .cifar10 ? 3073 : 3074
        let classes = variant == .cifar10 ? 10 : 100
        var parts = [Part]()
        var starts = [Int]()
        var total = 0
        for url in files {
            let data = try readFile(url)
            guard !data.isEmpty, data.count % record == 0 else {
                throw DataError.invalidField(
                    path: url.path, field: "file size",
                    expected: "a positive multiple of \(record) bytes (\(variant.rawValue) records)",
                    found: "\(data.count) bytes")
            }
            let n = data.count / record
            let labelOffset = variant == .cifar10 ? 0 : 1
            // Checked once here so sample(at:) never meets an out-of-range label.
            for r in 0..<n {
                let label = Int(data[data.startIndex + r * record + labelOffset])
                if label >= classes {
                    throw DataError.invalidField(
                        path: url.path, field: "record \(r) label",
                        expected: "0..<\(classes)", found: "\(label)")
                }
            }
            starts.append(total)
            parts.append(Part(url: url, data: data, records: n))
            total += n
        }
        self.parts = parts
        self.starts = starts
        self.count = total
        if let names = classNames, names.count == classes {
            self.classNames = names
        } else {
            self.classNames = (0..<classes).map(String.init)
        }
    }

    func locate(_ index: Int) throws -> (Part, Int) {
        guard index >= 0, index < count else { throw DataError.invalidArgument("CIFAR sample index \(index) outside 0..<\(count)") }
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return (parts[lo], index - starts[lo])
    }

    public func sample(at index: Int) throws -> Sample {
        let (part, r) = try locate(index)
        let base = part.data.startIndex + r * recordBytes
        let label = Int(part.data[base + labelOffset])
        let start = base + recordBytes - Self.pixelBytes
        var values = [Float](repeating: 0, count: Self.pixelBytes)
        part.data.withUnsafeBytes { raw in
            let p = raw.bindMemory(to: UInt8.self)
            let offset = start - part.data.startIndex
            for i in 0..<Self.pixelBytes { values[i] = Float(p[offset + i]) / 255 }
        }
        return Sample(values: values, shape: [3, 32, 32], label: label, source: "\(part.url.path)#\(r)")
    }

    public func label(at index: Int) throws -> Int? {
        let (part, r) = try locate(index)
        return Int(part.data[part.data.startIndex + r * recordBytes + labelOffset])
    }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(classNames.joined(separator: "\u{1F}"))
                for p in parts { try b.addFile(p.url, name: p.url.lastPathComponent) }
            }, reader: variant.rawValue)
    }
}

// MARK: - MNIST idx

/// MNIST / Fashion-MNIST idx files: an image file (magic 0x00000803, count, rows,
/// columns, then unsigned bytes) and a label file (magic 0x00000801, count, bytes),
/// plain or gzip-compressed. Samples are `[1, rows, columns]`.
public struct MNISTDataset: Dataset {
    public let imagesURL: URL
    public let labelsURL: URL
    public let classNames: [String]
    public let splitName: String
    let pixels: Data
    let labelBytes: Data
    public let rows: Int
    public let columns: Int
    public let count: Int
    public var kind: SampleKind { .image }

    static let digitNames = (0..<10).map(String.init)
    static let fashionNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    public init(images: URL, labels: URL, classNames: [String]? = nil, splitName: String = "all") throws {
        let imageData = try Self.load(images)
        let labelData = try Self.load(labels)
        func u32(_ d: Data, _ at: Int) -> Int {
            let s = d.startIndex + at
            return Int(d[s]) << 24 | Int(d[s + 1]) << 16 | Int(d[s + 2]) << 8 | Int(d[s + 3])
        }
        guard imageData.count >= 16 else {
            throw DataError.invalidField(path: images.path, field: "idx header", expected: "16 bytes", found: "\(imageData.count) bytes")
        }
        guard u32(imageData, 0) == 0x803 else {
            throw DataError.invalidField(
                path: images.path, field: "idx magic", expected: "0x00000803 (unsigned byte, 3 dimensions)",
                found: String(format: "0x%08x", u32(imageData, 0)))
        }
        guard labelData.count >= 8 else {
            throw DataError.invalidField(path: labels.path, field: "idx header", expected: "8 bytes", found: "\(labelData.count) bytes")
        }
        guard u32(labelData, 0) == 0x801 else {
            throw DataError.invalidField(
                path: labels.path, field: "idx magic", expected: "0x00000801 (unsigned byte, 1 dimension)",
                found: String(format: "0x%08x", u32(labelData, 0)))
        }
        let n = u32(imageData, 4), rows = u32(imageData, 8), cols = u32(imageData, 12)
        let expectedBytes = 16 + n * rows * cols
        guard imageData.count == expectedBytes else {
            throw DataError.invalidField(
                path: images.path, field: "file size",
                expected: "\(expectedBytes) bytes for \(n) images of \(rows)x\(cols)", found: "\(imageData.count) bytes")
        }
        let ln = u32(labelData, 4)
        guard labelData.count == 8 + ln else {
            throw DataError.invalidField(
                path: labels.path, field: "file size", expected: "\(8 + ln) bytes for \(ln) labels",
                found: "\(labelData.count) bytes")
        }
        guard ln == n else {
            throw DataError.invalidField(path: labels.path, field: "label count", expected: "\(n) like \(images.lastPathComponent)", found: "\(ln)")
        }
        let labelSlice = labelData.subdata(in: (labelData.startIndex + 8)..<labelData.endIndex)
        let maxLabel = labelSlice.max().map(Int.init) ?? 0
        let fashion = images.path.lowercased().contains("fashion")
        let names = classNames ?? (fashion ? Self.fashionNames : Self.digitNames)
        guard maxLabel < names.count else {
            throw DataError.invalidField(path: labels.path, field: "label", expected: "0..<\(names.count)", found: "\(maxLabel)")
        }
        self.imagesURL = images
        self.labelsURL = labels
        self.classNames = names
        self.splitName = splitName
        self.pixels = imageData.subdata(in: (imageData.startIndex + 16)..<imageData.endIndex)
        self.labelBytes = labelSlice
        self.rows = rows
        self.columns = cols
        self.count = n
    }

    static func load(_ url: URL) throws -> Data {
        let data = try readFile(url)
        guard Gzip.isGzip(data) else { return data }
        do {
            return try Gzip.decompress(data, path: url.path)
        } catch let error as FeatureIOError {
            throw DataError.decodeFailed(path: url.path, reason: error.description)
        }
    }

    public func sample(at index: Int) throws -> Sample {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(imagesURL.path): sample index \(index) outside 0..<\(count)") }
        let plane = rows * columns
        var values = [Float](repeating: 0, count: plane)
        pixels.withUnsafeBytes { raw in
            let p = raw.bindMemory(to: UInt8.self)
            for i in 0..<plane { values[i] = Float(p[index * plane + i]) / 255 }
        }
        return Sample(
            values: values, shape: [1, rows, columns], label: Int(labelBytes[labelBytes.startIndex + index]),
            source: "\(imagesURL.path)#\(index)")
    }

    public func label(at index: Int) throws -> Int? {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(labelsURL.path): sample index \(index) outside 0..<\(count)") }
        return Int(labelBytes[labelBytes.startIndex + index])
    }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(classNames.joined(separator: "\u{1F}"))
                try b.addFile(imagesURL, name: imagesURL.lastPathComponent)
                try b.addFile(labelsURL, name: labelsURL.lastPathComponent)
            }, reader: "mnist")
    }
}

/// Several datasets of one format as one (e.g. train + test when no split is asked
/// for). Class names are the first part's.
public struct ConcatDataset: Dataset {
    public let parts: [any Dataset]
    let starts: [Int]
    public let count: Int
    public var classNames: [String] { parts.first?.classNames ?? [] }
    public var kind: SampleKind { parts.first?.kind ?? .image }

    public init(_ parts: [any Dataset]) {
        self.parts = parts
        var starts = [Int]()
        var total = 0
        for p in parts { starts.append(total); total += p.count }
        self.starts = starts
        self.count = total
    }

    func locate(_ index: Int) throws -> (any Dataset, Int) {
        guard index >= 0, index < count else { throw DataError.invalidArgument("sample index \(index) outside 0..<\(count)") }
        var part = 0
        while part + 1 < starts.count && starts[part + 1] <= index { part += 1 }
        return (parts[part], index - starts[part])
    }

    public func sample(at index: Int) throws -> Sample { let (d, i) = try locate(index); return try d.sample(at: i) }
    public func label(at index: Int) throws -> Int? { let (d, i) = try locate(index); return try d.label(at: i) }
    public var fingerprint: String {
        FingerprintBuilder.finish({ b in for p in parts { b.add(p.fingerprint) } }, reader: "concat")
    }
}
