import Foundation
import Testing
@testable import Torch

/// Every TorchTests suite is nested here so they run one at a time: gradient mode
/// is per thread, the global generator is shared, and the memory checks read the
/// whole process's resident size.
@Suite(.serialized) struct TorchTests {}

/// Resident memory of this process in KiB (VmRSS in /proc/self/status).
func residentKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func expectClose(
    _ a: [Double], _ b: [Double], tolerance: Double = 1e-9,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(a.count == b.count, "lengths \(a.count) vs \(b.count)", sourceLocation: sourceLocation)
    for (i, (x, y)) in zip(a, b).enumerated() {
        #expect(
            Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y)),
            "element \(i): \(x) vs \(y)", sourceLocation: sourceLocation)
    }
}

func expectClose(
    _ a: Double, _ b: Double, tolerance: Double = 1e-9,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(b)), "\(a) vs \(b)", sourceLocation: sourceLocation)
}

/// Checks autograd's gradient of `f` at a random float64 point against central
/// finite differences. The output is reduced with fixed random weights (a plain
/// sum would hide errors in, say, softmax, whose outputs always sum to one).
func gradCheck(
    _ shape: [Int], seed: UInt64 = 7, positive: Bool = false, eps: Double = 1e-6,
    tolerance: Double = 1e-6, sourceLocation: SourceLocation = #_sourceLocation,
    _ f: (Tensor) throws -> Tensor
) throws {
    let generator = try Generator(seed: seed)
    var values = try Tensor.randn(shape, dtype: .float64, generator: generator).toArray(of: Double.self)
    if positive { values = values.map { Swift.abs($0) + 0.5 } }
    let x = try Tensor(values, shape: shape).requiresGrad(true)
    let output = try f(x)
    let weights = try Tensor.randn(output.shape, dtype: .float64, generator: generator)
    func objective(_ t: Tensor) throws -> Double { try (f(t) * weights).sum().item() }
    try (output * weights).sum().backward()
    guard let grad = x.grad else {
        Issue.record("no gradient reached the input", sourceLocation: sourceLocation)
        return
    }
    let analytic = try grad.toArray(of: Double.self)
    var numeric = [Double]()
    for i in values.indices {
        var plus = values, minus = values
        plus[i] += eps
        minus[i] -= eps
        let up = try withNoGrad { try objective(Tensor(plus, shape: shape)) }
        let down = try withNoGrad { try objective(Tensor(minus, shape: shape)) }
        numeric.append((up - down) / (2 * eps))
    }
    for i in values.indices {
        #expect(
            Swift.abs(analytic[i] - numeric[i]) <= tolerance * Swift.max(1, Swift.abs(numeric[i])),
            "d/dx[\(i)]: autograd \(analytic[i]), finite difference \(numeric[i])", sourceLocation: sourceLocation)
    }
}

/// A fixed float64 tensor for the non-differentiated operands of a check.
func fixed(_ shape: [Int], seed: UInt64 = 99, positive: Bool = false) throws -> Tensor {
    let t = try Tensor.randn(shape, dtype: .float64, generator: Generator(seed: seed))
    return positive ? try t.abs() + 0.5 : t
}
