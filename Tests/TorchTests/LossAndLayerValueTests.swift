import Foundation
import Testing
@testable import Torch

// Known values, computed by hand from the definitions.
extension TorchTests {
    @Suite struct KnownValues {
        @Test func meanSquaredAndAbsoluteError() throws {
            let a = try Tensor([1.0, 2.0, 3.0])
            let b = try Tensor([1.0, 1.0, 1.0])
            expectClose(try Loss.mse(a, b).item(), 5.0 / 3)
            expectClose(try Loss.mse(a, b, reduction: .sum).item(), 5)
            #expect(try Loss.mse(a, b, reduction: .none).toArray(of: Double.self) == [0, 1, 4])
            expectClose(try Loss.l1(a, b).item(), 1)
        }

        @Test func smoothL1() throws {
            // |d| < beta: 0.5 d² / beta, otherwise |d| - 0.5 beta.
            let a = try Tensor([0.0, 0.5, 3.0])
            let zero = try Tensor.zeros([3], dtype: .float64)
            expectClose(try Loss.smoothL1(a, zero, reduction: .none).toArray(of: Double.self), [0, 0.125, 2.5])
            expectClose(try Loss.smoothL1(a, zero, reduction: .none, beta: 2).toArray(of: Double.self), [0, 0.0625, 2])
        }

