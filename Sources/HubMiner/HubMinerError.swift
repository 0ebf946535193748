/// Problems the workflows report before any model is scored.
public enum HubMinerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `option` is the command-line option that named the path.
    case notADirectory(path: String, option: String = "--features")
    case noFeatureFiles(directory: String, extensions: [String])
    case duplicateModelName(name: String, files: [String])
    case invalidLabels(file: String, reason: String)
    /// `first`: the first model's "name: reason", so the one line says why even with
    /// --quiet (which hides the per-model errors).
    case allModelsFailed(count: Int, first: String? = nil)

    public var description: String {
        switch self {
        case let .notADirectory(path, option):
            let expected: String
            switch option {
            case "--source-probs": expected = "one source-probability file per model, named like its feature file"
            case "--stats": expected = "the statistics files of one shard (written by `hubminer stats --out`)"
            default: expected = "one feature file per model"
            }
            return "\(path): not a directory (\(option) expects a directory with \(expected))"
        case let .noFeatureFiles(directory, extensions):
            return "\(directory): no feature files (expected files ending in \(extensions.map { "." + $0 }.joined(separator: ", ")))"
        case let .duplicateModelName(name, files):
            return "model name '\(name)' is given by several files (\(files.joined(separator: ", "))); keep one"
        case let .invalidLabels(file, reason):
            return "\(file): \(reason)"
        case let .allModelsFailed(count, first):
            guard let first else { return "none of the \(count) models could be scored (see the errors above)" }
            let firstLine = first.split(separator: "\n").first.map(String.init) ?? first
            return "none of the \(count) model\(count == 1 ? "" : "s") could be scored; \(firstLine)"
                + (count > 1 ? " (each model's error is listed above unless --quiet)" : "")
        }
    }
}
