import Data
import FeatureIO
import Foundation
import HubMiner
import HubMinerTorch
import Ranking
import Testing
import Torch
@testable import Hub

/// Every-layer extraction of a TorchScript entry whose card names a `hints` method
/// giving several maps (rank 4, 2 and 3), each pooled as documented and checked
/// against the pooling computed by hand from the dataset's samples.
@Suite("Layer extraction of TorchScript hints")
struct LayerExtractionTests {
    @Test("maps [B,C,H,W] -> mean over H,W; [B,D] as is; [B,T,D] -> mean over T; cached; ranked as model@layerK")
    func hintsPooledByHand() throws {
        let root = try makeTempDir()
        defer { cleanup(root) }
        let hub = root.appendingPathComponent("hub")
        try FileManager.default.createDirectory(at: hub, withIntermediateDirectories: true)
        let net = try TinyModels.make(inputCount: 48)
        try net.define(
            """
            def hints(self, x) -> List[Tensor]:
                return [x, self.features(x), torch.reshape(x, [x.size(0), 3, 16])]
            """)
        try net.save(to: hub.appendingPathComponent("m.pt").path)
        try writeCard(
            """
            {"name": "m", "file": "m.pt", "input": {"height": 4, "width": 4, "resize": "none"},
             "representation": {"method": "features"}, "hints": {"method": "hints"}}
            """, to: hub.appendingPathComponent("m.json"))
        let data = root.appendingPathComponent("data")
        try makeNumpyDataset(data, count: 12)
        var config = ExtractConfiguration(hub: hub, data: data, batchSize: 5, cacheDirectory: root.appendingPathComponent("cache"), threads: 2)
        config.layers = .all
        let result = try ExtractJob.runLayers(config)
        #expect(result.failed.isEmpty, "\(result.failed)")
        #expect(result.models.map(\.name) == ["m@layer0", "m@layer1", "m@layer2"])
        #expect(result.models.map(\.columns) == [3, 4, 16])

        let dataset = try DatasetLoader.open(data, split: nil)
        let layer0 = try FeatureFile.readArray(at: result.models[0].featuresURL).values
        let layer1 = try FeatureFile.readArray(at: result.models[1].featuresURL).values
        let layer2 = try FeatureFile.readArray(at: result.models[2].featuresURL).values
        let weight = try net.namedParameters().first { $0.name == "weight" }!.tensor.toArray(of: Float.self) // [4, 48]
        var worst = 0.0
        for i in 0..<dataset.count {
            let x = try dataset.sample(at: i).values.map(Double.init) // [3, 4, 4]
            for c in 0..<3 {
                let mean = x[(c * 16)..<((c + 1) * 16)].reduce(0, +) / 16
                worst = max(worst, abs(layer0[i * 3 + c] - mean))
            }
            for j in 0..<4 {
                let f = (0..<48).map { Double(weight[j * 48 + $0]) * x[$0] }.reduce(0, +)
                worst = max(worst, abs(layer1[i * 4 + j] - f) / max(1, abs(f)))
            }
            for p in 0..<16 {
                let mean = (x[p] + x[16 + p] + x[32 + p]) / 3
                worst = max(worst, abs(layer2[i * 16 + p] - mean))
            }
        }
        #expect(worst < 1e-5, "worst difference \(worst)")
        #expect(try ExtractJob.runLayers(config).models.allSatisfy { $0.fromCache })

        let unused = root.appendingPathComponent("unused")
        let (ranking, _) = try HubRankJob.run(extract: config, rank: RankConfiguration(featuresDirectory: unused, labelsFile: unused, threads: 2))
        #expect(Set(ranking.models.map(\.name)) == ["m@layer0", "m@layer1", "m@layer2"])
        config.layers = .mean // widths 3, 4, 16: no mean
        #expect(throws: (any Error).self) {
            try HubRankJob.run(extract: config, rank: RankConfiguration(featuresDirectory: unused, labelsFile: unused, threads: 2))
        }
    }
}
