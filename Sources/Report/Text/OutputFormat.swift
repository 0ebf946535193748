/// How results are printed on standard output.
public enum OutputFormat: String, CaseIterable, Sendable, Codable {
    /// A readable, aligned table (the default).
    case table
    /// Exactly one JSON object.
    case json
    /// One CSV row per model, with a header row.
    case csv
}
