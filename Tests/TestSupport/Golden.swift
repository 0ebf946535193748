import Foundation

/// Golden files and fixtures, found from the calling test's source file: a test in
/// `Tests/<Target>/Sub/X.swift` reads `Tests/<Target>/Fixtures/<name>`. Generators
/// under scripts/fixtures/ write them; tests only read.
public enum Golden {
    /// The package's root directory.
    public static func packageRoot(filePath: StaticString = #filePath) -> URL {
        var url = URL(fileURLWithPath: "\(filePath)")
        while url.pathComponents.count > 1 && url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent()
    }

    /// `Tests/<the caller's target>/Fixtures/<name>`.
    public static func url(_ name: String, filePath: StaticString = #filePath) -> URL {
        let path = URL(fileURLWithPath: "\(filePath)").pathComponents
        let target = path.lastIndex(of: "Tests").map { path[$0 + 1] } ?? ""
        return packageRoot(filePath: filePath).appendingPathComponent("Tests/\(target)/Fixtures/\(name)")
    }

    /// The bytes of a golden file; a missing one is an error naming its path and the generator to run.
    public static func data(_ name: String, filePath: StaticString = #filePath) throws -> Data {
        let url = url(name, filePath: filePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GoldenError.missing(path: url.path)
        }
        return try Data(contentsOf: url)
    }

    /// Doubles from a JSON golden file holding an array of numbers or an object
    /// `{key: [numbers]}` (`key` nil: the top-level array).
    public static func numbers(_ name: String, key: String? = nil, filePath: StaticString = #filePath) throws -> [Double] {
        let object = try JSONSerialization.jsonObject(with: try data(name, filePath: filePath))
        let value = key.flatMap { (object as? [String: Any])?[$0] } ?? (key == nil ? object : nil)
        guard let numbers = value as? [Double] ?? (value as? [NSNumber])?.map(\.doubleValue) else {
            throw GoldenError.shape(path: url(name, filePath: filePath).path, expected: key.map { "\"\($0)\": [numbers]" } ?? "[numbers]")
        }
        return numbers
    }
}

public enum GoldenError: Error, CustomStringConvertible {
    case missing(path: String)
    case shape(path: String, expected: String)

    public var description: String {
        switch self {
        case let .missing(path): return "\(path): golden file missing (run its generator under scripts/fixtures/)"
        case let .shape(path, expected): return "\(path): expected \(expected)"
        }
    }
}
