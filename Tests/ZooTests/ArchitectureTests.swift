import Foundation
import Testing
import Torch
@testable import Zoo

@Suite struct Architectures {
    static let specs: [ArchitectureSpec] = [
        .mlp(hidden: [32, 16]),
        .cnn(widths: [4, 8, 8], depth: 2),
        .attention(patch: 4, dim: 8, depth: 2, heads: 2, mlpRatio: 2),
    ]

    func input(_ n: Int = 3, size: Int = 8) throws -> Tensor {
        try Tensor.rand([n, 3, size, size], generator: Generator(seed: 3))
    }

    /// features N x D, forward N x classes, hints shallow to deep with the documented shapes.
    @Test(arguments: specs) func outputShapes(spec: ArchitectureSpec) throws {
        let net = try NetworkBuilder.make(spec, imageSize: 8, classes: 5, seed: 1)
        try net.eval()
        let x = try input()
        let features = try net.run(method: "features", [.tensor(x)]).tensor()
        #expect(features.shape == [3, spec.featureDimension])
        #expect(try net.forward(x).shape == [3, 5])
        let hints = try net.run(method: "hints", [.tensor(x)]).elements().map { try $0.tensor().shape }
        switch spec {
        case .mlp: #expect(hints == [[3, 32], [3, 16]])
        case .cnn: #expect(hints == [[3, 4, 8, 8], [3, 8, 4, 4], [3, 8, 2, 2]])
        case .attention: #expect(hints == [[3, 4, 8], [3, 4, 8], [3, 4, 8]])
        }
        // forward is the head applied to features.
        let head = try net.submodule("head").forward(features)
        #expect(try head.isClose(to: net.forward(x), rtol: 1e-6, atol: 1e-6))
    }

    /// PyTorch's default initialisation: conv and linear weights and biases uniform in
    /// ±1/sqrt(fan_in) (so variance bound²/3), norms at weight 1 and bias 0; the same
    /// seed gives the same weights, another seed other weights.
    @Test func initialisationLikePyTorch() throws {
        let net = try NetworkBuilder.make(.cnn(widths: [16, 32], depth: 1), imageSize: 8, classes: 10, seed: 7)
        let params = Dictionary(uniqueKeysWithValues: try net.namedParameters().map { ($0.name, $0.tensor) })
        let conv = try #require(params["stage1_block0.conv_weight"]).toArray(of: Float.self)
        let bound = 1 / Float(16 * 9).squareRoot()
        #expect(conv.allSatisfy { abs($0) <= bound })
        let variance = conv.reduce(0) { $0 + Double($1 * $1) } / Double(conv.count)
        #expect(abs(variance - Double(bound * bound) / 3) < 0.1 * Double(bound * bound) / 3)
        let head = try #require(params["head.weight"]).toArray(of: Float.self)
        #expect(head.allSatisfy { abs($0) <= 1 / Float(32).squareRoot() })
        #expect(try params["stage0_block0.bn_weight"]!.toArray(of: Float.self).allSatisfy { $0 == 1 })
        #expect(try params["stage0_block0.bn_bias"]!.toArray(of: Float.self).allSatisfy { $0 == 0 })
        let buffers = Dictionary(uniqueKeysWithValues: try net.namedBuffers().map { ($0.name, $0.tensor) })
        #expect(try buffers["stage0_block0.bn_running_var"]!.toArray(of: Float.self).allSatisfy { $0 == 1 })

        let same = try NetworkBuilder.make(.cnn(widths: [16, 32], depth: 1), imageSize: 8, classes: 10, seed: 7)
        let other = try NetworkBuilder.make(.cnn(widths: [16, 32], depth: 1), imageSize: 8, classes: 10, seed: 8)
        for ((_, a), ((_, b), (_, c))) in zip(try net.namedParameters(), zip(try same.namedParameters(), try other.namedParameters())) {
            #expect(try a.equals(b))
            if a.count > 1, try !a.equals(Tensor.ones(like: a)), try !a.equals(Tensor.zeros(like: a)) { #expect(try !a.equals(c)) }
        }
    }

    /// Batch norm: training mode normalises with the batch's statistics and updates
    /// the running averages; eval mode uses (and keeps) the running statistics.
    @Test func batchNormTrainAndEvalDiffer() throws {
        let net = try NetworkBuilder.make(.cnn(widths: [4], depth: 1), imageSize: 8, classes: 2, seed: 2)
        let x = try input(4)
        func runningMean() throws -> [Float] {
            try net.namedBuffers().first { $0.name == "stage0_block0.bn_running_mean" }!.tensor.toArray(of: Float.self)
        }
        try net.eval()
        let evalOut = try withNoGrad { try net.run(method: "features", [.tensor(x)]).tensor() }
        #expect(try runningMean() == [0, 0, 0, 0])
        try net.train()
        let trainOut = try withNoGrad { try net.run(method: "features", [.tensor(x)]).tensor() }
        #expect(try !trainOut.isClose(to: evalOut, rtol: 1e-3, atol: 1e-3))
        let updated = try runningMean()
        #expect(updated.contains { $0 != 0 })
        // Momentum 0.1: the running mean moved a tenth of the way to the batch mean of the conv output.
        let conv = try net.namedParameters().first { $0.name == "stage0_block0.conv_weight" }!.tensor
        let batchMean = try Functional.conv2d(x, weight: conv, padding: [1, 1]).mean(dims: [0, 2, 3]).toArray(of: Float.self)
        for (u, m) in zip(updated, batchMean) { #expect(abs(u - 0.1 * m) < 1e-6) }
        try net.eval()
        let evalAgain = try withNoGrad { try net.run(method: "features", [.tensor(x)]).tensor() }
        #expect(try runningMean() == updated)
        #expect(try !evalAgain.isClose(to: evalOut, rtol: 1e-7, atol: 1e-7))
    }

    @Test func savedModelsKeepTheirMethods() throws {
        let dir = try makeTempDir()
        defer { cleanup(dir) }
        for (i, spec) in Self.specs.enumerated() {
            let net = try NetworkBuilder.make(spec, imageSize: 8, classes: 4, seed: UInt64(i))
            try net.eval()
            let url = dir.appendingPathComponent("m\(i).pt")
            try ZooBuilder.saveAtomically(net, to: url)
            let loaded = try ScriptModule(contentsOf: url.path)
            try loaded.eval()
            #expect(Set(loaded.methodNames).isSuperset(of: ["features", "forward", "hints"]))
            let x = try input()
            #expect(try loaded.forward(x).equals(net.forward(x)))
        }
        // Only the final files remain (no temporaries).
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["m0.pt", "m1.pt", "m2.pt"])
    }

    @Test func badSpecsAreRefused() {
        #expect(throws: ZooError.invalidArchitecture("attention: patch 3 must divide the image size 8")) {
            try NetworkBuilder.make(.attention(patch: 3, dim: 8, depth: 1, heads: 2, mlpRatio: 2), imageSize: 8, classes: 2, seed: 0)
        }
        #expect(ArchitectureSpec.attention(patch: 4, dim: 6, depth: 1, heads: 4, mlpRatio: 2).validationProblem(imageSize: 8) != nil)
        #expect(ArchitectureSpec.cnn(widths: [4, 4, 4, 4, 4], depth: 1).validationProblem(imageSize: 8) != nil)
        #expect(ArchitectureSpec.mlp(hidden: []).validationProblem(imageSize: 8) != nil)
    }
}

