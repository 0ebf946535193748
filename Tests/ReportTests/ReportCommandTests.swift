import Foundation
import TestSupport
import Testing
@testable import Report

/// `hubminer report` end to end, and the browser check when Chromium is installed.
@Suite("hubminer report")
struct ReportCommandTests {
    static var binDirectory: URL { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent() }
    static var hubminer: String { binDirectory.appendingPathComponent("hubminer").path }
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (Int32, String, String) {
        let run = try ProcessRunner.run(
            URL(fileURLWithPath: executable), arguments,
            environment: environment.map { ProcessInfo.processInfo.environment.merging($0) { $1 } })
        return (run.status, run.stdout, run.stderr)
    }

    @Test("writes RUN_DIR/report.html (or --out) and prints the path")
    func writesReport() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.hubminer), "hubminer not built at \(Self.hubminer)")
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        let (status, stdout, stderr) = try Self.run(Self.hubminer, ["report", root])
        #expect(status == 0, "\(stderr)")
        #expect(stdout == root + "/report.html\n")
        let html = try String(contentsOfFile: root + "/report.html", encoding: .utf8)
        #expect(html == ReportRenderer.render(try RunDirectory.load(root)))

        let other = root + "/elsewhere.html"
        let (status2, stdout2, _) = try Self.run(Self.hubminer, ["report", root, "--out", other])
        #expect(status2 == 0 && stdout2 == other + "\n")
        #expect(FileManager.default.fileExists(atPath: other))
    }

    @Test("a broken run directory: one line on stderr naming file and field, exit 1")
    func reportsErrors() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.hubminer), "hubminer not built at \(Self.hubminer)")
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        try Fixture.write(#"{"metric":"top1"}"#, to: root + "/ground_truth.json")
        let (status, stdout, stderr) = try Self.run(Self.hubminer, ["report", root])
        #expect(status == 1 && stdout.isEmpty)
        #expect(stderr == "hubminer: \(root)/ground_truth.json: field 'models': missing, expected an object\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/report.html"))
    }

    /// Chromium on PATH, if any.
    static var chromium: String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/chromium" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(
        "the page renders in headless Chromium with its charts (scripts/check-report.sh)",
        .enabled(if: ReportCommandTests.chromium != nil, "chromium is not installed"))
    func browserCheck() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.hubminer), "hubminer not built at \(Self.hubminer)")
        let script = Self.packageRoot.appendingPathComponent("scripts/check-report.sh").path
        let (status, stdout, stderr) = try Self.run("/bin/bash", [script], environment: ["HUBMINER": Self.hubminer])
        #expect(status == 0, "\(stdout)\n\(stderr)")
        #expect(stdout.contains("check-report: ok"))
    }
}
