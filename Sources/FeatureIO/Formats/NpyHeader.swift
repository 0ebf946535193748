/// The three fields of a `.npy` header, parsed from its Python dict literal.
///
/// NumPy writes `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }` but other
/// writers (older NumPy, Julia, Rust, C++ libraries) vary key order, spacing, quotes,
/// trailing commas and write `3L` in shapes, so this is a small tolerant parser of
/// exactly the literal forms a header can hold rather than a string match.
struct NpyHeader: Equatable {
    var dtype: ElementType
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]

    static func parse(_ text: String, path: String) throws -> NpyHeader {
        var parser = LiteralParser(text: Array(text.unicodeScalars), path: path)
        let dict = try parser.parseTopLevelDict()

        guard let descrValue = dict["descr"] else {
            throw FeatureIOError.invalidField(
                path: path, field: "header", expected: "a 'descr' key",
                found: quoted(text.trimmingTrailingSpace()))
        }
        guard case .string(let descr) = descrValue else {
            throw FeatureIOError.invalidField(
                path: path, field: "header field 'descr'", expected: "a numeric dtype such as '<f4'",
                found: "a structured dtype " + clipped(descrValue.display))
        }
        let (dtype, bigEndian) = try parseDescr(descr, path: path)

        guard let fortranValue = dict["fortran_order"] else {
            throw FeatureIOError.invalidField(
                path: path, field: "header", expected: "a 'fortran_order' key",
                found: quoted(text.trimmingTrailingSpace()))
        }
        guard case .bool(let fortran) = fortranValue else {
            throw FeatureIOError.invalidField(
                path: path, field: "header field 'fortran_order'",
                expected: "True or False", found: clipped(fortranValue.display))
        }

        guard let shapeValue = dict["shape"] else {
            throw FeatureIOError.invalidField(
                path: path, field: "header", expected: "a 'shape' key",
                found: quoted(text.trimmingTrailingSpace()))
        }
        var shape: [Int] = []
        switch shapeValue {
        case .tuple(let items):
            for item in items {
                guard case .int(let n) = item, n >= 0 else {
                    throw FeatureIOError.invalidField(
                        path: path, field: "header field 'shape'",
                        expected: "a tuple of non-negative integers",
                        found: clipped(shapeValue.display))
                }
                shape.append(n)
            }
        default:
            throw FeatureIOError.invalidField(
                path: path, field: "header field 'shape'",
                expected: "a tuple of non-negative integers",
                found: clipped(shapeValue.display))
        }
        return NpyHeader(dtype: dtype, bigEndian: bigEndian, fortranOrder: fortran, shape: shape)
    }

    /// `'<f4'` -> (.float32, little endian). Names the unsupported families explicitly,
    /// since "found '|O'" alone does not tell a user what to change.
    static func parseDescr(_ descr: String, path: String) throws -> (ElementType, Bool) {
        let field = "header field 'descr'"
        let expected = "a numeric dtype such as '<f4'"
        var chars = Substring(descr)
        var order: Character = "="
        if let first = chars.first, "<>|=".contains(first) {
            order = first
            chars = chars.dropFirst()
        }
        guard let kind = chars.first else {
            throw FeatureIOError.invalidField(path: path, field: field, expected: expected, found: quoted(descr))
        }
        let size = Int(chars.dropFirst())
        let dtype: ElementType?
        switch (kind, size) {
        case ("b", 1), ("?", nil), ("?", 1): dtype = .bool
        case ("i", 1): dtype = .int8
        case ("i", 2): dtype = .int16
        case ("i", 4): dtype = .int32
        case ("i", 8): dtype = .int64
        case ("u", 1): dtype = .uint8
        case ("u", 2): dtype = .uint16
        case ("u", 4): dtype = .uint32
        case ("u", 8): dtype = .uint64
        case ("f", 2), ("e", nil): dtype = .float16
        case ("f", 4): dtype = .float32
        case ("f", 8): dtype = .float64
        default: dtype = nil
        }
        guard let dtype else {
            let why: String
            switch kind {
            case "O": why = " (Python objects are not supported; convert with np.asarray(a, dtype=np.float32))"
            case "c": why = " (complex numbers are not supported)"
            case "U", "S", "a": why = " (strings are not supported)"
            case "V": why = " (raw/structured records are not supported)"
            case "M", "m": why = " (dates and times are not supported)"
            case "f": why = " (only float16, float32 and float64 are supported)"
            default: why = ""
            }
            throw FeatureIOError.invalidField(path: path, field: field, expected: expected, found: quoted(descr) + why)
        }
        // '=' means native, '|' means "not applicable" (single bytes): both are little
        // endian on every platform HubMiner runs on.
        return (dtype, order == ">" && dtype.byteCount > 1)
    }
}

