import Foundation
import Testing
@testable import Torch

// Models saved by the pinned PyTorch (scripts/fixtures/make_modern_torch_fixtures.py):
// attention models (aten::scaled_dot_product_attention), a ResNet, a text encoder and
// an AOTInductor package, each compared with PyTorch's own outputs on the same input.

private func modernFixture(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/modern") else {
        throw TorchError.invalidArgument(operation: "fixture", message: "missing fixture modern/\(name)")
    }
    return url.path
}

private func expected() throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: modernFixture("expected.json")))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw TorchError.invalidArgument(operation: "fixture", message: "expected.json is not a JSON object")
    }
    return object
}

/// A recorded tensor ({"shape": [...], "values": [...]}) as float32 or int64.
private func tensor(_ record: Any?, dtype: DType = .float32) throws -> Tensor {
    guard let r = record as? [String: Any], let shape = r["shape"] as? [Int], let values = r["values"] as? [Double] else {
        throw TorchError.invalidArgument(operation: "fixture", message: "bad tensor record")
    }
    let t = try Tensor(values, shape: shape)
    return dtype == .float64 ? t : try t.to(dtype)
}

/// max |a - b| / max(|b|) over the tensor: the relative error the issue bounds by 1e-5.
private func relativeError(_ a: Tensor, _ b: Tensor) throws -> Double {
    let x = try a.to(.float64).toArray(of: Double.self), y = try b.to(.float64).toArray(of: Double.self)
    #expect(x.count == y.count)
    let scale = Swift.max(y.map { Swift.abs($0) }.max() ?? 0, 1e-30)
    return zip(x, y).map { Swift.abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
}

extension TorchTests {
    @Suite struct ModernModels {
        @Test(
            "TorchScript from the pinned PyTorch matches it",
            arguments: [
                "vit_tv_scripted.pt", "vit_timm_traced.pt", "vit_timm_scripted.pt", "resnet_timm_scripted.pt",
                "text_encoder_traced.pt",
            ])
        func scriptModelMatchesPyTorch(name: String) throws {
            let all = try expected()
            let entry = try #require(all[name] as? [String: Any])
            let inputType: DType = (entry["input_dtype"] as? String) == "int64" ? .int64 : .float32
            let inputs = try #require(all["inputs"] as? [String: Any])
            let input = try tensor(inputs[try #require(entry["input"] as? String)], dtype: inputType)
            let reference = try tensor(entry["output"])
            let model = try ScriptModule(contentsOf: modernFixture(name))
            try model.eval()
            let output = try withNoGrad { try model.forward(input) }
            #expect(output.shape == reference.shape)
            let error = try relativeError(output, reference)
            #expect(error <= 1e-5, "\(name): relative error \(error)")
        }

        @Test func aotInductorPackageMatchesPyTorch() throws {
            let all = try expected()
            let entry = try #require(all["tiny_cnn.pt2"] as? [String: Any])
            let package = try AOTIPackage(contentsOf: modernFixture("tiny_cnn.pt2"))
            let input = try tensor((all["inputs"] as? [String: Any])?["small_image"])
            let outputs = try package.run([input])
            #expect(outputs.count == 2)
            #expect(try relativeError(outputs[0], tensor(entry["output"])) <= 1e-5)
            #expect(try relativeError(outputs[1], tensor(entry["logits"])) <= 1e-5)
            // The batch dimension was exported as dynamic: one image runs too, and gives
            // the first image's features.
            let one = try package.run([input.narrow(dim: 0, start: 0, length: 1)])
            #expect(try relativeError(one[0], outputs[0].narrow(dim: 0, start: 0, length: 1)) <= 1e-5)
        }

        @Test func torchExportPackageAsTorchScriptSaysWhatItIs() throws {
            do {
                _ = try ScriptModule(contentsOf: modernFixture("tiny_cnn.pt2"))
                Issue.record("a .pt2 package loaded as TorchScript")
            } catch let error as TorchError {
                let text = error.description
                #expect(text.contains("tiny_cnn.pt2"))
                #expect(text.contains("AOTInductor"))
                #expect(!text.contains("\n"))
            }
        }

        @Test func missingOperatorIsOneLineNamingIt() throws {
            let error = ModelFileErrors.translate(
                path: "m.pt", kind: "TorchScript model",
                message: "\nUnknown builtin op: aten::frobnicate.\nHere are some suggestions: ...\n  File \"code/x.py\"")
            #expect(error.description.hasPrefix("m.pt: TorchScript model uses operator aten::frobnicate"))
            #expect(error.description.contains("re-export it with PyTorch \(TorchRuntime.version)"))
            #expect(!error.description.contains("\n"))
        }

        @Test func newerFileFormatIsOneLine() throws {
            let error = ModelFileErrors.translate(
                path: "m.pt", kind: "TorchScript model",
                message:
                    "Attempted to read a PyTorch file with version 99, but the maximum supported version for reading is 10. Your PyTorch installation may be too old."
            )
            #expect(error.description.contains("saved by a newer PyTorch (file format version 99)"))
        }

        @Test func torchSaveFileIsNotTorchScript() throws {
            // torch.save'd state dicts and torch.export's .pt2 archives lack constants.pkl.
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("modern-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("weights.pt").path
            try TensorList.save([Tensor.ones([2])], to: path)
            #expect(throws: TorchError.self) { _ = try ScriptModule(contentsOf: path) }
        }
    }

    @Suite struct Attention {
        /// softmax(Q Kᵀ · scale + mask) V written out with matmul and softmax.
        func manual(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor? = nil, scale: Double? = nil) throws -> Tensor {
            let d = Double(q.shape.last!)
            var scores = try q.matmul(k.transpose(-2, -1)) * (scale ?? 1 / d.squareRoot())
            if let mask { scores = try scores.maskedFill(mask.logicalNot(), value: -.infinity) }
            return try scores.softmax(dim: -1).matmul(v)
        }

        @Test func matchesManualSoftmaxAttention() throws {
            let g = try Generator(seed: 5)
            let q = try Tensor.randn([2, 3, 4, 8], dtype: .float64, generator: g)
            let k = try Tensor.randn([2, 3, 6, 8], dtype: .float64, generator: g)
            let v = try Tensor.randn([2, 3, 6, 5], dtype: .float64, generator: g)
            let y = try Functional.scaledDotProductAttention(query: q, key: k, value: v)
            #expect(y.shape == [2, 3, 4, 5])
            #expect(try relativeError(y, manual(q, k, v)) <= 1e-12)
            let scaled = try Functional.scaledDotProductAttention(query: q, key: k, value: v, scale: 0.25)
            #expect(try relativeError(scaled, manual(q, k, v, scale: 0.25)) <= 1e-12)
            // Causal on square scores: query i sees keys 0...i.
            let k4 = try k.narrow(dim: 2, start: 0, length: 4), v4 = try v.narrow(dim: 2, start: 0, length: 4)
            let lower = try Tensor((0..<16).map { $0 % 4 <= $0 / 4 ? 1.0 : 0.0 }, shape: [4, 4]).gt(0.5)
            let causal = try Functional.scaledDotProductAttention(query: q, key: k4, value: v4, isCausal: true)
            #expect(try relativeError(causal, manual(q, k4, v4, mask: lower)) <= 1e-12)
        }

        @Test func matchesPyTorch() throws {
            let s = try #require(try expected()["sdpa"] as? [String: Any])
            let q = try tensor(s["q"]), k = try tensor(s["k"]), v = try tensor(s["v"])
            let plain = try Functional.scaledDotProductAttention(query: q, key: k, value: v)
            #expect(try relativeError(plain, tensor(s["plain"])) <= 1e-5)
            let mask = try tensor(s["mask"]).gt(0.5)
            let masked = try Functional.scaledDotProductAttention(query: q, key: k, value: v, mask: mask)
            #expect(try relativeError(masked, tensor(s["masked"])) <= 1e-5)
            let scaled = try Functional.scaledDotProductAttention(query: q, key: k, value: v, scale: 0.3)
            #expect(try relativeError(scaled, tensor(s["scaled"])) <= 1e-5)
            let causal = try Functional.scaledDotProductAttention(
                query: tensor(s["q6"]), key: tensor(s["k6"]), value: tensor(s["v6"]), isCausal: true)
            #expect(try relativeError(causal, tensor(s["causal"])) <= 1e-5)
        }

        @Test func gradientMatchesFiniteDifferences() throws {
            let k = try fixed([1, 2, 5, 3], seed: 3), v = try fixed([1, 2, 5, 4], seed: 4)
            try gradCheck([1, 2, 3, 3]) { q in try Functional.scaledDotProductAttention(query: q, key: k, value: v) }
        }

        @Test func mismatchedShapesAreAnError() throws {
            let q = try Tensor.zeros([2, 4, 8]), k = try Tensor.zeros([2, 6, 7]), v = try Tensor.zeros([2, 6, 5])
            #expect(throws: TorchError.self) { _ = try Functional.scaledDotProductAttention(query: q, key: k, value: v) }
        }
    }

    @Suite struct Devices {
        @Test func cpuRoundTripAndChoices() throws {
            let x = try Tensor([1.0, 2, 3])
            #expect(x.device == .cpu)
            #expect(try x.to(.cpu).equals(x))
            #expect(try DeviceChoice.cpu.resolve() == .cpu)
            // auto takes a GPU exactly when one is usable.
            #expect(try DeviceChoice.auto.resolve() == (Device.cudaDeviceCount > 0 ? .cuda(0) : .cpu))
        }

        @Test func cudaWithoutGPUSaysWhatIsMissing() throws {
            guard Device.cudaDeviceCount == 0 else { return } // a GPU machine: covered by the CUDA checks
            do {
                _ = try DeviceChoice.cuda.resolve()
                Issue.record("cuda resolved without a GPU")
            } catch let error as TorchError {
                guard case .deviceUnavailable(let device, let message) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(device == "cuda")
                #expect(message.hasPrefix("no CUDA libtorch") || message.hasPrefix("no GPU"))
                #expect(message.contains("--device cpu"))
                #expect(!error.description.contains("\n"))
            }
            #expect(throws: TorchError.self) { _ = try Tensor([1.0]).to(.cuda(0)) }
            let module = try ScriptModule(name: "M")
            #expect(throws: TorchError.self) { try module.to(.cuda(0)) }
        }
    }
}
