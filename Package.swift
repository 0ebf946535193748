// swift-tools-version:6.0
// HubMiner: rank and tune pre-trained models from a hub.
//
// Targets are grouped by role. Dependencies point one way:
//   CLapack -> Linalg -> Ranking -> Report -> HubMiner -> hubminer (HubMinerCLI)
//   Linalg -> FeatureIO (CZlib)
//   FeatureIO -> Data (CPNG, CJPEG); Torch + Data -> Hub; FeatureIO -> Cache (GRDB)
//   HubMiner + Hub, Cache, Tuning, Zoo, Distributed -> HubMinerTorch -> hubminer-torch
// The ranking math (Linalg, Ranking) never imports the deep-learning layer.
// `Tests/ArchitectureTests` fails when an import breaks these rules.
//
// Linux only: the program re-executes itself through /proc/self/exe and the C
// libraries come from Debian packages (no platforms are declared for that reason).
import PackageDescription
import Foundation

let package = Package(
    name: "HubMiner",
    products: [
        .executable(name: "hubminer", targets: ["HubMinerCLI"]),
        .executable(name: "hubminer-torch", targets: ["HubMinerTorchCLI"]),
        .library(name: "Linalg", targets: ["Linalg"]),
        .library(name: "FeatureIO", targets: ["FeatureIO"]),
        .library(name: "Ranking", targets: ["Ranking"]),
        .library(name: "Report", targets: ["Report"]),
        .library(name: "HubMiner", targets: ["HubMiner"]),
        .library(name: "Data", targets: ["Data"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        // SQLite for the extraction cache; only the `Cache` target imports it.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // YAML run configurations; only the `Tuning` target imports it.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // MARK: - System libraries (C, from Debian packages)
        .systemLibrary(
            name: "CLapack",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),

        // MARK: - Ranking stack (no deep-learning dependency)
        // Internal helpers every layer shares (not a product): atomic writes, strict
        // decoding, SHA-256, JSON string quoting, progress reporting, the seeded random
        // generator and its one stream derivation, `Locked<T>`, re-executing the program.
        .target(name: "Support"),
        .target(name: "Linalg", dependencies: ["Support", "CLapack"]),
        .target(name: "FeatureIO", dependencies: ["Support", "Linalg", "CZlib"]),
        .target(name: "Ranking", dependencies: ["Support", "Linalg"]),
        // Reports: text tables, JSON and CSV of rankings and evaluations, and the HTML
        // report of a run directory (inline SVG charts); no deep-learning dependency.
        .target(name: "Report", dependencies: ["Support", "Ranking", "FeatureIO", "RunSchema"]),
        // The run-directory schema: the Codable records tuning and the demo write and
        // the report reads (run.json, ground_truth.json, a tuning run's log.jsonl and
        // result.json), and the one JSON dialect for them. Foundation only, so the
        // torch-free report and the torch-side trainer share it.
        .target(name: "RunSchema"),
        .target(name: "Data", dependencies: ["Support", "FeatureIO", "Linalg", "CPNG", "CJPEG"]),
        // Tokenizers: Hugging Face tokenizer.json / vocab.txt, ids as `tokenizers` gives
        // them (docs/TOKENIZERS.md). Torch-free, so data and hub layers can share it.
        .target(name: "Tokenizers"),
        .testTarget(name: "TokenizersTests", dependencies: ["TestSupport", "Tokenizers"], resources: [.copy("Fixtures")]),

        // MARK: - Workflows and the command-line program
        // The torch-free workflows: ranking from feature files and statistics,
        // evaluation, reports, and every command's option groups (ArgumentParser), which
        // both executables share.
        .target(
            name: "HubMiner",
            dependencies: [
                "Support", "Linalg", "FeatureIO", "Ranking", "Report", "Data",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `hubminer`: the ranking stack only, so it starts in milliseconds; parsed
        // commands that run models are forwarded to `hubminer-torch`.
        .executableTarget(
            name: "HubMinerCLI",
            dependencies: ["HubMiner", "Linalg", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: - Tests
        // What the test targets share (never a product, never imported by Sources):
        // temporary directories, the runner for the built executables (`CLI`),
        // golden-file loading and tolerances that report the caller's line.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LinalgTests", dependencies: ["Support", "Linalg"]),
        .testTarget(name: "FeatureIOTests", dependencies: ["TestSupport", "Support", "FeatureIO", "Linalg"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "RankingTests",
            dependencies: ["Ranking", "Linalg", .product(name: "Numerics", package: "swift-numerics")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "HubMiner", "FeatureIO", "Linalg", "Ranking", "Torch", "Cache", "Tuning"]),
        .testTarget(name: "ArchitectureTests"),
        .testTarget(name: "DataTests", dependencies: ["TestSupport", "Support", "Data", "FeatureIO"]),
        .testTarget(name: "ReportTests", dependencies: ["TestSupport", "Report", "Ranking", "RunSchema"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Deep-learning layer (libtorch)
//
// `CTorch` is a small extern "C" shim over libtorch's C++ API (the package's only
// C++); `Torch` is the Swift API above it. The ranking stack never depends on them.
//
// libtorch is PyPI's `torch` wheel, pinned to 2.11.0 (the version the GPU machines
// run); `scripts/dev.sh` installs its include/ and lib/ once per machine into
// ${XDG_CACHE_HOME:-$HOME/.cache}/hubminer/libtorch-2.11.0. Other sources, as
// tch-rs reads them: LIBTORCH=/path (a directory with include/ and lib/: an official
// libtorch archive, or a torch package directory), or LIBTORCH_USE_PYTORCH=1 (the
// torch of `python3`). Only libtorch_cpu and libc10 are linked: the CUDA part
// (libtorch_cuda.so) is dlopened when a GPU is asked for (docs/TORCH.md).
let libtorchVersion = "2.11.0"
func libtorchRoot() -> String {
    let env = Context.environment
    if let path = env["LIBTORCH"], !path.isEmpty { return path }
    if env["LIBTORCH_USE_PYTORCH"] == "1" {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import os, torch; print(os.path.dirname(torch.__file__))"]
        let pipe = Pipe()
        python.standardOutput = pipe
        if (try? python.run()) != nil {
            python.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if python.terminationStatus == 0, !out.isEmpty { return out }
        }
    }
    let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? "") + "/.cache")
    return "\(cache)/hubminer/libtorch-\(libtorchVersion)"
}
let libtorch = libtorchRoot()
// -isystem: libtorch's headers are not warning-clean, and they must be found before
// any other libtorch's under /usr/include.
let libtorchIncludeFlags = ["-isystem", "\(libtorch)/include", "-isystem", "\(libtorch)/include/torch/csrc/api/include"]
// The libraries are named by path, not with -l: other system libraries' -L
// /usr/lib/... comes first on the link line, where an old Debian libtorch may lie.
// The executables and test bundles find libtorch where it was built against (rpath);
// a machine with its own libtorch of the same version points LD_LIBRARY_PATH at it.
let libtorchLinkFlags = [
    "-Xlinker", "\(libtorch)/lib/libtorch_cpu.so", "-Xlinker", "\(libtorch)/lib/libc10.so",
    "-Xlinker", "-rpath", "-Xlinker", "\(libtorch)/lib",
]

package.products += [
    .library(name: "Torch", targets: ["Torch"])
]
package.targets += [
    // Model hubs (cards, manifests, feature extraction) and the extraction cache.
    .target(name: "Hub", dependencies: ["Support", "Torch", "Data", "FeatureIO", "Models", "Tokenizers"]),
    .target(name: "Cache", dependencies: ["Support", "FeatureIO", .product(name: "GRDB", package: "GRDB.swift")]),
    // The built-in model zoo: procedural tasks, small architectures pre-trained from
    // scratch, cached as an ordinary hub directory (docs/ZOO.md).
    .target(name: "Zoo", dependencies: ["Support", "Torch", "Hub", "FeatureIO", "Linalg"]),
    // The workflows that run models: extraction from a hub (through the cache) feeding
    // the ranking, `rank --distributed`/`--nproc`, hub management, tuning and zoo
    // commands, and the demo (zoo -> ranking -> ground truth -> evaluation -> tuning -> report).
    .target(
        name: "HubMinerTorch",
        dependencies: [
            "Support", "HubMiner", "Linalg", "FeatureIO", "Ranking", "Report", "RunSchema", "Data", "Hub", "Cache",
            "Tuning", "Zoo", "Distributed", "Torch",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    .testTarget(
        name: "DemoTests", dependencies: ["TestSupport", "Support", "HubMinerTorch", "HubMiner", "Ranking", "Zoo", "Tuning", "RunSchema", "Report"]),
    // `hubminer-torch`: every command, with the deep-learning layer.
    .executableTarget(
        name: "HubMinerTorchCLI",
        dependencies: ["HubMiner", "HubMinerTorch", "Linalg", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .testTarget(
        name: "ZooTests",
        dependencies: ["TestSupport", "Support", "Zoo", "Hub", "HubMiner", "HubMinerTorch", "Cache", "Torch", "Data", "FeatureIO", "Linalg"],
        resources: [.copy("Fixtures")]),
    .testTarget(
        name: "HubTests", dependencies: ["TestSupport", "Support", "Hub", "Cache", "HubMiner", "HubMinerTorch", "Torch", "Data", "FeatureIO"]),
    .target(
        name: "CTorch",
        // The NCCL plugin is compiled apart (`scripts/dev.sh nccl`): it needs CUDA's
        // headers and libtorch_cuda, which this build never links.
        exclude: ["nccl"],
        cxxSettings: [
            .unsafeFlags(["-std=c++17"] + libtorchIncludeFlags),
            // ProcessGroupGloo.hpp declares the Gloo group only under this macro
            // (the wheel's libtorch_cpu carries Gloo; the headers come from
            // libgloo-dev, see docs/DISTRIBUTED.md).
            .define("USE_C10D_GLOO"),
        ],
        linkerSettings: [
            .unsafeFlags(libtorchLinkFlags)
        ]
    ),
    .target(name: "Torch", dependencies: ["CTorch", "Linalg"]),
    // Tuning: the trainer, loss terms and methods (fine-tuning, B-Tuning, distillation,
    // transfer regularisers). Uses LogME's posterior from Ranking; never the reverse.
    // Run configurations are JSON or YAML (Yams; no other target imports it).
    // Data-parallel tuning runs on `Distributed`'s process groups.
    .target(
        name: "Tuning",
        dependencies: [
            "Support", "Torch", "Hub", "Data", "Ranking", "Linalg", "FeatureIO", "Distributed", "RunSchema",
            .product(name: "Yams", package: "Yams"),
        ]),
    .testTarget(
        name: "TuningTests",
        dependencies: ["TestSupport", "Support", "Tuning", "Torch", "Hub", "Ranking", "Linalg", "FeatureIO", "RunSchema", "Report"]),
    .testTarget(name: "TorchTests", dependencies: ["Torch", "Linalg"], resources: [.copy("Fixtures")]),
    // Multi-process runs on libtorch's distributed runtime (c10d, Gloo over TCP):
    // process groups, collectives, the local launcher, gradient synchronisation.
    .target(name: "Distributed", dependencies: ["Support", "CTorch", "Torch"]),
    // The program the distributed tests launch as 2 ranks (one role per argument).
    .executableTarget(name: "DistributedWorker", dependencies: ["Distributed", "Torch"], path: "Tests/DistributedWorker"),
    .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Torch", "DistributedWorker"]),
    // The program the data-parallel tuning tests launch as the ranks of a run.
    .executableTarget(name: "TuningWorker", dependencies: ["Tuning", "Distributed", "Hub", "Torch"], path: "Tests/TuningWorker"),
    .testTarget(name: "DistributedTuningTests", dependencies: ["Tuning", "Distributed", "Torch", "FeatureIO", "TuningWorker"]),
    .testTarget(
        name: "DistributedRankTests",
        dependencies: ["TestSupport", "Support", "HubMinerTorch", "HubMiner", "Distributed", "Ranking", "FeatureIO", "Linalg", "Torch"]),
    // Training-step timings against PyTorch; run through benchmarks/torch/run.sh.
    .executableTarget(name: "TorchBenchmark", dependencies: ["Torch", "Linalg"], path: "benchmarks/torch/Sources"),
]

// MARK: - Pre-trained model families (Hugging Face / timm checkpoints)
//
// `Models` builds TorchScript modules for checkpoint folders (config.json +
// safetensors) with parameters named as in the checkpoint, so every downstream
// piece (stages, tuning, export) sees an ordinary `ScriptModule`.
package.targets += [
    .target(name: "Models", dependencies: ["Support", "Torch", "FeatureIO"]),
    .testTarget(name: "ModelsTests", dependencies: ["TestSupport", "Models", "Hub", "Torch", "FeatureIO", "Data"], resources: [.copy("Fixtures")]),
]
package.targets += [
    // The all-MiniLM-L6-v2 cross-check and timing against sentence-transformers; run through benchmarks/models/run.sh.
    .executableTarget(name: "ModelsBenchmark", dependencies: ["Models", "Torch", "FeatureIO", "Hub"], path: "benchmarks/models/Sources")
]
