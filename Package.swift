// swift-tools-version:6.0
// HubMiner: rank and tune pre-trained models from a hub.
//
// Targets are grouped by role. Dependencies point one way:
//   CLapack -> Linalg -> Ranking -> Report -> HubMiner -> HubMinerCLI
//   Linalg -> FeatureIO (CZlib)
//   FeatureIO -> Data (CPNG, CJPEG); Torch + Data -> Hub; FeatureIO -> Cache (GRDB)
//   Hub, Cache, Data -> HubMiner (extraction workflows)
// The ranking math (Linalg, Ranking) never imports the deep-learning layer.
// `Tests/ArchitectureTests` fails when an import breaks these rules.
import PackageDescription

let package = Package(
    name: "HubMiner",
    platforms: [.macOS(.v13)],
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
        .target(name: "Linalg", dependencies: ["CLapack"]),
        .target(name: "FeatureIO", dependencies: ["Linalg", "CZlib"]),
        .target(name: "Ranking", dependencies: ["Linalg"]),
        .target(name: "Report", dependencies: ["Ranking"]),
        .target(name: "Data", dependencies: ["FeatureIO", "Linalg", "CPNG", "CJPEG", "CZlib"]),
        // Tokenizers: Hugging Face tokenizer.json / vocab.txt, ids as `tokenizers` gives
        // them (docs/TOKENIZERS.md). Torch-free, so data and hub layers can share it.
        .target(name: "Tokenizers"),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers"], resources: [.copy("Fixtures")]),
        // The HTML report of a run directory: inline SVG charts, no deep-learning dependency.
        .target(name: "HTMLReport", dependencies: ["Ranking", "FeatureIO"]),
        // Workflows of ranking from feature files (no deep-learning dependency).
        .target(name: "HubMiner", dependencies: ["Linalg", "FeatureIO", "Ranking", "Report"]),

        // MARK: - Workflows and the command-line program
        // Commands shared by both executables (ArgumentParser types; no libtorch).
        .target(
            name: "HubMinerCommandLine",
            dependencies: ["HubMiner", "Linalg", "FeatureIO", "Ranking", "Report", "Data", "HTMLReport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // `hubminer`: the ranking stack only, so it starts in milliseconds; commands
        // that run models are forwarded to `hubminer-torch`.
        .executableTarget(
            name: "HubMinerCLI",
            dependencies: ["HubMinerCommandLine", "Linalg", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // MARK: - Tests
        .testTarget(name: "LinalgTests", dependencies: ["Linalg", .product(name: "Numerics", package: "swift-numerics")]),
        .testTarget(name: "FeatureIOTests", dependencies: ["FeatureIO", "Linalg"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "RankingTests",
            dependencies: ["Ranking", "Linalg", .product(name: "Numerics", package: "swift-numerics")],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CLITests", dependencies: ["HubMiner", "FeatureIO", "Linalg", "Ranking", "Torch", "Cache"]),
        .testTarget(name: "ArchitectureTests"),
        .testTarget(name: "DataTests", dependencies: ["Data", "FeatureIO"]),
        .testTarget(name: "HTMLReportTests", dependencies: ["HTMLReport", "Ranking"], resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Deep-learning layer (libtorch)
//
// `CTorch` is a small extern "C" shim over libtorch's C++ API (the package's only
// C++); `Torch` is the Swift API above it. The ranking stack never depends on them.
//
// libtorch comes from Debian's `libtorch-dev` (1.13). Its C++ API headers live in a
// nested directory that is not on the default include path, so it is added here, in
// this one place. Set HUBMINER_LIBTORCH_INCLUDE / HUBMINER_LIBTORCH_LIB to build
// against another libtorch installation.
let libtorchInclude = Context.environment["HUBMINER_LIBTORCH_INCLUDE"] ?? "/usr/include"
let libtorchLib = Context.environment["HUBMINER_LIBTORCH_LIB"] ?? "/usr/lib/x86_64-linux-gnu"
// -isystem: libtorch's headers are not warning-clean. /usr/include itself is
// already a system directory, and naming it again would reorder the C++ headers'
// include_next chain, so it is only added for another installation.
let libtorchIncludeFlags = ["-isystem", "\(libtorchInclude)/torch/csrc/api/include"]
    + (libtorchInclude == "/usr/include" ? [] : ["-isystem", libtorchInclude])

package.products += [
    .library(name: "Torch", targets: ["Torch"]),
]
package.targets += [
    // Model hubs (cards, manifests, feature extraction) and the extraction cache.
    .target(name: "Hub", dependencies: ["Torch", "Data", "FeatureIO", "Linalg", "Models", "Tokenizers"]),
    .target(name: "Cache", dependencies: ["FeatureIO", .product(name: "GRDB", package: "GRDB.swift")]),
    // The built-in model zoo: procedural tasks, small architectures pre-trained from
    // scratch, cached as an ordinary hub directory (docs/ZOO.md).
    .target(name: "Zoo", dependencies: ["Torch", "Hub", "Data", "FeatureIO", "Linalg", "HubMiner"]),
    // Workflows: ranking from feature files, and extraction from a hub feeding it.
    .target(name: "HubMinerHub", dependencies: ["HubMiner", "Linalg", "FeatureIO", "Ranking", "Report", "Data", "Hub", "Cache"]),
    // `hubminer demo`: zoo -> ranking -> ground truth -> evaluation -> tuning -> report.
    .target(name: "HubMinerDemo", dependencies: ["HubMinerHub", "HubMiner", "Tuning", "Zoo", "HTMLReport", "Report", "Ranking", "FeatureIO"]),
    .testTarget(name: "DemoTests", dependencies: ["HubMinerDemo", "HubMiner", "Ranking", "Zoo"]),
    // `hubminer-torch`: every command, with the deep-learning layer (see HubMinerCommandLine).
    .executableTarget(
        name: "HubMinerTorchCLI",
        dependencies: ["HubMinerCommandLine", "HubMinerHub", "HubMiner", "Hub", "Cache", "Data", "Ranking", "Linalg", "Tuning", "Zoo", "Torch",
                       "HubMinerDemo", "Distributed", "HubMinerDistributed",
                       .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .testTarget(name: "ZooTests", dependencies: ["Zoo", "Hub", "HubMiner", "HubMinerHub", "Cache", "Torch", "Data", "FeatureIO", "Linalg"],
                resources: [.copy("Fixtures")]),
    .testTarget(name: "HubTests", dependencies: ["Hub", "Cache", "HubMiner", "HubMinerHub", "Torch", "Data", "FeatureIO", "Linalg"]),
    .target(
        name: "CTorch",
        cxxSettings: [
            .unsafeFlags(["-std=c++17"] + libtorchIncludeFlags),
            // ProcessGroupGloo.hpp declares the Gloo group only under this macro
            // (Debian builds libtorch with Gloo; its headers come from libgloo-dev).
            .define("USE_C10D_GLOO"),
        ],
        linkerSettings: [
            .unsafeFlags(["-L\(libtorchLib)"]),
            .linkedLibrary("torch"),
            .linkedLibrary("torch_cpu"),
            .linkedLibrary("c10"),
        ]
    ),
    .target(name: "Torch", dependencies: ["CTorch", "Linalg"]),
    // Tuning: the trainer, loss terms and methods (fine-tuning, B-Tuning, distillation,
    // transfer regularisers). Uses LogME's posterior from Ranking; never the reverse.
    // Run configurations are JSON or YAML (Yams; no other target imports it).
    // Data-parallel tuning runs on `Distributed`'s process groups.
    .target(name: "Tuning", dependencies: ["Torch", "Hub", "Data", "Ranking", "Linalg", "FeatureIO", "Distributed",
                                           .product(name: "Yams", package: "Yams")]),
    .testTarget(name: "TuningTests", dependencies: ["Tuning", "Torch", "Hub", "Data", "Ranking", "Linalg", "FeatureIO"]),
    .testTarget(name: "TorchTests", dependencies: ["Torch", "Linalg"], resources: [.copy("Fixtures")]),
    // Multi-process runs on libtorch's distributed runtime (c10d, Gloo over TCP):
    // process groups, collectives, the local launcher, gradient synchronisation.
    .target(name: "Distributed", dependencies: ["CTorch", "Torch"]),
    // The program the distributed tests launch as 2 ranks (one role per argument).
    .executableTarget(name: "DistributedWorker", dependencies: ["Distributed", "Torch"], path: "Tests/DistributedWorker"),
    .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Torch", "DistributedWorker"]),
    // The program the data-parallel tuning tests launch as the ranks of a run.
    .executableTarget(name: "TuningWorker", dependencies: ["Tuning", "Distributed", "Hub", "Torch"], path: "Tests/TuningWorker"),
    .testTarget(name: "DistributedTuningTests", dependencies: ["Tuning", "Distributed", "Torch", "FeatureIO", "TuningWorker"]),
    // `rank --distributed`: statistics accumulated per rank, all-reduced, scored once.
    .target(name: "HubMinerDistributed", dependencies: ["HubMiner", "Ranking", "Linalg", "Distributed", "Torch", "Hub", "Data"]),
    .testTarget(name: "DistributedRankTests", dependencies: ["HubMinerDistributed", "HubMiner", "Distributed", "Ranking", "FeatureIO", "Linalg", "Torch"]),
    // Training-step timings against PyTorch; run through benchmarks/torch/run.sh.
    .executableTarget(name: "TorchBenchmark", dependencies: ["Torch", "Linalg"], path: "benchmarks/torch/Sources"),
]

// MARK: - Pre-trained model families (Hugging Face / timm checkpoints)
//
// `Models` builds TorchScript modules for checkpoint folders (config.json +
// safetensors) with parameters named as in the checkpoint, so every downstream
// piece (stages, tuning, export) sees an ordinary `ScriptModule`.
package.targets += [
    .target(name: "Models", dependencies: ["Torch", "FeatureIO"]),
    .testTarget(name: "ModelsTests", dependencies: ["Models", "Hub", "Torch", "FeatureIO"], resources: [.copy("Fixtures")]),
]
package.targets += [
    // The all-MiniLM-L6-v2 cross-check and timing against sentence-transformers; run through benchmarks/models/run.sh.
    .executableTarget(name: "ModelsBenchmark", dependencies: ["Models", "Torch", "FeatureIO", "Hub"], path: "benchmarks/models/Sources"),
]
