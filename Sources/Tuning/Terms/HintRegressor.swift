import Torch

/// FitNets' regressor from a student hint to the teacher hint's shape, built as
/// RepDistiller's `ConvReg`: a convolution, batch normalisation (batch statistics:
/// the regressor only runs in training) and ReLU. The convolution follows
/// `ConvReg`'s size rules on the map height:
/// - equal sizes: 1x1 convolution;
/// - student twice the teacher's size: 3x3, stride 2, padding 1;
/// - student larger otherwise: a (1 + ΔH) x (1 + ΔW) convolution (valid padding).
/// A student map smaller than the teacher's is an error (`ConvReg`'s transposed
/// convolution for the half-size case is not provided). Vector hints ([B, C]) get
/// a linear layer and nothing else.
///
/// Initialisation is PyTorch's default for `nn.Conv2d`/`nn.Linear`, which
/// RepDistiller keeps: weights and biases uniform in ±1/√fan_in; batch-norm scale
/// 1 and shift 0.
package final class HintRegressor {
    package enum Kind: Equatable, Sendable {
        case convolution(kernel: Size2, stride: Int, padding: Int)
        case linear
    }

    package let kind: Kind
    package let weight: Tensor
    package let bias: Tensor
    /// Batch-norm scale and shift (convolution only).
    package let normScale: Tensor?
    package let normShift: Tensor?

    package var parameters: [Tensor] { [weight, bias] + [normScale, normShift].compactMap { $0 } }

    /// - Parameters:
    ///   - student: one student hint's shape without the batch ([C, H, W] or [C]).
    ///   - teacher: the teacher hint's shape without the batch.
    package init(student: [Int], teacher: [Int], generator: Generator) throws {
        let op = "fitnet"
        switch (student.count, teacher.count) {
        case (3, 3):
            let (sh, sw, th, tw) = (student[1], student[2], teacher[1], teacher[2])
            if sh == th && sw == tw {
                kind = .convolution(kernel: 1, stride: 1, padding: 0)
            } else if sh == 2 * th && sw == 2 * tw {
                kind = .convolution(kernel: 3, stride: 2, padding: 1)
            } else if sh >= th && sw >= tw {
                kind = .convolution(kernel: Size2(1 + sh - th, 1 + sw - tw), stride: 1, padding: 0)
            } else {
                throw TuningError.incompatible(
                    method: op,
                    message: "the student hint map \(student) is smaller than the teacher's \(teacher); pick a student hint at least as large")
            }
        case (1, 1):
            kind = .linear
        default:
            throw TuningError.incompatible(
                method: op,
                message: "student hint \(student) and teacher hint \(teacher) must both be maps [C, H, W] or both vectors [C]")
        }
        let inChannels = student[0], outChannels = teacher[0]
        let kernelShape: [Int]
        switch kind {
        case .convolution(let kernel, _, _): kernelShape = [outChannels, inChannels, kernel.height, kernel.width]
        case .linear: kernelShape = [outChannels, inChannels]
        }
        let fanIn = Double(kernelShape.dropFirst().reduce(1, *))
        let bound = 1 / fanIn.squareRoot()
        weight = try Tensor.zeros(kernelShape).uniform_(-bound, bound, generator: generator).requiresGrad(true)
        bias = try Tensor.zeros([outChannels]).uniform_(-bound, bound, generator: generator).requiresGrad(true)
        if case .convolution = kind {
            normScale = try Tensor.ones([outChannels]).requiresGrad(true)
            normShift = try Tensor.zeros([outChannels]).requiresGrad(true)
        } else {
            normScale = nil
            normShift = nil
        }
    }

    package func callAsFunction(_ hint: Tensor) throws -> Tensor {
        switch kind {
        case let .convolution(_, stride, padding):
            guard hint.rank == 4, hint.shape[1] == weight.shape[1] else {
                throw TuningError.incompatible(
                    method: "fitnet", message: "the student hint has shape \(hint.shape) but the regressor expects [B, \(weight.shape[1]), H, W]")
            }
            let conv = try Functional.conv2d(hint, weight: weight, bias: bias, stride: Size2(stride, stride), padding: Size2(padding, padding))
            return try Functional.batchNorm(
                conv, runningMean: nil, runningVar: nil, weight: normScale, bias: normShift,
                training: true
            ).relu()
        case .linear:
            guard hint.rank == 2, hint.shape[1] == weight.shape[1] else {
                throw TuningError.incompatible(
                    method: "fitnet", message: "the student hint has shape \(hint.shape) but the regressor expects [B, \(weight.shape[1])]")
            }
            return try Functional.linear(hint, weight: weight, bias: bias)
        }
    }
}