/// The same networks built by PyTorch from torch.nn modules
/// (scripts/fixtures/make_zoo_fixtures.py): with PyTorch's weights loaded by name,
/// the TorchScript networks reproduce its outputs to 1e-5.
@Suite struct ArchitecturesAgainstPyTorch {
    struct Weight: Decodable { let shape: [Int]; let values: [Float] }
    struct Entry: Decodable {
        let spec: ArchitectureSpec
        let input_shape: [Int]
        let input: [Float]
        let weights: [String: Weight]
        let features: [Float]
        let forward: [Float]
        let hints: [Weight]
        let train_features: [Float]?
        let running_after_train: [String: [Float]]?
    }
    struct File: Decodable { let image_size: Int; let classes: Int; let cnn: Entry; let attention: Entry; let mlp: Entry }

    static func fixtures() throws -> File {
        let url = try #require(Bundle.module.url(forResource: "zoo_architectures", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    func check(_ entry: Entry, file: File) throws {
        let net = try NetworkBuilder.make(entry.spec, imageSize: file.image_size, classes: file.classes, seed: 99)
        let tensors = try net.namedParameters() + net.namedBuffers()
        #expect(Set(tensors.map(\.name)) == Set(entry.weights.keys), "parameter names differ from PyTorch's mapping")
        try withNoGrad {
            for (name, t) in tensors {
                let w = try #require(entry.weights[name])
                #expect(t.shape == w.shape, "\(name)")
                try t.copy_(Tensor(w.values, shape: w.shape))
            }
        }
        try net.eval()
        let x = try Tensor(entry.input, shape: entry.input_shape)
        func close(_ t: Tensor, _ expected: [Float], _ what: String) throws {
            let got = try t.toArray(of: Float.self)
            #expect(got.count == expected.count, "\(what)")
            let worst = zip(got, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "\(entry.spec.family) \(what): max difference \(worst)")
        }
        try withNoGrad {
            try close(try net.run(method: "features", [.tensor(x)]).tensor(), entry.features, "features")
            try close(try net.forward(x), entry.forward, "forward")
            let hints = try net.run(method: "hints", [.tensor(x)]).elements()
            #expect(hints.count == entry.hints.count)
            for (i, (h, e)) in zip(hints, entry.hints).enumerated() {
                #expect(try h.tensor().shape == e.shape)
                try close(try h.tensor(), e.values, "hint \(i)")
            }
            if let trainFeatures = entry.train_features, let running = entry.running_after_train {
                try net.train()
                try close(try net.run(method: "features", [.tensor(x)]).tensor(), trainFeatures, "training-mode features")
                for (name, t) in try net.namedBuffers() {
                    try close(t, try #require(running[name]), "\(name) after one training-mode pass")
                }
            }
        }
    }

    @Test func cnnMatchesPyTorch() throws { let f = try Self.fixtures(); try check(f.cnn, file: f) }
    @Test func attentionMatchesPyTorch() throws { let f = try Self.fixtures(); try check(f.attention, file: f) }
    @Test func mlpMatchesPyTorch() throws { let f = try Self.fixtures(); try check(f.mlp, file: f) }
}
