import Foundation
import TestSupport
@testable import Report

/// The committed fixture run and scratch copies of it.
enum Fixture {
    static var run: String { Bundle.module.resourceURL!.appendingPathComponent("Fixtures/run").path }

    /// A fresh copy of the fixture run (or an empty directory) to damage.
    static func copy(empty: Bool = false) throws -> String {
        let dir = try TemporaryDirectory.make("hubminer-report")
        if !empty {
            for item in try FileManager.default.contentsOfDirectory(atPath: run) {
                try FileManager.default.copyItem(atPath: run + "/" + item, toPath: dir.appendingPathComponent(item).path)
            }
        }
        return dir.path
    }

    static func remove(_ path: String) { TemporaryDirectory.remove(URL(fileURLWithPath: path)) }

    static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The error `body` throws, as its one-line description.
    static func error(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch { return "\(error)" }
    }
}
