import Foundation
import Testing

/// Enforces the dependency directions documented in docs/ARCHITECTURE.md by reading
/// every source file's import lines: the ranking math never reaches the
/// deep-learning layer, and each C module has exactly one Swift owner.
@Suite("Import rules")
struct ImportRulesTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// Target name -> modules imported by any of its Swift files.
    static func imports() throws -> [String: Set<String>] {
        var out = [String: Set<String>]()
        let targets = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        for target in targets {
            let dir = sources.appendingPathComponent(target)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            var modules = Set<String>()
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    // "import X", "internal import X", "@testable import X", "public import X"
                    if let i = words.firstIndex(of: "import"), i + 1 < words.count, i <= 1 {
                        modules.insert(words[i + 1].split(separator: ".").first.map(String.init) ?? words[i + 1])
                    }
                }
            }
            out[target] = modules
        }
        return out
    }

    @Test("the ranking stack never imports the deep-learning layer")
    func rankingIsIndependentOfTorch() throws {
        let all = try Self.imports()
        #expect(all["Ranking"] != nil && all["Linalg"] != nil)
        for target in ["Linalg", "Ranking", "FeatureIO", "Report", "RunSchema", "Data"] {
            let forbidden = (all[target] ?? []).intersection(["Torch", "CTorch", "HubMiner", "HubMinerTorch", "ArgumentParser"])
            #expect(forbidden.isEmpty, "\(target) imports \(forbidden.sorted())")
        }
    }

    /// `hubminer` must start without loading libtorch: its targets never reach the
    /// model-running layer (those commands are forwarded to `hubminer-torch`).
    @Test("the ranking executable and its workflows never import the model-running layer")
    func lightExecutable() throws {
        let all = try Self.imports()
        for target in ["HubMiner", "HubMinerCLI", "Report"] {
            #expect(all[target] != nil, "\(target) not found")
            let forbidden = (all[target] ?? []).intersection([
                "Torch", "CTorch", "Hub", "Cache", "HubMinerTorch", "GRDB", "Tuning",
                "Zoo", "Distributed", "Models",
            ])
            #expect(forbidden.isEmpty, "\(target) imports \(forbidden.sorted())")
        }
    }

    /// The model families build modules for the hub layer: they never reach up to it.
    @Test("Models depends only on Torch, FeatureIO and Support")
    func modelsAreALeafOfTheHubLayer() throws {
        let all = try Self.imports()
        let imports = try #require(all["Models"])
        #expect(imports.subtracting(["Foundation", "Torch", "FeatureIO", "Support"]).isEmpty, "Models imports \(imports.sorted())")
    }

    @Test("each C module and the argument parser have one owner")
    func singleOwners() throws {
        let all = try Self.imports()
        let owners: [String: Set<String>] = [
            "CLapack": ["Linalg"], "CZlib": ["FeatureIO"], "CTorch": ["Torch", "Distributed"],
            "CPNG": ["Data"], "CJPEG": ["Data"],
            "ArgumentParser": ["HubMinerCLI", "HubMinerTorchCLI", "HubMiner", "HubMinerTorch"], "GRDB": ["Cache"],
            "Yams": ["Tuning"],
        ]
        for (module, allowed) in owners {
            let importers = Set(all.filter { $0.value.contains(module) }.keys)
            #expect(importers.isSubset(of: allowed), "\(module) imported by \(importers.subtracting(allowed).sorted())")
        }
    }

    /// The layer above the numerical core is four targets: one torch-free workflow
    /// target, one torch workflow target and the two executables, which only declare
    /// commands around the shared option groups.
    @Test("the workflow and command-line layer is four targets, the executables thin")
    func workflowLayer() throws {
        let all = try Self.imports()
        let workflow = Set(all.keys.filter { $0.hasPrefix("HubMiner") })
        #expect(workflow == ["HubMiner", "HubMinerTorch", "HubMinerCLI", "HubMinerTorchCLI"], "\(workflow.sorted())")
        #expect(all["HubMinerTorchCLI"] == ["ArgumentParser", "HubMiner", "HubMinerTorch", "Linalg"], "\(all["HubMinerTorchCLI"] ?? [])")
        #expect(all["HubMinerCLI"] == ["ArgumentParser", "HubMiner", "Linalg"], "\(all["HubMinerCLI"] ?? [])")
    }

    /// The support target is the bottom of the package: Foundation only. The layers
    /// below the workflows (the zoo included) never import a workflow target.
    @Test("Support imports nothing of the package; nothing below the workflows imports them")
    func supportAtTheBottom() throws {
        let all = try Self.imports()
        let ownModules = Set(all.keys)
        #expect(all["Support"] != nil)
        #expect((all["Support"] ?? []).intersection(ownModules).isEmpty, "\(all["Support"] ?? [])")
        for target in ["Linalg", "FeatureIO", "Ranking", "Data", "Report", "RunSchema", "Torch", "Distributed", "Hub", "Cache", "Tuning", "Zoo"] {
            let forbidden = (all[target] ?? []).intersection(["HubMiner", "HubMinerTorch", "HubMinerCLI", "HubMinerTorchCLI"])
            #expect(forbidden.isEmpty, "\(target) imports \(forbidden.sorted())")
        }
    }

    /// The run-directory schema sits below both its writers (Tuning, the demo) and its
    /// reader (Report), so the torch-free report reads the trainer's own types.
    @Test("RunSchema imports Foundation only; Report and Tuning share it")
    func runSchemaIsShared() throws {
        let all = try Self.imports()
        #expect(all["RunSchema"] == ["Foundation"], "\(all["RunSchema"] ?? [])")
        #expect(all["Report"]?.contains("RunSchema") == true && all["Tuning"]?.contains("RunSchema") == true)
    }

    /// Libraries that are not products share their API inside the package only
    /// (`package`), so nothing outside can come to depend on it.
    @Test("Hub, Cache, Tuning and Distributed declare nothing public; no source target imports TestSupport")
    func packageAccess() throws {
        for target in ["Hub", "Cache", "Tuning", "Distributed"] {
            let dir = Self.sources.appendingPathComponent(target)
            let files = try #require(FileManager.default.enumerator(atPath: dir.path))
            var checked = 0
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                checked += 1
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    let words = code.split(whereSeparator: { !$0.isLetter && $0 != "_" })
                    #expect(!words.contains("public"), "\(target)/\(file):\(number + 1) is public: \(line)")
                }
            }
            #expect(checked > 0, "no Swift files in \(target)")
        }
        let all = try Self.imports()
        #expect(all.filter { $0.value.contains("TestSupport") }.isEmpty)
    }

    @Test("the parser finds imports (the rule check is not vacuous)")
    func parserSeesImports() throws {
        let all = try Self.imports()
        #expect(all["Linalg"]?.contains("CLapack") == true)
        #expect(all["HubMinerCLI"]?.contains("ArgumentParser") == true)
    }
}
