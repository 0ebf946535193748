import Foundation

/// What a text dataset's labels are.
public enum TextTask: String, Sendable, Codable, CaseIterable {
    /// One class per sample (`label` holds its index into `classNames`).
    case classification
    /// One float target per sample (`targets == [y]`, `label == nil`).
    case regression
    /// Any number of classes per sample (`targets` is 0/1 over `classNames`).
    case multiLabel
}

/// Labelled texts (or text pairs) from a CSV, TSV or JSON Lines file. Samples carry
/// `texts` (one or two strings) instead of pixels, so the hub layer can tokenise
/// them for each model; `values` is empty. `DataLoader` batches them as any dataset
/// (`Batch.texts`, `Batch.targets`).
///
/// Columns are found by name unless given: pairs `sentence1`/`sentence2`,
/// `text_a`/`text_b`, `premise`/`hypothesis`, `question1`/`question2`,
/// `question`/`sentence`, `query`/`passage`, `text`/`text_pair`; else one of `text`,
/// `sentence`, `content`, `review`, `document`. The label is `label` (or `labels`,
/// `target`, `class`, `y`, `score`); without one, two or more 0/1 columns are a
/// multi-label target. See docs/DATA.md for how the task is inferred.
public struct TextDataset: Dataset {
    public let url: URL
    public let textColumns: [String]
    public let labelColumns: [String]
    public let task: TextTask
    public let classNames: [String]
    public let splitName: String
    let texts: [[String]]
    let lines: [Int]
    let labelIDs: [Int?]
    let targets: [[Float]]

    public var count: Int { texts.count }
    public var kind: SampleKind { .text }

    static let pairColumns = [
        ("sentence1", "sentence2"), ("text_a", "text_b"), ("premise", "hypothesis"), ("question1", "question2"),
        ("question", "sentence"), ("query", "passage"), ("text", "text_pair"),
    ]
    static let singleColumns = ["text", "sentence", "content", "review", "document"]
    static let labelNames = ["label", "labels", "target", "class", "y", "score"]

    /// Whether `columns` name a text column (how `DatasetLoader` tells a text CSV from a numeric one).
    static func hasTextColumn(_ columns: [String]) -> Bool {
        let lowered = Set(columns.map { $0.lowercased() })
        return singleColumns.contains(where: lowered.contains) || pairColumns.contains { lowered.contains($0.0) && lowered.contains($0.1) }
    }

    /// Reads `url`. `textColumns` (one or two), `labelColumns` (one, or several 0/1
    /// columns for multi-label) and `task` override detection; `classNames` fixes the
    /// class list (so splits in several files agree).
    public init(
        url: URL, textColumns: [String]? = nil, labelColumns: [String]? = nil, task: TextTask? = nil,
        classNames: [String]? = nil, splitName: String = "all"
    ) throws {
        let path = url.path
        let table = try TextTable.read(url)
        guard !table.records.isEmpty else {
            throw DataError.invalidField(path: path, field: "records", expected: "at least one labelled text", found: "none")
        }
        func column(_ name: String) -> String? { table.columns.first { $0.lowercased() == name.lowercased() } }
        // Text columns.
        var textCols = [String]()
        if let textColumns {
            guard (1...2).contains(textColumns.count) else {
                throw DataError.invalidArgument("\(path): give one or two text columns, not \(textColumns.count)")
            }
            for c in textColumns {
                guard let found = column(c) else {
                    throw DataError.invalidField(
                        path: path, field: "columns", expected: "a text column '\(c)'", found: table.columns.joined(separator: ", "))
                }
                textCols.append(found)
            }
        } else if let pair = Self.pairColumns.first(where: { column($0.0) != nil && column($0.1) != nil }) {
            textCols = [column(pair.0)!, column(pair.1)!]
        } else if let single = Self.singleColumns.lazy.compactMap(column).first {
            textCols = [single]
        } else {
            throw DataError.invalidField(
                path: path, field: "columns",
                expected: "a text column (" + Self.singleColumns.joined(separator: ", ") + ", or a pair such as sentence1/sentence2)",
                found: table.columns.isEmpty ? "none" : table.columns.joined(separator: ", "))
        }
        // Label columns.
        var labelCols = [String]()
        if let labelColumns {
            for c in labelColumns {
                guard let found = column(c) else {
                    throw DataError.invalidField(
                        path: path, field: "columns", expected: "a label column '\(c)'", found: table.columns.joined(separator: ", "))
                }
                labelCols.append(found)
            }
            guard !labelCols.isEmpty else { throw DataError.invalidArgument("\(path): give at least one label column") }
        } else if let single = Self.labelNames.lazy.compactMap(column).first {
            labelCols = [single]
        } else {
            let others = table.columns.filter { !textCols.contains($0) }
            guard others.count >= 2 else {
                throw DataError.invalidField(
                    path: path, field: "columns",
                    expected: "a label column (" + Self.labelNames.joined(separator: ", ") + ") or several 0/1 label columns",
                    found: table.columns.joined(separator: ", "))
            }
            labelCols = others
        }

        // Texts, checked per record.
        var texts = [[String]]()
        texts.reserveCapacity(table.records.count)
        for record in table.records {
            var row = [String]()
            for c in textCols {
                switch record.values[c] {
                case let .string(s)?:
                    guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                        throw DataError.invalidField(
                            path: path, field: "line \(record.line), field '\(c)'", expected: "a non-empty text", found: "an empty text")
                    }
                    row.append(s)
                case nil:
                    throw DataError.invalidField(path: path, field: "line \(record.line), field '\(c)'", expected: "a text", found: "no such field")
                case let v?:
                    throw DataError.invalidField(path: path, field: "line \(record.line), field '\(c)'", expected: "a string", found: v.describe)
                }
            }
            texts.append(row)
        }

