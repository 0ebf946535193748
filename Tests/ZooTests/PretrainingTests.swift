import Foundation
import Linalg
import Testing
import Torch
@testable import Zoo

@Suite struct Pretraining {
    /// A small CNN learns an easy task (colour) far above chance in a few epochs, and
    /// the loss falls; the network is left in eval mode without gradients.
    @Test func learnsAnEasyTask() throws {
        let task = try TaskGenerator.generate(TestTasks.colour(train: 30, test: 10), imageSize: 8, seed: 1)
        let net = try NetworkBuilder.make(.cnn(widths: [8, 8], depth: 1), imageSize: 8, classes: 6, seed: 1)
        let before = try Pretrainer.accuracy(net, on: task.test)
        var losses = [Double]()
        let summary = try Pretrainer.train(
            net, task: task, options: PretrainingOptions(epochs: 4, batchSize: 16, learningRate: 1e-2),
            seed: 2, name: "t"
        ) { _, _, loss in losses.append(loss) }
        #expect(losses.count == 4)
        #expect(losses.last! < losses.first! * 0.8)
        #expect(summary.steps == 4 * ((180 + 15) / 16))
        #expect(summary.sourceAccuracy > 0.6, "accuracy \(summary.sourceAccuracy), before training \(before)")
        #expect(summary.sourceAccuracy == (try Pretrainer.accuracy(net, on: task.test)))
        #expect(!net.isTraining)
        #expect(try net.parameters().allSatisfy { !$0.requiresGrad })
    }

    @Test func sameSeedSameWeights() throws {
        let task = try TaskGenerator.generate(TestTasks.colour(train: 6, test: 2), imageSize: 8, seed: 1)
        func trained() throws -> [Tensor] {
            let net = try NetworkBuilder.make(.mlp(hidden: [8]), imageSize: 8, classes: 6, seed: 4)
            _ = try Pretrainer.train(net, task: task, options: PretrainingOptions(epochs: 2, batchSize: 8), seed: 5, name: "m")
            return try net.parameters()
        }
        for (a, b) in zip(try trained(), try trained()) { #expect(try a.equals(b)) }
    }

    @Test func badOptionsAndDivergenceAreReported() throws {
        let task = try TaskGenerator.generate(TestTasks.colour(train: 6, test: 2), imageSize: 8, seed: 1)
        let net = try NetworkBuilder.make(.mlp(hidden: [8]), imageSize: 8, classes: 6, seed: 4)
        #expect(throws: ZooError.self) { try Pretrainer.train(net, task: task, options: PretrainingOptions(epochs: 0), seed: 0, name: "m") }
        let error = #expect(throws: ZooError.self) {
            try Pretrainer.train(net, task: task, options: PretrainingOptions(epochs: 3, learningRate: 1e30, weightDecay: 0), seed: 0, name: "m")
        }
        #expect(error?.description.hasPrefix("m: pre-training failed: the loss became") == true)
    }
}

@Suite struct LinearProbes {
    /// Features that encode the class (plus noise) are probed perfectly; features
    /// unrelated to the labels stay near chance; a constant column is harmless.
    @Test func separatesWhatIsThereAndNothingElse() throws {
        var rng = ZooRandom(seed: 3)
        func problem(_ n: Int, signal: Double) -> (Matrix, [Int]) {
            let labels = (0..<n).map { $0 % 4 }
            var x = Matrix(rows: n, columns: 6)
            for r in 0..<n {
                for j in 0..<5 { x[r, j] = rng.normal() + (j == labels[r] ? signal : 0) }
                x[r, 5] = 2.5
            }
            return (x, labels)
        }
        let (train, y) = problem(200, signal: 6)
        let (test, yt) = problem(200, signal: 6)
        #expect(try ZooProbe.accuracy(train: train, trainLabels: y, test: test, testLabels: yt) == 1)
        let (noiseTrain, ny) = problem(200, signal: 0)
        let (noiseTest, nyt) = problem(400, signal: 0)
        let chance = try ZooProbe.accuracy(train: noiseTrain, trainLabels: ny, test: noiseTest, testLabels: nyt)
        #expect(abs(chance - 0.25) < 0.1)
        #expect(throws: ZooError.self) { try ZooProbe.accuracy(train: train, trainLabels: [0], test: test, testLabels: yt) }
    }

    /// The fit is ridge regression: on a problem small enough to solve by hand
    /// (one feature, two classes) the weights satisfy the normal equations.
    @Test func fitSolvesTheRidgeNormalEquations() throws {
        let x = Matrix([[0.0], [1.0], [3.0], [4.0]])
        let labels = [0, 0, 1, 1]
        let model = try ZooProbe.fit(x, labels, classes: 2, ridge: 0.5)
        // Standardised feature z = (x - 2) / sqrt(2.5); for class 1, targets [0, 0, 1, 1]:
        // Σ z² = 4 and Σ z y = 3 / sqrt(2.5), so slope = Σ z y / (Σ z² + λ) = (3 / sqrt(2.5)) / 4.5;
        // z is centred, so the intercept is mean(y) = 0.5.
        let slope = (3 / 2.5.squareRoot()) / 4.5
        #expect(abs(model.weights[0, 1] - slope) < 1e-12)
        #expect(abs(model.weights[1, 1] - 0.5) < 1e-9)
        #expect(abs(model.weights[0, 0] + slope) < 1e-12)
    }
}
