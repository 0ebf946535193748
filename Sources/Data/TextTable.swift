import Foundation

/// One value of a text table: CSV/TSV cells are strings; JSON Lines values keep
/// their JSON type.
enum TableValue: Equatable {
    case string(String)
    case number(Double)
    case list([TableValue])
    case null

    var describe: String {
        switch self {
        case let .string(s): return "the string '\(s.prefix(40))'"
        case let .number(d): return "the number \(d)"
        case .list: return "a list"
        case .null: return "null"
        }
    }
}

/// The records of a CSV, TSV or JSON Lines file, each with the line it starts on.
struct TextTable {
    var columns: [String]
    var records: [(line: Int, values: [String: TableValue])]

    enum Kind { case csv(separator: UInt8), jsonLines }

    static func kind(of url: URL) -> Kind? {
        switch url.pathExtension.lowercased() {
        case "csv": return .csv(separator: UInt8(ascii: ","))
        case "tsv": return .csv(separator: UInt8(ascii: "\t"))
        case "jsonl", "ndjson": return .jsonLines
        default: return nil
        }
    }

    static func read(_ url: URL) throws -> TextTable {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) } // UTF-8 byte-order mark
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            throw DataError.invalidField(path: url.path, field: "encoding", expected: "UTF-8 text", found: "a UTF-16 byte-order mark")
        }
        switch kind(of: url) {
        case let .csv(separator)?: return try parseCSV(bytes, separator: separator, path: url.path)
        case .jsonLines?: return try parseJSONLines(bytes, path: url.path)
        case nil:
            throw DataError.unrecognizedLayout(path: url.path, reason: "a text dataset file must be .csv, .tsv or .jsonl")
        }
    }

    /// The column names without reading the whole file (the header of a CSV/TSV, the
    /// keys of the first JSON Lines record); nil when the file cannot be read.
    static func peekColumns(_ url: URL) -> [String]? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard var bytes = try? handle.read(upToCount: 1 << 16).map({ [UInt8]($0) }) else { return nil }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        switch kind(of: url) {
        case let .csv(separator)?:
            guard let end = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) ?? (bytes.count < 1 << 16 ? bytes.count : nil) else { return nil }
            return try? parseCSV(Array(bytes[..<end]), separator: separator, path: url.path).columns
        case .jsonLines?:
            guard let end = bytes.firstIndex(of: 0x0A) ?? (bytes.count < 1 << 16 ? bytes.count : nil),
                let object = try? JSONSerialization.jsonObject(with: Data(bytes[..<end])) as? [String: Any]
            else { return nil }
            return object.keys.sorted()
        case nil: return nil
        }
    }

    /// RFC 4180: fields separated by `separator`, records by LF, CRLF or CR; a field
    /// in double quotes may hold separators, newlines and doubled quotes. The first
    /// record is the header; blank lines are skipped.
    static func parseCSV(_ bytes: [UInt8], separator: UInt8, path: String) throws -> TextTable {
        let quote = UInt8(ascii: "\""), lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        var rows = [(line: Int, fields: [String])]()
        var fields = [String]()
        var field = [UInt8]()
        var line = 1, recordLine = 1
        var i = 0
        var recordHasContent = false
        func text(_ b: [UInt8], _ at: Int) throws -> String {
            guard let s = String(validating: b, as: UTF8.self) else {
                throw DataError.invalidField(path: path, field: "line \(at)", expected: "UTF-8 text", found: "invalid UTF-8 bytes")
            }
            return s
        }
        func endRecord() throws {
            if recordHasContent || !fields.isEmpty {
                fields.append(try text(field, recordLine))
                rows.append((recordLine, fields))
            }
            fields = []; field = []; recordHasContent = false
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == quote && field.isEmpty {
                // A quoted field.
                let start = line
                i += 1
                var closed = false
                while i < bytes.count {
                    let c = bytes[i]
                    if c == quote {
                        if i + 1 < bytes.count, bytes[i + 1] == quote { field.append(quote); i += 2; continue }
                        closed = true
                        i += 1
                        break
                    }
                    if c == lf || (c == cr && (i + 1 >= bytes.count || bytes[i + 1] != lf)) { line += 1 }
                    field.append(c)
                    i += 1
                }
                guard closed else {
                    throw DataError.invalidField(
                        path: path, field: "line \(start)", expected: "a closing double quote for the field opened there",
                        found: "the end of the file")
                }
                recordHasContent = true
                if i < bytes.count, bytes[i] != separator, bytes[i] != lf, bytes[i] != cr {
                    throw DataError.invalidField(
                        path: path, field: "line \(line)", expected: "a separator or the end of the line after a closing quote",
                        found: "'\(Character(Unicode.Scalar(bytes[i])))'")
                }
                continue
            }
            if b == separator {
                fields.append(try text(field, recordLine)); field = []; recordHasContent = true
            } else if b == lf || b == cr {
                if b == cr, i + 1 < bytes.count, bytes[i + 1] == lf { i += 1 }
                try endRecord()
                line += 1
                recordLine = line
            } else {
                field.append(b); recordHasContent = true
            }
            i += 1
        }
        try endRecord()
        guard let header = rows.first else {
            throw DataError.invalidField(path: path, field: "header", expected: "a header row", found: "an empty file")
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for c in columns where !seen.insert(c).inserted {
            throw DataError.invalidField(path: path, field: "header", expected: "distinct column names", found: "'\(c)' twice")
        }
        var records = [(line: Int, values: [String: TableValue])]()
        records.reserveCapacity(rows.count - 1)
        for row in rows.dropFirst() {
            guard row.fields.count == columns.count else {
                throw DataError.invalidField(
                    path: path, field: "line \(row.line)", expected: "\(columns.count) fields like the header",
                    found: "\(row.fields.count)")
            }
            var values = [String: TableValue]()
            for (c, v) in zip(columns, row.fields) { values[c] = .string(v) }
            records.append((row.line, values))
        }
        return TextTable(columns: columns, records: records)
    }

    /// One JSON object per line; blank lines are skipped.
    static func parseJSONLines(_ bytes: [UInt8], path: String) throws -> TextTable {
        var records = [(line: Int, values: [String: TableValue])]()
        var columns = [String]()
        var lineNumber = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = raw
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let object: [String: Any]
            do {
                guard let o = try JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) as? [String: Any] else {
                    throw DataError.invalidField(path: path, field: "line \(lineNumber)", expected: "a JSON object", found: "another JSON value")
                }
                object = o
            } catch let error as DataError {
                throw error
            } catch {
                throw DataError.invalidField(path: path, field: "line \(lineNumber)", expected: "a JSON object", found: "invalid JSON")
            }
            if columns.isEmpty { columns = object.keys.sorted() }
            var values = [String: TableValue]()
            for (k, v) in object { values[k] = convert(v) }
            records.append((lineNumber, values))
        }
        return TextTable(columns: columns, records: records)
    }

    static func convert(_ v: Any) -> TableValue {
        switch v {
        case is NSNull: return .null
        case let s as String: return .string(s)
        case let a as [Any]: return .list(a.map(convert))
        case let n as NSNumber:
            // JSONSerialization gives true/false as NSNumber too: they read as 1 and 0.
            return .number(n.doubleValue)
        default: return .null
        }
    }
}
