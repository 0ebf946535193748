import Foundation
import HubMiner
import Testing
import TestSupport
import Tuning

/// The two executables parse every command with the same option groups: `hubminer`
/// lists them all, prints the same help as `hubminer-torch`, and forwards the parsed
/// commands that run models.
@Suite struct CommandLayoutTests {
    static let commands = ["rank", "stats", "hub", "extract", "tune", "auto", "zoo", "evaluate", "report", "demo", "info"]

    @Test("hubminer --help lists every command")
    func helpListsEveryCommand() throws {
        let run = try CLI.run(["--help"])
        #expect(run.status == 0, "\(run.stderr)")
        for command in Self.commands {
            #expect(run.stdout.contains("\n  \(command) "), "\(command) missing from:\n\(run.stdout)")
        }
    }

    @Test("--version prints the one version constant, in both executables")
    func version() throws {
        for program in ["hubminer", "hubminer-torch"] {
            let run = try CLI.run(["--version"], program: program)
            #expect(run.status == 0, "\(program): \(run.stderr)")
            #expect(run.stdout == HubMinerCommand.version + "\n", "\(program): \(run.stdout)")
        }
    }

    @Test(
        "a command's help is the same in both executables",
        arguments: [
            ["demo"], ["tune"], ["auto"], ["rank"], ["extract"], ["hub", "add"], ["hub", "list"], ["hub", "inspect"], ["zoo", "build"], ["stats"],
            ["evaluate"],
        ])
    func sameHelp(command: [String]) throws {
        let light = try CLI.run(command + ["--help"])
        let torch = try CLI.run(command + ["--help"], program: "hubminer-torch")
        #expect(light.status == 0 && torch.status == 0, "\(light.stderr)\(torch.stderr)")
        #expect(!light.stdout.isEmpty)
        #expect(light.stdout == torch.stdout)
    }

    @Test("a bad option of a forwarded command is refused by hubminer's own parser, naming it")
    func forwardedCommandsAreParsed() throws {
        let run = try CLI.run(["tune", "--no-such-option"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--no-such-option"), "\(run.stderr)")
        // Parsed here, so the message is hubminer's, not a forwarded process's.
        let bad = try CLI.run(["tune", "--epochs", "1", "--iterations", "2"])
        #expect(bad.status != 0 && bad.stderr.contains("give --epochs or --iterations, not both"), "\(bad.stderr)")
    }

    @Test("auto refuses bad input with one line naming what is wrong")
    func autoBadInput() throws {
        let budget = try CLI.run(["auto", "--hub", "h", "--data", "d", "--budget", "5 weeks"])
        #expect(budget.status != 0 && budget.stderr.contains("--budget expects a positive duration"), "\(budget.stderr)")
        let top = try CLI.run(["auto", "--hub", "h", "--data", "d", "--top", "0"])
        #expect(top.status != 0 && top.stderr.contains("--top expects at least 1"), "\(top.stderr)")
        let dir = try TemporaryDirectory.make("hubminer-auto-bad")
        defer { TemporaryDirectory.remove(dir) }
        let missing = dir.appendingPathComponent("no-hub").path
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let run = try CLI.run(["auto", "--hub", missing, "--data", data.path, "--out", dir.appendingPathComponent("out").path, "--quiet"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("hubminer: ") && run.stderr.contains(missing), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        let method = try CLI.run(["auto", "--hub", dir.path, "--data", dir.path, "--methods", "finetune,nosuch", "--quiet"])
        #expect(method.status == 1 && method.stderr.contains("unknown method 'nosuch'"), "\(method.stderr)")
    }

    @Test("demo takes --full (the default) and --quick, one or the other, in both executables")
    func demoSize() throws {
        for program in ["hubminer", "hubminer-torch"] {
            let help = try CLI.run(["demo", "--help"], program: program)
            #expect(help.stdout.contains("--full") && help.stdout.contains("--quick"), "\(program): \(help.stdout)")
            let both = try CLI.run(["demo", "--full", "--quick", "--features-only"], program: program)
            #expect(both.status != 0 && both.stderr.contains("--full") && both.stderr.contains("--quick"), "\(program): \(both.stderr)")
        }
        // --full is accepted (here with the instant feature-file demo, which runs in this process).
        let dir = try CLI.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try CLI.run(["demo", "--full", "--features-only", "--directory", dir.path, "--quiet"])
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("rank"), "\(full.stdout)")
    }

    @Test("hubminer --generate-completion-script writes bash, zsh and fish scripts naming every command", arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) throws {
        let run = try CLI.run(["--generate-completion-script", shell])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.count > 1000 && run.stdout.contains("hubminer"))
        for command in Self.commands {
            #expect(run.stdout.contains(command), "\(shell): \(command) missing")
        }
        // Subcommands and options of the forwarded commands are there too.
        for word in ["inspect", "build", "output", "allow-output-in-inputs", "full", "target"] {
            #expect(run.stdout.contains(word), "\(shell): \(word) missing")
        }
    }

    @Test("the method names in tune's help are the registry's")
    func methodNames() {
        #expect(TuneOptions.methodNames == MethodRegistry.names)
    }
}
