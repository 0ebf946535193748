import Foundation

/// A file of named arrays (safetensors, `.npz`) opened once: the header is parsed
/// and the file mapped on opening, then arrays are read by name. For readers of
/// many arrays of one file (a model checkpoint), where `FeatureFile.readArray`
/// would parse the header again for each.
public final class NamedArrayFile: @unchecked Sendable {
    // Immutable after init (the mapping is read-only), hence the unchecked Sendable.
    private let source: ArraySource

    public init(_ url: URL) throws {
        source = try ArraySource(url)
    }

    /// The array names, in file order.
    public var keys: [String] { source.keys }

    /// The array `key`, converted to `Double` in C order (as `FeatureFile.readArray`).
    public func read(_ key: String) throws -> NumericArray {
        switch try source.select(key) {
        case .raw(let raw): return raw.readAll()
        case .table(let table): return NumericArray(shape: [table.rows, table.columns], dtype: .float64, values: table.values)
        }
    }
}
