import Foundation

/// Problems building or reading a zoo; `description` is one line naming the task,
/// model or file and what was expected.
package enum ZooError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidTask(String)
    case invalidArchitecture(String)
    case invalidArgument(String)
    case trainingFailed(model: String, message: String)
    case unreadableManifest(path: String, message: String)

    package var description: String {
        switch self {
        case let .invalidTask(m), let .invalidArchitecture(m), let .invalidArgument(m): return m
        case let .trainingFailed(model, message): return "\(model): pre-training failed: \(message)"
        case let .unreadableManifest(path, message): return "\(path): \(message)"
        }
    }
}
