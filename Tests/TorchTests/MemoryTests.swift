import Foundation
import Testing
@testable import Torch

// Resident memory must stay flat over long loops: every handle is freed when its
// Swift wrapper dies, and nothing accumulates in libtorch (autograd graphs are
// released with their outputs). Each loop runs a warm-up first so allocator
// caches and lazily initialised state are already resident when measuring.
extension TorchTests {
    @Suite struct Memory {
        @Test func hundredThousandSmallOpsKeepResidentMemoryFlat() throws {
            let a = try Tensor.ones([16])
            let w = try Tensor.ones([16]).requiresGrad(true)
            // Temporaries die right after their last use: `Tensor.ones([16])` below
            // may be released by Swift before `relu` returns, which is exactly what
            // the binding's ownership rule (`withHandle`) has to survive.
            func burst(_ n: Int) throws -> Double {
                var total = 0.0
                for i in 0..<n {
                    switch i % 4 {
                    case 0: total += try Tensor.ones([16]).relu().count > 0 ? 1 : 0
                    case 1: _ = try a + Double(i)
                    case 2: _ = try (a * w) // records a (tiny) autograd graph
                    default: _ = try a[.range(0..<8)]
                    }
                }
                return total
            }
            _ = try burst(20_000)
            // The resident size is the whole process's, and other suites run beside this
            // one (a new thread's stack or heap arena is 2 MiB at once). A leak grows in
            // every round; a neighbour's allocation lands in one: the smallest of three
            // rounds' growth is this loop's.
            var growth = [Int]()
            for _ in 0..<3 {
                let before = residentKiB()
                let counted = try burst(100_000)
                growth.append(residentKiB() - before)
                #expect(counted == 25_000)
            }
            #expect(growth.min()! < 2048, "resident memory grew by \(growth) KiB in three rounds of 100k ops")
        }

        @Test func thousandTrainingStepsKeepResidentMemoryFlat() throws {
            let g = try Generator(seed: 3)
            let w1 = try Tensor.randn([64, 32], generator: g).mul_(0.1).requiresGrad(true)
            let b1 = try Tensor.zeros([64]).requiresGrad(true)
            let w2 = try Tensor.randn([10, 64], generator: g).mul_(0.1).requiresGrad(true)
            let b2 = try Tensor.zeros([10]).requiresGrad(true)
            let optimizer = try Adam([w1, b1, w2, b2], options: .init(learningRate: 1e-3))
            let x = try Tensor.randn([16, 32], generator: g)
            let y = try Tensor.randint(0..<10, shape: [16], generator: g)
            func train(_ steps: Int) throws -> Double {
                var last = 0.0
                for _ in 0..<steps {
                    try optimizer.zeroGrad()
                    let hidden = try Functional.linear(x, weight: w1, bias: b1).relu()
                    let loss = try Loss.crossEntropy(Functional.linear(hidden, weight: w2, bias: b2), y)
                    try loss.backward()
                    try optimizer.step()
                    last = try loss.item()
                }
                return last
            }
            let first = try train(200)
            // Smallest growth of three rounds, for the reason given above.
            var growth = [Int]()
            var last = first
            for _ in 0..<3 {
                let before = residentKiB()
                last = try train(1_000)
                growth.append(residentKiB() - before)
            }
            #expect(last < first)
            #expect(growth.min()! < 2048, "resident memory grew by \(growth) KiB in three rounds of 1k training steps")
        }
    }
}
