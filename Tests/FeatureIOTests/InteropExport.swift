import Foundation
import Testing
import FeatureIO
import Linalg

/// Writes one file per writer into `$FEATUREIO_EXPORT_DIR`, for checking with NumPy that
/// other tools read what we write:
///
///     export FEATUREIO_EXPORT_DIR=$(mktemp -d)
///     swift test --filter InteropExport
///     python3 scripts/fixtures/check_featureio_outputs.py "$FEATUREIO_EXPORT_DIR"
@Suite struct InteropExport {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["FEATUREIO_EXPORT_DIR"] != nil))
    func export() throws {
        let dir = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FEATUREIO_EXPORT_DIR"] ?? ".")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var all: [(String, NumericArray)] = []
        for dtype in ElementType.allCases {
            let array = RoundTripTests.sample(dtype, shape: [3, 4])
            all.append((dtype.rawValue, array))
            if dtype != .bfloat16 {
                try FeatureFile.writeNpy(array, to: dir.appendingPathComponent("\(dtype.rawValue).npy"))
            }
        }
        let numpyArrays = all.filter { $0.0 != ElementType.bfloat16.rawValue }
        try FeatureFile.writeNpz(numpyArrays, to: dir.appendingPathComponent("stored.npz"))
        try FeatureFile.writeNpz(numpyArrays, to: dir.appendingPathComponent("deflated.npz"), compressed: true)
        try FeatureFile.writeSafetensors(
            all, to: dir.appendingPathComponent("all.safetensors"),
            metadata: ["format": "pt"])
        try FeatureFile.writeCSV(
            Matrix([[1, 0.1], [.nan, -.infinity]]), to: dir.appendingPathComponent("t.csv"),
            header: ["a", "b"])
    }
}
