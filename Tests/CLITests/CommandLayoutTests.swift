import Foundation
import HubMiner
import Testing
import Tuning

/// The two executables parse every command with the same option groups: `hubminer`
/// lists them all, prints the same help as `hubminer-torch`, and forwards the parsed
/// commands that run models.
@Suite struct CommandLayoutTests {
    static let commands = ["rank", "stats", "hub", "extract", "tune", "zoo", "evaluate", "report", "demo", "info"]

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
        arguments: [["demo"], ["tune"], ["rank"], ["extract"], ["hub", "add"], ["hub", "list"], ["zoo", "build"], ["stats"]])
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

    @Test("the method names in tune's help are the registry's")
    func methodNames() {
        #expect(TuneOptions.methodNames == MethodRegistry.names)
    }
}