        @Test func crossEntropyWithAndWithoutSmoothing() throws {
            let logits = try Tensor(rows: [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
            let targets = try Tensor([2, 0] as [Int64])
            let z = Foundation.log(Foundation.exp(1.0) + Foundation.exp(2.0) + Foundation.exp(3.0))
            let perSample = [z - 3, Foundation.log(3.0)]
            expectClose(try Loss.crossEntropy(logits, targets, reduction: .none).toArray(of: Double.self), perSample)
            expectClose(try Loss.crossEntropy(logits, targets).item(), (perSample[0] + perSample[1]) / 2)
            // Label smoothing eps: (1 - eps) * nll + eps * mean over classes of -log p.
            let eps = 0.2
            let logp0 = [1.0, 2.0, 3.0].map { $0 - z }
            let smoothed0 = (1 - eps) * (z - 3) + eps * (-logp0.reduce(0, +) / 3)
            let smoothed1 = Foundation.log(3.0) // uniform prediction: every class costs log 3
            expectClose(
                try Loss.crossEntropy(logits, targets, reduction: .none, labelSmoothing: eps)
                    .toArray(of: Double.self), [smoothed0, smoothed1])
            // ignoreIndex drops a sample from the mean.
            expectClose(try Loss.crossEntropy(logits, Tensor([2, -100] as [Int64])).item(), perSample[0])
            // Probability targets.
            let soft = try Tensor(rows: [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
            expectClose(try Loss.crossEntropy(logits, soft).item(), (perSample[0] + perSample[1]) / 2)
        }

        @Test func klDivergenceBatchMean() throws {
            let p = [[0.5, 0.5], [0.9, 0.1]]
            let q = [[0.25, 0.75], [0.5, 0.5]]
            var total = 0.0
            for i in 0..<2 { for j in 0..<2 { total += p[i][j] * Foundation.log(p[i][j] / q[i][j]) } }
            let input = try Tensor(rows: q).log()
            let target = try Tensor(rows: p)
            expectClose(try Loss.klDivergence(input, target).item(), total / 2)
            expectClose(try Loss.klDivergence(input, target, reduction: .sum).item(), total)
            expectClose(try Loss.klDivergence(input, target, reduction: .mean).item(), total / 4)
            expectClose(try Loss.klDivergence(input, target.log(), logTarget: true).item(), total / 2)
            #expect(try Loss.klDivergence(input, target, reduction: .none).shape == [2, 2])
        }

        @Test func binaryCrossEntropyWithLogits() throws {
            let value = try Loss.binaryCrossEntropyWithLogits(Tensor([0.0]), Tensor([1.0])).item()
            expectClose(value, Foundation.log(2))
        }

        @Test func similarities() throws {
            let a = try Tensor(rows: [[1.0, 0.0], [0.0, 0.0]])
            let b = try Tensor(rows: [[1.0, 1.0], [3.0, 4.0]])
            expectClose(try Functional.cosineSimilarity(a, b).toArray(of: Double.self)[0], 1 / 2.0.squareRoot())
            let d = try Functional.pairwiseDistance(Tensor(rows: [[0.0, 0.0]]), Tensor(rows: [[3.0, 4.0]]), eps: 0)
            expectClose(try d.item(), 5)
            let c = try Functional.cdist(Tensor(rows: [[0.0, 0.0], [1.0, 1.0]]), Tensor(rows: [[3.0, 4.0]]))
            expectClose(try c.toArray(of: Double.self), [5, 13.0.squareRoot()])
        }

        @Test func batchNormTrainingUpdatesRunningStatistics() throws {
            let x = try Tensor(rows: [[1.0, 2.0], [3.0, 6.0]])
            let mean = try Tensor.zeros([2], dtype: .float64)
            let variance = try Tensor.ones([2], dtype: .float64)
            let y = try Functional.batchNorm(x, runningMean: mean, runningVar: variance, training: true, momentum: 0.1, eps: 0)
            // Batch statistics normalise (biased variance); each column becomes [-1, 1].
            expectClose(try y.toArray(of: Double.self), [-1, -1, 1, 1])
            // Running statistics move by momentum, with the unbiased variance.
            expectClose(try mean.toArray(of: Double.self), [0.2, 0.4])
            expectClose(try variance.toArray(of: Double.self), [0.9 + 0.1 * 2, 0.9 + 0.1 * 8])
            // Eval mode normalises with the running statistics and leaves them alone.
            let e = try Functional.batchNorm(x, runningMean: mean, runningVar: variance, training: false, eps: 0)
            expectClose(try e[0].toArray(of: Double.self), [(1 - 0.2) / 1.1.squareRoot(), (2 - 0.4) / 1.7.squareRoot()])
            expectClose(try mean.toArray(of: Double.self), [0.2, 0.4])
        }

        @Test func layerNormAndDropoutModes() throws {
            let y = try Functional.layerNorm(Tensor(rows: [[1.0, 3.0]]), normalizedShape: [2], eps: 0)
            expectClose(try y.toArray(of: Double.self), [-1, 1])
            let x = try Tensor.ones([1000], dtype: .float64)
            #expect(try Functional.dropout(x, p: 0.5, training: false).equals(x))
            TorchRuntime.manualSeed(1)
            let dropped = try Functional.dropout(x, p: 0.5, training: true).toArray(of: Double.self)
            #expect(dropped.allSatisfy { $0 == 0 || $0 == 2 })
            let kept = dropped.filter { $0 == 2 }.count
            #expect((400...600).contains(kept))
        }

        @Test func poolingValues() throws {
            let x = try Tensor.arange(0, 16, dtype: .float64).reshape([1, 1, 4, 4])
            #expect(try Functional.maxPool2d(x, kernelSize: 2).toArray(of: Double.self) == [5, 7, 13, 15])
            #expect(try Functional.avgPool2d(x, kernelSize: 2).toArray(of: Double.self) == [2.5, 4.5, 10.5, 12.5])
            #expect(try Functional.adaptiveAvgPool2d(x, outputSize: 1).item() == 7.5)
            #expect(try Functional.adaptiveMaxPool2d(x, outputSize: [1, 2]).toArray(of: Double.self) == [13, 15])
        }

        @Test func convolutionValue() throws {
            // A 2x2 kernel of ones sums each window.
            let x = try Tensor.arange(0, 9, dtype: .float64).reshape([1, 1, 3, 3])
            let w = try Tensor.ones([1, 1, 2, 2], dtype: .float64)
            #expect(try Functional.conv2d(x, weight: w, bias: Tensor([1.0])).toArray(of: Double.self) == [9, 13, 21, 25])
            #expect(try Functional.conv2d(x, weight: w, padding: 1).shape == [1, 1, 4, 4])
        }
    }
}
