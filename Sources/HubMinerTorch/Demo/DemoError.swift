/// Errors of the demo pipeline that no stage below it reports.
package enum DemoError: Error, CustomStringConvertible, Sendable, Equatable {
    case tooFewModels(count: Int)
    case unknownStudent(name: String, models: [String])
    case unreadable(file: String, reason: String)
    case otherRun(directory: String)

    package var description: String {
        switch self {
        case let .tooFewModels(count): return "the demo needs at least 3 ranked models, got \(count)"
        case let .unknownStudent(name, models): return "--student '\(name)' is not a model of the zoo (models: \(models.joined(separator: ", ")))"
        case let .unreadable(file, reason): return "\(file): \(reason)"
        case let .otherRun(directory):
            return
                "\(directory) holds files that are not this demo's (another plan, zoo or seed, or another build of HubMiner); choose another --run-dir or empty it"
        }
    }
}