        // Labels.
        let labels = try Self.labels(table, columns: labelCols, task: task, classNames: classNames, path: path)
        self.url = url
        self.textColumns = textCols
        self.labelColumns = labelCols
        self.task = labels.task
        self.classNames = labels.classNames
        self.splitName = splitName
        self.texts = texts
        self.lines = table.records.map(\.line)
        self.labelIDs = labels.ids
        self.targets = labels.targets
    }

    struct Labels {
        var task: TextTask
        var classNames: [String]
        var ids: [Int?]
        var targets: [[Float]]
    }

    static func labels(_ table: TextTable, columns: [String], task: TextTask?, classNames: [String]?, path: String) throws -> Labels {
        func field(_ record: (line: Int, values: [String: TableValue]), _ c: String) throws -> TableValue {
            guard let v = record.values[c], v != .null, v != .string("") else {
                throw DataError.invalidField(
                    path: path, field: "line \(record.line), field '\(c)'", expected: "a label",
                    found: record.values[c] == nil ? "no such field" : "an empty value")
            }
            return v
        }
        func number(_ v: TableValue) -> Double? {
            switch v {
            case let .number(d): return d
            case let .string(s): return Double(s.trimmingCharacters(in: .whitespaces))
            default: return nil
            }
        }
        func name(_ v: TableValue) -> String? {
            switch v {
            case let .string(s): return s.trimmingCharacters(in: .whitespaces)
            case let .number(d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
            default: return nil
            }
        }
        let records = table.records
        // Several columns: each a 0/1 indicator of the class named by the column.
        if columns.count > 1 {
            guard task == nil || task == .multiLabel else {
                throw DataError.invalidArgument("\(path): several label columns make a multi-label task, not \(task!.rawValue)")
            }
            var targets = [[Float]]()
            for r in records {
                targets.append(
                    try columns.map { c in
                        let v = try field(r, c)
                        guard let d = number(v), d == 0 || d == 1 else {
                            throw DataError.invalidField(path: path, field: "line \(r.line), field '\(c)'", expected: "0 or 1", found: v.describe)
                        }
                        return Float(d)
                    })
            }
            return Labels(task: .multiLabel, classNames: columns, ids: [Int?](repeating: nil, count: records.count), targets: targets)
        }
        let c = columns[0]
        let values = try records.map { try field($0, c) }
        let isList = values.map { if case .list = $0 { return true } else { return false } }
        let resolved: TextTask
        if let task {
            resolved = task
        } else if isList.contains(true) {
            resolved = .multiLabel
        } else {
            let numbers = values.map(number)
            let allNumeric = numbers.allSatisfy { $0 != nil }
            let jsonNumbers = values.allSatisfy { if case .number = $0 { return true } else { return false } }
            // Non-integer numbers are regression targets; integers are class ids.
            resolved =
                allNumeric && numbers.contains { $0! != $0!.rounded() }
                    && (jsonNumbers || values.allSatisfy { if case .string = $0 { return true } else { return false } })
                ? .regression : .classification
        }
        switch resolved {
        case .regression:
            var targets = [[Float]]()
            for (r, v) in zip(records, values) {
                guard let d = number(v), d.isFinite else {
                    throw DataError.invalidField(path: path, field: "line \(r.line), field '\(c)'", expected: "a finite number", found: v.describe)
                }
                targets.append([Float(d)])
            }
            return Labels(task: .regression, classNames: [], ids: [Int?](repeating: nil, count: records.count), targets: targets)
        case .multiLabel:
            var lists = [[String]]()
            for (r, v) in zip(records, values) {
                guard case let .list(items) = v else {
                    throw DataError.invalidField(path: path, field: "line \(r.line), field '\(c)'", expected: "a list of labels", found: v.describe)
                }
                lists.append(
                    try items.map { item in
                        guard let n = name(item), !n.isEmpty else {
                            throw DataError.invalidField(
                                path: path, field: "line \(r.line), field '\(c)'", expected: "a list of class names or ids",
                                found: "an item that is \(item.describe)")
                        }
                        return n
                    })
            }
            let names = try classList(Set(lists.joined()), given: classNames, path: path, line: nil, column: c)
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
            let targets = lists.map { list -> [Float] in
                var t = [Float](repeating: 0, count: names.count)
                for n in list { t[index[n]!] = 1 }
                return t
            }
            return Labels(task: .multiLabel, classNames: names, ids: [Int?](repeating: nil, count: records.count), targets: targets)
        case .classification:
            var raw = [String]()
            for (r, v) in zip(records, values) {
                guard let n = name(v) else {
                    throw DataError.invalidField(path: path, field: "line \(r.line), field '\(c)'", expected: "a class name or id", found: v.describe)
                }
                raw.append(n)
            }
            let names: [String]
            let ints = raw.compactMap { Int($0) }
            if ints.count == raw.count, ints.allSatisfy({ $0 >= 0 }), classNames == nil {
                names = (0...(ints.max() ?? 0)).map(String.init)
            } else {
                names = try classList(Set(raw), given: classNames, path: path, line: nil, column: c)
            }
            let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, $0.offset) })
            var ids = [Int?]()
            for (r, n) in zip(records, raw) {
                guard let id = index[n] else {
                    throw DataError.invalidField(
                        path: path, field: "line \(r.line), field '\(c)'", expected: "one of " + names.prefix(20).joined(separator: ", "),
                        found: "'\(n)'")
                }
                ids.append(id)
            }
            return Labels(task: .classification, classNames: names, ids: ids, targets: ids.map { [Float($0!)] })
        }
    }

    static func classList(_ present: Set<String>, given: [String]?, path: String, line: Int?, column: String) throws -> [String] {
        guard let given else { return present.sorted() }
        if let missing = present.subtracting(given).sorted().first {
            throw DataError.invalidField(
                path: path, field: "field '\(column)'", expected: "one of the given classes " + given.prefix(20).joined(separator: ", "),
                found: "'\(missing)'")
        }
        return given
    }

    func checkIndex(_ index: Int) throws {
        guard index >= 0, index < count else { throw DataError.invalidArgument("\(url.path): record index \(index) outside 0..<\(count)") }
    }

    public func sample(at index: Int) throws -> Sample {
        try checkIndex(index)
        return Sample(
            values: [], shape: [0], label: labelIDs[index], source: "\(url.path)#line\(lines[index])",
            texts: texts[index], targets: task == .classification ? nil : targets[index])
    }

    public func label(at index: Int) throws -> Int? {
        try checkIndex(index)
        return labelIDs[index]
    }

    /// Every sample's targets: class ids (as one float), the regression value, or the
    /// multi-hot vector.
    public func allTargets() -> [[Float]] { targets }

    public var fingerprint: String {
        FingerprintBuilder.finish(
            { b in
                b.add(splitName); b.add(task.rawValue)
                b.add(textColumns.joined(separator: "\u{1F}")); b.add(labelColumns.joined(separator: "\u{1F}"))
                b.add(classNames.joined(separator: "\u{1F}"))
                try b.addFile(url, name: url.lastPathComponent)
            }, reader: "text")
    }
}
