import Foundation

/// One zoo model: its architecture, the source task it is pre-trained on and how.
package struct ZooModelSpec: Codable, Sendable, Equatable {
    package var name: String
    package var architecture: ArchitectureSpec
    /// The name of a source task of the plan.
    package var source: String
    package var training: PretrainingOptions

    package init(name: String, architecture: ArchitectureSpec, source: String, training: PretrainingOptions) {
        self.name = name
        self.architecture = architecture
        self.source = source
        self.training = training
    }
}

/// Everything a zoo build makes: the source tasks, the target task, the models and
/// the image size. `ZooCatalogue` holds the built-in plans; tests build smaller ones.
package struct ZooPlan: Codable, Sendable, Equatable {
    /// "quick", "full", or a test's own label.
    package var size: String
    package var imageSize: Int
    package var sources: [TaskSpec]
    package var target: TaskSpec
    package var models: [ZooModelSpec]

    package init(size: String, imageSize: Int, sources: [TaskSpec], target: TaskSpec, models: [ZooModelSpec]) {
        self.size = size
        self.imageSize = imageSize
        self.sources = sources
        self.target = target
        self.models = models
    }

    enum CodingKeys: String, CodingKey { case size, imageSize = "image_size", sources, target, models }

    /// A plan saved as JSON (the encoding of this type).
    package static func read(from url: URL) throws -> ZooPlan {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ZooError.unreadableManifest(path: url.path, message: "cannot read the plan: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(ZooPlan.self, from: data) } catch let DecodingError.keyNotFound(key, context) {
            let path = (context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            throw ZooError.unreadableManifest(path: url.path, message: "field '\(path)': required field is missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ZooError.unreadableManifest(
                path: url.path, message: "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))': expected \(type)")
        } catch {
            throw ZooError.unreadableManifest(path: url.path, message: "not a zoo plan: \(error)")
        }
    }

    package func source(named name: String) -> TaskSpec? { sources.first { $0.name == name } }

    /// The first problem with the plan, nil when buildable.
    package func validationProblem() -> String? {
        for task in sources + [target] {
            if let p = task.validationProblem() { return p }
        }
        let taskNames = sources.map(\.name) + [target.name]
        if Set(taskNames).count != taskNames.count { return "zoo plan '\(size)': two tasks share a name" }
        if models.isEmpty { return "zoo plan '\(size)': no models" }
        if Set(models.map(\.name)).count != models.count { return "zoo plan '\(size)': two models share a name" }
        for m in models {
            if m.name.isEmpty || m.name.hasPrefix(".") || m.name.contains("/") {
                return "zoo plan '\(size)': model name '\(m.name)' is not usable as a file name"
            }
            if source(named: m.source) == nil {
                return "zoo plan '\(size)': model \(m.name): source task '\(m.source)' is not among \(sources.map(\.name).joined(separator: ", "))"
            }
            if let p = m.architecture.validationProblem(imageSize: imageSize) { return "zoo plan '\(size)': model \(m.name): \(p)" }
        }
        return nil
    }
}
