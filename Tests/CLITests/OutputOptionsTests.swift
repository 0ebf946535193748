import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shared output options (`--output`, `--format`, `--quiet`) and the rules every
/// writer follows, checked on the built executables.
@Suite("output options and safe outputs")
struct OutputOptionsTests {
    /// The model names in a ranking's JSON, best first, and their scores.
    private func ranking(_ json: String) -> [(String, Double)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let models = object["models"] as? [[String: Any]]
        else { return [] }
        return models.compactMap { m in (m["name"] as? String).flatMap { n in (m["score"] as? Double).map { (n, $0) } } }
    }

    @Test("rank --output: the file gets the chosen format, stdout a summary, nothing with --quiet")
    func rankOutput() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        let plain = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--quiet"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let expected = ranking(plain.stdout)
        #expect(expected.map(\.0) == ["good", "weak"])

        let file = dir.appendingPathComponent("scores.json")
        let run = try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--output", file.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("{"), "stdout carries JSON: \(run.stdout)")
        #expect(run.stdout.contains("ranked 2 models by logme; best: good"), "\(run.stdout)")
        #expect(run.stdout.contains("wrote \(file.path) (json)"))
        let written = ranking(try String(contentsOf: file, encoding: .utf8))
        #expect(written.map(\.0) == expected.map(\.0))
        #expect(zip(written, expected).allSatisfy { $0.1 == $1.1 })

        let csv = dir.appendingPathComponent("scores.csv")
        let quiet = try CLI.run([
            "rank", "--features", features.path, "--labels", labels.path, "--format", "csv", "--output", csv.path, "--quiet",
        ])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)|\(quiet.stderr)")
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[1].contains("good"), "\(lines)")
    }

    @Test("evaluate and hub list follow the same --output rule")
    func sameRuleEverywhere() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir, models: [("a", 3), ("b", 1), ("c", 0.2)])
        let scores = dir.appendingPathComponent("scores.json")
        let rank = try CLI.run([
            "rank", "--features", features.path, "--labels", labels.path, "--format", "json", "--output", scores.path, "--quiet",
        ])
        #expect(rank.status == 0, "\(rank.stderr)")
        let truth = dir.appendingPathComponent("truth.csv")
        try Data("model,accuracy\na,0.9\nb,0.7\nc,0.5\n".utf8).write(to: truth)
        let table = try CLI.run(["evaluate", "--scores", scores.path, "--truth", truth.path, "--resamples", "0"])
        #expect(table.status == 0, "\(table.stderr)")
        let out = dir.appendingPathComponent("eval.txt")
        let run = try CLI.run([
            "evaluate", "--scores", scores.path, "--truth", truth.path, "--resamples", "0", "--output", out.path,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try String(contentsOf: out, encoding: .utf8) == table.stdout)
        #expect(run.stdout.contains("best weighted tau: logme (1.0000)"), "\(run.stdout)")
        #expect(run.stdout.contains("wrote \(out.path) (table)"))
        // --output equal to an input (the scores file) is refused, the file intact.
        let before = try Data(contentsOf: scores)
        let clobber = try CLI.run(["evaluate", "--scores", scores.path, "--truth", truth.path, "--output", scores.path])
        #expect(clobber.status == 1 && clobber.stderr.contains("would overwrite --scores"), "\(clobber.stderr)")
        #expect(try Data(contentsOf: scores) == before)

        // hub list (run by hubminer-torch) prints the same kind of summary.
        let hub = dir.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let listFile = dir.appendingPathComponent("list.json")
        let list = try CLI.run(["hub", "list", hub.path, "--format", "json", "--output", listFile.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == "0 model(s) in \(hub.path)\nwrote \(listFile.path) (json)\n", "\(list.stdout)")
        #expect((try JSONSerialization.jsonObject(with: Data(contentsOf: listFile)) as? [Any])?.isEmpty == true)
        let inside = try CLI.run(["hub", "list", hub.path, "--output", hub.appendingPathComponent("x.json").path])
        #expect(inside.status == 1 && inside.stderr.contains("inside the hub"), "\(inside.stderr)")
    }

    @Test("--output refuses device nodes, FIFOs, sockets and symbolic links, leaving them as they were")
    func refusesSpecialFiles() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        func rank(to output: String) throws -> CLIRun {
            try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--output", output, "--quiet"])
        }
        func kind(_ path: String) -> mode_t {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
        }

        let null = try rank(to: "/dev/null")
        #expect(null.status == 1 && null.stderr.contains("/dev/null is a device node"), "\(null.stderr)")
        #expect(kind("/dev/null") == S_IFCHR)

        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let toFIFO = try rank(to: fifo)
        #expect(toFIFO.status == 1 && toFIFO.stderr.contains("is a FIFO"), "\(toFIFO.stderr)")
        #expect(kind(fifo) == S_IFIFO)

        let socketPath = dir.appendingPathComponent("sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, byte) in socketPath.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind failed (path too long?): \(socketPath)")
        let toSocket = try rank(to: socketPath)
        #expect(toSocket.status == 1 && toSocket.stderr.contains("is a socket"), "\(toSocket.stderr)")
        #expect(kind(socketPath) == S_IFSOCK)

        let target = dir.appendingPathComponent("target.txt")
        try Data("keep".utf8).write(to: target)
        let link = dir.appendingPathComponent("link.json").path
        #expect(symlink(target.path, link) == 0)
        let toLink = try rank(to: link)
        #expect(toLink.status == 1 && toLink.stderr.contains("is a symbolic link"), "\(toLink.stderr)")
        #expect(kind(link) == S_IFLNK)
        #expect(try String(contentsOf: target, encoding: .utf8) == "keep")

        let toDirectory = try rank(to: dir.path)
        #expect(toDirectory.status == 1 && toDirectory.stderr.contains("is a directory"), "\(toDirectory.stderr)")

        // An unwritable destination: one line naming the path and the system's reason.
        let missing = dir.appendingPathComponent("no-such-folder/scores.json").path
        let unwritable = try rank(to: missing)
        #expect(unwritable.status == 1, "\(unwritable.stderr)")
        #expect(unwritable.stderr == "hubminer: \(missing): cannot write: No such file or directory\n", "\(unwritable.stderr)")
    }

    @Test("--output onto an input file (by any path, hard links included) or into an input folder is refused")
    func refusesInputs() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        let labelBytes = try Data(contentsOf: labels)
        func rank(_ extra: [String]) throws -> CLIRun {
            try CLI.run(["rank", "--features", features.path, "--labels", labels.path, "--quiet"] + extra)
        }
        let same = try rank(["--output", labels.path])
        #expect(same.status == 1 && same.stderr.contains("would overwrite --labels"), "\(same.stderr)")
        let dotted = try rank(["--output", features.appendingPathComponent("../labels.npy").path])
        #expect(dotted.status == 1 && dotted.stderr.contains("would overwrite --labels"), "\(dotted.stderr)")
        let hardLink = dir.appendingPathComponent("other-name.npy")
        #expect(link(labels.path, hardLink.path) == 0)
        let linked = try rank(["--output", hardLink.path])
        #expect(linked.status == 1 && linked.stderr.contains("would overwrite --labels"), "\(linked.stderr)")
        #expect(try Data(contentsOf: labels) == labelBytes)

        // A CSV in the features folder would be ranked as a model next time.
        let inFeatures = features.appendingPathComponent("scores.csv")
        let refused = try rank(["--output", inFeatures.path, "--format", "csv"])
        #expect(refused.status == 1 && refused.stderr.contains("inside --features"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-output-in-inputs"))
        #expect(!FileManager.default.fileExists(atPath: inFeatures.path))
        let allowed = try rank(["--output", inFeatures.path, "--format", "csv", "--allow-output-in-inputs"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(FileManager.default.fileExists(atPath: inFeatures.path))
    }

    @Test("stats --out into the features folder is refused unless asked")
    func statsOutInsideFeatures() throws {
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (features, labels) = try CLI.writeProblem(in: dir)
        let inside = features.appendingPathComponent("shard")
        let refused = try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--out", inside.path, "--quiet"])
        #expect(refused.status == 1 && refused.stderr.contains("inside --features"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: inside.path))
        let same = try CLI.run(["stats", "--features", features.path, "--labels", labels.path, "--out", features.path, "--quiet"])
        #expect(same.status == 1, "\(same.stderr)")
        let allowed = try CLI.run([
            "stats", "--features", features.path, "--labels", labels.path, "--out", inside.path, "--quiet", "--allow-output-in-inputs",
        ])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let elsewhere = try CLI.run([
            "stats", "--features", features.path, "--labels", labels.path, "--out", dir.appendingPathComponent("shard").path, "--quiet",
        ])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
    }
}
