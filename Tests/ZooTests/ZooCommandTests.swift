import Foundation
import TestSupport
import Testing
@testable import Zoo

/// `hubminer zoo build` end to end, through the `hubminer` executable (forwarded to
/// `hubminer-torch`), on the tiny plan.
@Suite struct ZooCommand {
    struct Run { let status: Int32; let stdout: String; let stderr: String }

    static func run(_ arguments: [String]) throws -> Run {
        let run = try CLI.run(arguments)
        return Run(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    @Test func buildsReusesAndListsATinyZoo() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let planURL = dir.appendingPathComponent("plan.json")
        try JSONEncoder().encode(TinyZoo.plan()).write(to: planURL)
        let out = dir.appendingPathComponent("zoo")
        let args = ["zoo", "build", "--plan", planURL.path, "--out", out.path, "--seed", "4", "--threads", "1"]
        let first = try Self.run(args)
        #expect(first.status == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "model\tfamily\tsource_task\tparameters\tsource_accuracy\ttarget_probe_accuracy\ttrain_seconds")
        #expect(lines.contains { $0.hasPrefix("tiny-cnn\tcnn\torient\t") })
        #expect(lines.contains { $0.hasPrefix("tiny-mlp\tmlp\torient\t") })
        #expect(lines.contains("hub: \(out.path)/hub"))
        #expect(first.stdout.contains("tiny zoo, seed 4: built in"))
        #expect(first.stderr.contains("zoo: building the tiny zoo (seed 4, 2 models)"))
        #expect(ZooManifest.read(from: out)?.seed == 4)

        let second = try Self.run(args + ["--quiet"])
        #expect(second.status == 0)
        #expect(second.stdout.contains("reused (already built)"))
        #expect(second.stderr.isEmpty)

        // Every other command takes the hub as it is.
        let list = try Self.run(["hub", "list", out.appendingPathComponent("hub").path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("tiny-cnn") && list.stdout.contains("tiny-mlp"))
    }

    @Test func badPlanIsOneLineError() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        let missing = dir.appendingPathComponent("none.json").path
        let run = try Self.run(["zoo", "build", "--plan", missing, "--out", dir.path])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("hubminer: \(missing): cannot read the plan"))
        let both = try Self.run(["zoo", "build", "--out", dir.path, "--cache-dir", dir.path])
        #expect(both.status != 0)
        #expect(both.stderr.contains("--out and --cache-dir are alternatives"))
    }
}
