/// Reads numeric CSV (or TSV / semicolon-separated) tables.
///
/// Deliberately small: numbers only, one optional header row, no quoted separators
/// inside cells. Feature tables exported from spreadsheets or pandas fit this; anything
/// richer should be converted to `.npy`. Errors point at line and column because that
/// is how people fix a CSV by hand.
///
/// Works on the raw bytes (no `String` per line or cell) because a feature CSV easily
/// has millions of cells, and grapheme-aware `String` processing is far too slow for that.
enum CSVReader {
    struct Table {
        var header: [String]?
        var rows: Int
        var columns: Int
        var values: [Double]
    }

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let quote = UInt8(ascii: "\"")

    static func parse(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Table {
        var position = 0
        // UTF-8 byte-order mark, as written by spreadsheet programs.
        if bytes.count >= 3, bytes[0] == 0xef, bytes[1] == 0xbb, bytes[2] == 0xbf { position = 3 }

        var separator: UInt8 = 0
        var header: [String]?
        var columns = 0
        var rows = 0
        var values: [Double] = []
        var lineNumber = 0
        var fields: [Range<Int>] = []

        while position < bytes.count {
            var lineEnd = position
            while lineEnd < bytes.count, bytes[lineEnd] != newline { lineEnd += 1 }
            lineNumber += 1
            let line = trim(position..<lineEnd, in: bytes)
            position = lineEnd + 1
            // Blank lines are skipped; '#' lines are comments, as np.loadtxt/np.savetxt treat them.
            if line.isEmpty || bytes[line.lowerBound] == UInt8(ascii: "#") { continue }

            if separator == 0 { separator = detectSeparator(line, in: bytes) }
            fields.removeAll(keepingCapacity: true)
            var fieldStart = line.lowerBound
            for i in line where bytes[i] == separator {
                fields.append(unquote(trim(fieldStart..<i, in: bytes), in: bytes))
                fieldStart = i + 1
            }
            fields.append(unquote(trim(fieldStart..<line.upperBound, in: bytes), in: bytes))

            if columns == 0 {
                columns = fields.count
                if fields.contains(where: { parseNumber(UnsafeRawBufferPointer(rebasing: bytes[$0])) == nil }) {
                    header = fields.map { String(decoding: UnsafeRawBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
                    continue
                }
            } else if fields.count != columns {
                throw FeatureIOError.raggedRow(
                    path: path, line: lineNumber, expectedColumns: columns,
                    foundColumns: fields.count)
            }
            for (index, field) in fields.enumerated() {
                let cell = UnsafeRawBufferPointer(rebasing: bytes[field])
                guard let value = parseNumber(cell) else {
                    throw FeatureIOError.notANumber(
                        path: path, line: lineNumber, column: index + 1,
                        found: String(decoding: cell.prefix(60), as: UTF8.self))
                }
                values.append(value)
            }
            rows += 1
        }
        if rows == 0 && header == nil { columns = 0 }
        try refusePandasIndex(header: header, rows: rows, columns: columns, values: values, path: path)
        return Table(header: header, rows: rows, columns: columns, values: values)
    }

    /// `DataFrame.to_csv()` writes the row index as an unnamed first column (header
    /// cell empty, or "Unnamed: 0" after a round trip) holding 0, 1, ..., N-1. Read as
    /// a feature it would score as a perfect ordinal signal wherever labels are sorted;
    /// it is refused with the fix rather than guessed away.
    static func refusePandasIndex(header: [String]?, rows: Int, columns: Int, values: [Double], path: String) throws {
        // Header cells are trimmed and unquoted already.
        guard let first = header?.first, columns >= 2, rows >= 2,
            first.isEmpty || first.hasPrefix("Unnamed: ")
        else { return }
        for r in 0..<rows where values[r * columns] != Double(r) { return }
        throw FeatureIOError.invalidField(
            path: path, field: "column 1 (no name in the header)", expected: "a feature column",
            found: "the row numbers 0...\(rows - 1), a pandas index: write the table with DataFrame.to_csv(index=False)")
    }

    /// Tab or semicolon when the first row uses them (numbers never contain either),
    /// comma otherwise.
    private static func detectSeparator(_ line: Range<Int>, in bytes: UnsafeRawBufferPointer) -> UInt8 {
        if line.contains(where: { bytes[$0] == tab }) { return tab }
        if line.contains(where: { bytes[$0] == UInt8(ascii: ";") }) { return UInt8(ascii: ";") }
        return UInt8(ascii: ",")
    }

    private static func trim(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int> {
        var lower = range.lowerBound, upper = range.upperBound
        while lower < upper, bytes[lower] == space || bytes[lower] == tab { lower += 1 }
        while upper > lower, bytes[upper - 1] == space || bytes[upper - 1] == tab || bytes[upper - 1] == carriageReturn {
            upper -= 1
        }
        return lower..<upper
    }

    private static func unquote(_ range: Range<Int>, in bytes: UnsafeRawBufferPointer) -> Range<Int> {
        if range.count >= 2, bytes[range.lowerBound] == quote, bytes[range.upperBound - 1] == quote {
            return (range.lowerBound + 1)..<(range.upperBound - 1)
        }
        return range
    }

    /// Plain decimal/scientific numbers plus `nan`, `inf`, `-inf` (any case), which
    /// NumPy and pandas write for non-finite values; the ranking layer decides later
    /// whether those are acceptable.
    static func parseNumber(_ cell: UnsafeRawBufferPointer) -> Double? {
        guard !cell.isEmpty else { return nil }
        if let value = fastDecimal(cell) { return value }
        // Swift also accepts hexadecimal floats; a feature table never means those.
        if cell.contains(where: { $0 == UInt8(ascii: "x") || $0 == UInt8(ascii: "X") }) { return nil }
        let text = String(decoding: cell, as: UTF8.self)
        if let value = Double(text) { return value }
        switch text.lowercased() {
        case "nan", "+nan", "-nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }

    static func parseNumber(_ text: Substring) -> Double? {
        var copy = String(text)
        return copy.withUTF8 { parseNumber(UnsafeRawBufferPointer($0)) }
    }

    private static let powersOfTen: [Double] = (0...22).map { Double("1e\($0)") ?? 1 }

    /// Clinger's fast path: a decimal with at most 19 significant digits whose
    /// mantissa is below 2^53 and whose power of ten is at most 22 is converted exactly
    /// by one multiplication or division (both operands are exact doubles). Covers most
    /// cells of real feature tables; everything else goes to the full parser.
    private static func fastDecimal(_ cell: UnsafeRawBufferPointer) -> Double? {
        var i = 0
        let n = cell.count
        var negative = false
        if cell[0] == UInt8(ascii: "-") || cell[0] == UInt8(ascii: "+") {
            negative = cell[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var scale = 0
        var seenPoint = false
        while i < n {
            let c = cell[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                digits += 1
                if mantissa != 0 || c != UInt8(ascii: "0") {
                    significant += 1
                    if significant > 19 { return nil }
                    mantissa = mantissa * 10 + UInt64(c - UInt8(ascii: "0"))
                }
                if seenPoint { scale -= 1 }
            } else if c == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            i += 1
        }
        guard digits > 0 else { return nil }
        if i < n {
            guard cell[i] == UInt8(ascii: "e") || cell[i] == UInt8(ascii: "E") else { return nil }
            i += 1
            var exponentNegative = false
            if i < n, cell[i] == UInt8(ascii: "-") || cell[i] == UInt8(ascii: "+") {
                exponentNegative = cell[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0
            var exponentDigits = 0
            while i < n, cell[i] >= UInt8(ascii: "0"), cell[i] <= UInt8(ascii: "9") {
                if exponent < 100_000 { exponent = exponent * 10 + Int(cell[i] - UInt8(ascii: "0")) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0, i == n else { return nil }
            scale += exponentNegative ? -exponent : exponent
        }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard mantissa <= 1 << 53, scale >= -22, scale <= 22 else { return nil }
        var value = Double(mantissa)
        value = scale >= 0 ? value * powersOfTen[scale] : value / powersOfTen[-scale]
        return negative ? -value : value
    }
}
