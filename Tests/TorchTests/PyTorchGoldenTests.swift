import Foundation
import Testing
@testable import Torch

// Values computed by PyTorch itself (scripts/fixtures/make_torch_fixtures.py).

private func fixtureURL(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw TorchError.invalidArgument(operation: "fixture", message: "missing fixture \(name)")
    }
    return url
}

private func json(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: fixtureURL(name))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TorchError.invalidArgument(operation: "fixture", message: "\(name) is not a JSON object")
    }
    return object
}

/// The generator's `det`: sin(0.7 i + offset) * scale over row-major positions.
private func det(_ shape: [Int], scale: Double = 1, offset: Double = 0) throws -> Tensor {
    let n = shape.reduce(1, *)
    return try Tensor((0..<n).map { Foundation.sin(Double($0) * 0.7 + offset) * scale }, shape: shape)
}

extension TorchTests {
    @Suite struct PyTorchGolden {
        @Test func pythonSavedModuleLoadsAndMatches() throws {
            let info = try json("tiny_resnet.json")
            let model = try ScriptModule(contentsOf: fixtureURL("tiny_resnet.pt").path)
            #expect(try model.namedParameters().map(\.name) == info["parameters"] as? [String])
            #expect(try model.namedBuffers().map(\.name) == info["buffers"] as? [String])
            #expect(model.childNames == ["stem", "layer4", "fc"])
            #expect(model.submodulePaths.contains("layer4.1.bn"))
            #expect(!model.isTraining)
            let x = try det([2, 3, 8, 8]).to(.float32)
            let expected = info["forward"] as? [Double] ?? []
            expectClose(try model.forward(x).toArray(of: Double.self), expected, tolerance: 1e-5)
            let embedding = try model.run(method: "embed", [.tensor(x)]).tensor()
            expectClose(try embedding.toArray(of: Double.self), info["embed"] as? [Double] ?? [], tolerance: 1e-5)
            // Calling submodules by path composes to the whole model.
            let fc = try model.submodule("fc")
            expectClose(try fc.forward(embedding).toArray(of: Double.self), expected, tolerance: 1e-5)
            expectClose(try fc.namedParameters()[0].tensor.toArray(of: Double.self), info["fc_weight"] as? [Double] ?? [])
            let layer4 = try model.submodule("layer4")
            #expect(try layer4.forward(Tensor.zeros([1, 4, 2, 2])).shape == [1, 4, 2, 2])
            // Frozen for inference: same outputs.
            expectClose(try model.frozen().forward(x).toArray(of: Double.self), expected, tolerance: 1e-5)
        }

        @Test func optimiserTrajectoriesMatchPyTorch() throws {
            let golden = try json("torch_golden.json")
            guard let initial = golden["initial"] as? [[Double]], let gradients = golden["gradients"] as? [[[Double]]],
                let trajectories = golden["optimisers"] as? [String: [[[Double]]]]
            else {
                Issue.record("malformed golden file")
                return
            }
            let makers: [String: ([ParameterGroup]) throws -> any Optimizer] = [
                "sgd_momentum": { try SGD($0, options: .init(learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)) },
                "sgd_nesterov": { try SGD($0, options: .init(learningRate: 0.1, momentum: 0.8, weightDecay: 0.05, nesterov: true)) },
                "adam": { try Adam($0, options: .init(learningRate: 0.05, weightDecay: 0.1)) },
                "adam_amsgrad": { try Adam($0, options: .init(learningRate: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-6, amsgrad: true)) },
                "adamw": { try Adam($0, options: .adamW(learningRate: 0.05, weightDecay: 0.05, amsgrad: true)) },
            ]
            #expect(Set(makers.keys) == Set(trajectories.keys))
            for (name, make) in makers {
                let params = try initial.map { try Tensor($0).requiresGrad(true) }
                let defaultRate = name.hasPrefix("sgd") ? 0.1 : 0.05
                let optimizer = try make([ParameterGroup([params[0]], learningRate: defaultRate * 0.1), ParameterGroup([params[1]])])
                for (step, grads) in gradients.enumerated() {
                    for (p, g) in zip(params, grads) { try p.setGrad(Tensor(g)) }
                    try optimizer.step()
                    for (i, p) in params.enumerated() {
                        let expected = trajectories[name]?[step][i] ?? []
                        expectClose(try p.toArray(of: Double.self), expected, tolerance: 1e-14)
                    }
                }
            }
        }

        @Test func lossesMatchPyTorch() throws {
            guard let values = try json("torch_golden.json")["losses"] as? [String: Any] else {
                Issue.record("malformed golden file")
                return
            }
            func scalar(_ key: String) -> Double { values[key] as? Double ?? .nan }
            func vector(_ key: String) -> [Double] { values[key] as? [Double] ?? [] }
            let logits = try det([4, 5], scale: 2)
            let targets = try Tensor([1, 0, 4, 2] as [Int64])
            let weight = try det([5], scale: 0.5).abs() + 0.5
            let probs = try det([4, 5], offset: 1).softmax(dim: 1)
            let a = try det([3, 4], scale: 1.5), b = try det([3, 4], scale: 1.5, offset: 2)
            expectClose(try Loss.crossEntropy(logits, targets).item(), scalar("cross_entropy"), tolerance: 1e-12)
            expectClose(
                try Loss.crossEntropy(logits, targets, weight: weight, labelSmoothing: 0.15).item(),
                scalar("cross_entropy_smoothed_weighted"), tolerance: 1e-12)
            expectClose(try Loss.crossEntropy(logits, probs).item(), scalar("cross_entropy_soft_targets"), tolerance: 1e-12)
            expectClose(try Loss.klDivergence(logits.logSoftmax(dim: 1), probs).item(), scalar("kl_batchmean"), tolerance: 1e-12)
            expectClose(try Loss.mse(a, b).item(), scalar("mse"), tolerance: 1e-12)
            expectClose(try Loss.smoothL1(a, b, beta: 0.5).item(), scalar("smooth_l1_beta_0_5"), tolerance: 1e-12)
            expectClose(try Functional.cosineSimilarity(a, b).toArray(of: Double.self), vector("cosine_similarity"), tolerance: 1e-12)
            expectClose(try Functional.pairwiseDistance(a, b).toArray(of: Double.self), vector("pairwise_distance"), tolerance: 1e-12)
            expectClose(try a.gelu().flatten().toArray(of: Double.self), vector("gelu"), tolerance: 1e-12)
            expectClose(
                try Functional.layerNorm(a, normalizedShape: [4]).flatten().toArray(of: Double.self),
                vector("layer_norm"), tolerance: 1e-12)
        }
    }
}
