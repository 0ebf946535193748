/// Errors of the tuning layer. Every message names what was wrong and what was
/// expected; configuration errors name the file and the field.
package enum TuningError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A run configuration value is invalid: `file` (or "command line"), the field, why.
    case invalidConfiguration(file: String, field: String, message: String)
    /// A method cannot run with these models (for example teachers with different output spaces).
    case incompatible(method: String, message: String)
    /// Training diverged or produced a non-finite loss.
    case diverged(term: String, iteration: Int, message: String)
    case checkpoint(message: String)
    case model(name: String, message: String)

    package var description: String {
        switch self {
        case let .invalidConfiguration(file, field, message): return "\(file): field '\(field)': \(message)"
        case let .incompatible(method, message): return "method '\(method)': \(message)"
        case let .diverged(term, iteration, message): return "loss term '\(term)' at iteration \(iteration): \(message)"
        case let .checkpoint(message): return "checkpoint: \(message)"
        case let .model(name, message): return "model '\(name)': \(message)"
        }
    }
}
