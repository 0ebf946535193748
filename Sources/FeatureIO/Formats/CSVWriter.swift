import Linalg
import Support

/// Writes a matrix as comma-separated text, one row per line.
///
/// Numbers use Swift's shortest representation that reads back to the same double,
/// so a CSV round trip is exact; non-finite values are written as `nan`, `inf`, `-inf`,
/// which the reader (and NumPy, pandas) parse back.
enum CSVWriter {
    static func write(_ matrix: Matrix, header: [String]?, path: String, into sink: inout some ByteSink) throws {
        if let header {
            guard header.count == matrix.columns else {
                throw FeatureIOError.invalidArgument(
                    path: path, message: "header has \(header.count) names for \(matrix.columns) columns")
            }
            // The reader does not unquote embedded separators and recognizes a header by a
            // non-numeric cell, so refuse names it could not read back as the same header.
            if let bad = header.first(where: { $0.contains(where: { ",;\t\n\r\"".contains($0) }) }) {
                throw FeatureIOError.invalidArgument(
                    path: path, message: "header name '\(bad)' contains a separator, quote or line break")
            }
            if !header.isEmpty, header.allSatisfy({ CSVReader.parseNumber(Substring($0.trimmingSpaces())) != nil }) {
                throw FeatureIOError.invalidArgument(
                    path: path, message: "header names are all numbers and would read back as a data row")
            }
            try sink.write(header.joined(separator: ",") + "\n")
        }
        var line = ""
        for r in 0..<matrix.rows {
            line.removeAll(keepingCapacity: true)
            for c in 0..<matrix.columns {
                if c > 0 { line += "," }
                line += format(matrix.storage[r * matrix.columns + c])
            }
            line += "\n"
            try sink.write(line)
        }
    }

    static func format(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v < 0 ? "-inf" : "inf" }
        return "\(v)"
    }
}

private extension String {
    func trimmingSpaces() -> Substring {
        var s = Substring(self)
        while let c = s.first, c == " " { s = s.dropFirst() }
        while let c = s.last, c == " " { s = s.dropLast() }
        return s
    }
}