/// A header value as Python would print it, shortened for a one-line message.
private func clipped(_ s: String) -> String {
    s.count > 60 ? String(s.prefix(60)) + "..." : s
}

private extension String {
    func trimmingTrailingSpace() -> Substring {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\n" || last == "\0" { s = s.dropLast() }
        return s
    }
}

/// Values a header literal can contain.
indirect enum PyLiteral: Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([(String, PyLiteral)])

    static func == (a: PyLiteral, b: PyLiteral) -> Bool { a.display == b.display }

    var display: String {
        switch self {
        case .string(let s): return "'" + s + "'"
        case .int(let n): return String(n)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let items):
            return "(" + items.map(\.display).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
        case .list(let items): return "[" + items.map(\.display).joined(separator: ", ") + "]"
        case .dict(let pairs): return "{" + pairs.map { "'\($0.0)': \($0.1.display)" }.joined(separator: ", ") + "}"
        }
    }
}

private struct LiteralParser {
    let text: [Unicode.Scalar]
    let path: String
    var position = 0
    var depth = 0

    init(text: [Unicode.Scalar], path: String) {
        self.text = text
        self.path = path
    }

    mutating func parseTopLevelDict() throws -> [String: PyLiteral] {
        skipSpace()
        guard case .dict(let pairs) = try parseValue() else {
            throw error(expected: "a dict literal '{...}'")
        }
        skipSpace()
        guard position == text.count else { throw error(expected: "the end of the header after '}'") }
        var dict: [String: PyLiteral] = [:]
        for (key, value) in pairs { dict[key] = value }
        return dict
    }

    private func error(expected: String) -> FeatureIOError {
        let found: String
        if position >= text.count {
            found = "the end of the header"
        } else {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: text[position..<min(text.count, position + 20)])
            found = quoted(String(s)) + " at character \(position)"
        }
        return .invalidField(path: path, field: "header", expected: expected, found: found)
    }

    private mutating func skipSpace() {
        // NumPy pads with spaces and ends with '\n'; some writers pad with NULs.
        while position < text.count, [" ", "\t", "\n", "\r", "\0"].contains(text[position]) { position += 1 }
    }

    private mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard position < text.count, text[position] == c else { throw error(expected: "'\(c)'") }
        position += 1
    }

    private mutating func peek() -> Unicode.Scalar? {
        skipSpace()
        return position < text.count ? text[position] : nil
    }

    mutating func parseValue() throws -> PyLiteral {
        depth += 1
        defer { depth -= 1 }
        guard depth < 32 else { throw error(expected: "a less deeply nested value") }
        guard let c = peek() else { throw error(expected: "a value") }
        switch c {
        case "'", "\"": return .string(try parseString())
        case "{":
            position += 1
            var pairs: [(String, PyLiteral)] = []
            while true {
                if peek() == "}" { position += 1; break }
                guard let q = peek(), q == "'" || q == "\"" else { throw error(expected: "a quoted key or '}'") }
                let key = try parseString()
                try expect(":")
                pairs.append((key, try parseValue()))
                if peek() == "," { position += 1; continue }
                try expect("}")
                break
            }
            return .dict(pairs)
        case "(", "[":
            let close: Unicode.Scalar = c == "(" ? ")" : "]"
            position += 1
            var items: [PyLiteral] = []
            while true {
                if peek() == close { position += 1; break }
                items.append(try parseValue())
                if peek() == "," { position += 1; continue }
                try expect(close)
                break
            }
            return c == "(" ? .tuple(items) : .list(items)
        default:
            return try parseBareWord()
        }
    }

    private mutating func parseString() throws -> String {
        let quote = text[position]
        position += 1
        var out = String.UnicodeScalarView()
        while position < text.count {
            let c = text[position]
            position += 1
            if c == quote { return String(out) }
            if c == "\\", position < text.count {
                out.append(text[position])
                position += 1
            } else {
                out.append(c)
            }
        }
        throw error(expected: "a closing quote")
    }

    private mutating func parseBareWord() throws -> PyLiteral {
        let start = position
        while position < text.count {
            let c = text[position]
            if c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "+" || c == "_" {
                position += 1
            } else {
                break
            }
        }
        var word = String(String.UnicodeScalarView(text[start..<position]))
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default: break
        }
        // Python 2 long integers: `(3L, 4L)`.
        if word.hasSuffix("L") || word.hasSuffix("l") { word.removeLast() }
        if let n = Int(word) { return .int(n) }
        position = start
        throw error(expected: "a number, string, True, False, tuple or dict")
    }
}
