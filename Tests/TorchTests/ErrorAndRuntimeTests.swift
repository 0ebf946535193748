import Foundation
import Linalg
import Testing
@testable import Torch

extension TorchTests {
    @Suite struct ErrorPaths {
        @Test func shapeMismatchesThrowReadableErrors() throws {
            let a = try Tensor.ones([2, 3])
            let e1 = #expect(throws: TorchError.self) { try a + Tensor.ones([4]) }
            #expect(e1?.description.contains("size of tensor a (3) must match the size of tensor b (4)") == true)
            let e2 = #expect(throws: TorchError.self) { try a.reshape([4, 2]) }
            #expect(e2?.description.contains("invalid for input of size 6") == true)
            let e3 = #expect(throws: TorchError.self) { try Functional.linear(a, weight: Tensor.ones([5, 4])) }
            #expect(e3?.description.hasPrefix("linear:") == true)
            #expect(throws: TorchError.self) { try Functional.conv2d(a, weight: Tensor.ones([1, 1, 3, 3])) }
            #expect(throws: TorchError.self) { try Loss.mse(a, Tensor.ones([3, 2])).item() }
            #expect(throws: TorchError.self) { try a.softmax(dim: 5) }
            #expect(throws: TorchError.self) { try a.select(dim: 0, index: 7) }
            #expect(throws: TorchError.self) { try a.permute([0]) }
        }

        @Test func dtypeErrors() throws {
            let logits = try Tensor.randn([2, 3])
            let e = #expect(throws: TorchError.self) { try Loss.crossEntropy(logits, Tensor([0.5, 1.5] as [Float])) }
            #expect(e.map { !$0.description.isEmpty } == true)
            let ints = try Tensor([1, 2] as [Int64])
            let g = #expect(throws: TorchError.self) { try ints.requiresGrad(true) }
            #expect(g?.description.contains("floating point") == true)
            #expect(throws: TorchError.self) { try Tensor([1.0, 2.0]).matmul(Tensor([1, 2] as [Int64])) }
            #expect(throws: TorchError.self) { try Tensor.ones([2]).item() }
        }

        @Test func autogradMisuse() throws {
            let x = try Tensor.ones([2]).requiresGrad(true)
            let e = #expect(throws: TorchError.self) { try (x * 2).backward() }
            #expect(e?.description.contains("scalar outputs") == true)
            #expect(throws: TorchError.self) { try x.add_(1) }
            #expect(throws: TorchError.self) { try Tensor.ones([1]).backward() }
        }

        @Test func invalidArguments() throws {
            #expect(throws: TorchError.self) { try Functional.dropout(Tensor.ones([2]), p: 2, training: true) }
            #expect(throws: TorchError.self) { try Tensor.ones([3])[.range(0..<3, step: 0)] }
            #expect(throws: TorchError.self) { try Tensor.zeros([-1]) }
            #expect(throws: TorchError.self) { try TensorList.save([Tensor.ones([1])], to: "/nonexistent/dir/file.pt") }
        }

        @Test func errorsOnOneThreadDoNotLeakToAnother() async throws {
            // The shim's message is thread-local and copied at once, so concurrent
            // failures each report their own message.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for size in 2..<10 {
                    group.addTask {
                        do {
                            _ = try Tensor.ones([size]) + Tensor.ones([size + 1])
                            return false
                        } catch let error as TorchError {
                            return error.description.contains("(\(size)) must match the size of tensor b (\(size + 1))")
                        }
                    }
                }
                for try await ok in group { #expect(ok) }
            }
        }
    }

    @Suite struct Runtime {
        @Test func versionAndBuildInformation() {
            #expect(TorchRuntime.version.hasPrefix("2.11"))
            #expect(TorchRuntime.buildConfiguration.contains("PyTorch built with"))
            #expect(TorchRuntime.parallelInfo.contains("ATen/Parallel"))
        }

        @Test func libtorchAndLinalgShareOneOpenBLAS() throws {
            // The OPENBLAS_CORETYPE fix (BLASRuntime) reaches libtorch only if both
            // use the same library instance: exactly one libopenblas is mapped.
            _ = try Tensor.ones([64, 64]).matmul(Tensor.ones([64, 64]))

            _ = BLASRuntime.coreName
            // /proc files report size 0; read them to the end rather than by size.
            let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data()
            let maps = String(decoding: data, as: UTF8.self)
            let libraries = Set(
                maps.split(separator: "\n").compactMap { line -> String? in
                    guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init),
                        path.hasPrefix("/")
                    else { return nil }
                    return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
                })
            #expect(libraries.contains { $0.contains("libtorch_cpu.so") })
            #expect(libraries.filter { $0.contains("libopenblas") }.count == 1, "\(libraries.filter { $0.contains("blas") })")
        }

        @Test func allocatorTuningIsAcceptedByGlibc() {
            #expect(TorchRuntime.tuneAllocatorForTraining())
        }

        @Test func threadCountControl() {
            // The default (the logical core count, on every thread) is checked in a
            // fresh process by the CLI test of `hubminer-torch info`: inside this
            // shared test process, extraction and zoo workers change the count.
            TorchRuntime.threadSettingLock.lock()
            defer { TorchRuntime.threadSettingLock.unlock() }
            let before = TorchRuntime.threadCount
            defer { TorchRuntime.threadCount = before }
            TorchRuntime.threadCount = 1
            #expect(TorchRuntime.threadCount == 1)
            TorchRuntime.threadCount = 2
            #expect(TorchRuntime.threadCount == 2)
            #expect(TorchRuntime.interopThreadCount >= 1)
        }
    }
}

/// Carries a value out of a `Thread` closure.
final class ThreadCountBox: @unchecked Sendable {
    // Guarded by `lock`; @unchecked because NSLock-protected state is not checkable.
    private var stored: Int?
    private let lock = NSLock()
    func set(_ v: Int) { lock.lock(); stored = v; lock.unlock() }
    var value: Int? { lock.lock(); defer { lock.unlock() }; return stored }
}
