import Foundation

extension MethodOptions {
    /// A list of names: a JSON list of strings, or one comma-separated string (as
    /// `--option teachers=a,b` gives). Empty when the key is absent.
    ///
    /// `MethodOptions` has no list reader yet; `string(_:default:)` is called once so
    /// the key counts as read (it records the key before checking the type), and its
    /// type error, for a list, is ignored here because the list is parsed below.
    func names(_ key: String) throws -> [String] {
        let field = "method_options.\(key)"
        switch values[key] {
        case nil:
            return []
        case .string(let joined)?:
            let names = try string(key, default: "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.contains(where: \.isEmpty) else {
                throw TuningError.invalidConfiguration(file: source, field: field, message: "empty name in '\(joined)'")
            }
            return names
        case .list(let items)?:
            _ = try? string(key, default: "")
            return try items.map { item in
                guard case .string(let name) = item, !name.isEmpty else {
                    throw TuningError.invalidConfiguration(file: source, field: field, message: "expected a list of model names, got \(item)")
                }
                return name
            }
        case let other?:
            _ = try? string(key, default: "")
            throw TuningError.invalidConfiguration(file: source, field: field, message: "expected a list of model names, got \(other)")
        }
    }
}
