import Foundation
import Testing
@testable import Torch

/// A two-layer network built from TorchScript source: a parent with a `hidden`
/// linear layer and a `head` child module, plus extra methods.
func makeScriptNet(seed: UInt64 = 1) throws -> ScriptModule {
    let g = try Generator(seed: seed)
    let head = try ScriptModule(name: "Head")
    try head.registerParameter("weight", Tensor.randn([2, 4], generator: g))
    try head.registerParameter("bias", Tensor.zeros([2]))
    try head.define(
        """
        def forward(self, x):
            return torch.linear(x, self.weight, self.bias)
        """)
    let net = try ScriptModule(name: "Net")
    try net.registerParameter("weight", Tensor.randn([4, 3], generator: g))
    try net.registerParameter("bias", Tensor.randn([4], generator: g))
    try net.registerParameter("calls", Tensor.zeros([1]), isBuffer: true)
    try net.registerModule("head", head)
    try net.define(
        """
        def features(self, x):
            return torch.relu(torch.linear(x, self.weight, self.bias))

        def forward(self, x):
            return self.head.forward(self.features(x))

        def scaled(self, x, factor: float, offset: int):
            return x * factor + offset

        def both(self, x):
            return (self.features(x), self.forward(x))

        def named(self, x):
            return {"logits": self.forward(x)}

        def mode(self) -> bool:
            return self.training
        """)
    return net
}

extension TorchTests {
    @Suite struct ScriptModules {
        let input: Tensor

        init() throws {
            input = try Tensor.randn([5, 3], generator: Generator(seed: 11))
        }

        @Test func definedModuleRunsMethods() throws {
            let net = try makeScriptNet()
            let y = try net.forward(input)
            #expect(y.shape == [5, 2])
            #expect(try net(input).equals(y))
            #expect(Set(net.methodNames).isSuperset(of: ["forward", "features", "scaled", "both", "named", "mode"]))
            #expect(net.hasMethod("features"))
            let scaled = try net.run(method: "scaled", [.tensor(input), .double(2), .int(1)]).tensor()
            #expect(try scaled.equals(input * 2 + 1))
            let both = try net.run(method: "both", [.tensor(input)]).elements()
            #expect(both.count == 2)
            #expect(try both[0].tensor().shape == [5, 4])
            guard case .dict(let entries) = try net.run(method: "named", [.tensor(input)]) else {
                Issue.record("expected a dict")
                return
            }
            #expect(entries.map(\.key) == ["logits"])
            // The same result computed by hand from the parameters.
            let params = Dictionary(uniqueKeysWithValues: try net.namedParameters().map { ($0.name, $0.tensor) })
            #expect(params.keys.sorted() == ["bias", "head.bias", "head.weight", "weight"])
            let hidden = try input.matmul(params["weight"]!.t()).add_(params["bias"]!).relu()
            let manual = try Functional.linear(hidden, weight: params["head.weight"]!, bias: params["head.bias"]!)
            #expect(try manual.isClose(to: y, rtol: 1e-6, atol: 1e-6))
        }

        @Test func submodulesByPath() throws {
            let net = try makeScriptNet()
            #expect(net.childNames == ["head"])
            #expect(net.submodulePaths == ["head"])
            let head = try net.submodule("head")
            #expect(head.typeName.hasSuffix("Head"))
            let features = try net.run(method: "features", [.tensor(input)]).tensor()
            #expect(try head.forward(features).equals(net.forward(input)))
            #expect(try head.namedParameters().map(\.name) == ["weight", "bias"])
            // Submodules share parameters with their parent.
            try withNoGrad { try head.parameters()[1].fill_(1) }
            #expect(try net.namedParameters().first { $0.name == "head.bias" }?.tensor.toArray(of: Float.self) == [1, 1])
            #expect(try net.submodule("").typeName == net.typeName)
            let error = #expect(throws: TorchError.self) { try net.submodule("head.missing") }
            #expect(error?.description.contains("missing") == true)
        }

        @Test func buffersModesAndFreezing() throws {
            let net = try makeScriptNet()
            #expect(try net.namedBuffers().map(\.name) == ["calls"])
            #expect(try net.namedParameters(recurse: false).map(\.name) == ["weight", "bias"])
            #expect(net.isTraining)
            #expect(try net.run(method: "mode").isTrue)
            try net.eval()
            #expect(!net.isTraining)
            #expect(try net.submodule("head").isTraining == false)
            #expect(try net.run(method: "mode").isTrue == false)
            let frozen = try net.frozen()
            #expect(try frozen.forward(input).isClose(to: net.forward(input)))
            #expect(try frozen.parameters().isEmpty)
            try net.setRequiresGrad(false)
            #expect(try net.parameters().allSatisfy { !$0.requiresGrad })
        }

        @Test func replacingAParameter() throws {
            let net = try makeScriptNet()
            let head = try net.submodule("head")
            // A new 3-class head: the parameter takes the new tensor, shape and all.
            try head.setAttribute("weight", Tensor.zeros([3, 4]))
            try head.setAttribute("bias", Tensor([1, 2, 3] as [Float]))
            #expect(try net.forward(input).toArray(of: Float.self) == [Float](repeating: 0, count: 5).flatMap { _ in [1, 2, 3] })
            #expect(try net.namedParameters().first { $0.name == "head.weight" }?.tensor.shape == [3, 4])
            #expect(throws: TorchError.self) { try head.setAttribute("nonexistent", Tensor.zeros([1])) }
        }

        @Test func saveLoadRoundTrip() throws {
            let net = try makeScriptNet()
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("net-\(UUID().uuidString).pt").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try net.save(to: path)
            let loaded = try ScriptModule(contentsOf: path)
            #expect(try loaded.forward(input).equals(net.forward(input)))
            #expect(try loaded.namedParameters().map(\.name) == net.namedParameters().map(\.name))
            for (a, b) in zip(try loaded.namedParameters(), try net.namedParameters()) {
                #expect(try a.tensor.equals(b.tensor))
            }
            #expect(try loaded.submodule("head").forward(Tensor.ones([1, 4])).shape == [1, 2])
            let copy = try loaded.clone()
            try withNoGrad { try copy.parameters()[0].fill_(0) }
            #expect(try !loaded.parameters()[0].equals(copy.parameters()[0]))
            try copy.to(.float64)
            #expect(try copy.parameters().allSatisfy { $0.dtype == .float64 })
        }

        @Test func trainingThroughAScriptModule() throws {
            let net = try makeScriptNet()
            let params = try net.parameters()
            for p in params { try p.requiresGrad(true) }
            let optimizer = try Adam(params, options: .init(learningRate: 0.05))
            let targets = try Tensor([0, 1, 0, 1, 1] as [Int64])
            var losses = [Double]()
            for _ in 0..<30 {
                try optimizer.zeroGrad()
                let loss = try Loss.crossEntropy(net.forward(input), targets)
                try loss.backward()
                try optimizer.step()
                losses.append(try loss.item())
            }
            #expect(losses.last! < losses.first! * 0.5)
        }

        @Test func errorsAreReadable() throws {
            let net = try makeScriptNet()
            let missing = #expect(throws: TorchError.self) { try net.run(method: "nope", []) }
            #expect(missing == .missingMethod(module: net.typeName, method: "nope"))
            let wrongShape = #expect(throws: TorchError.self) { try net.forward(Tensor.ones([2, 7])) }
            #expect(wrongShape?.description.contains("shapes cannot be multiplied") == true)
            let wrongType = #expect(throws: TorchError.self) { try net.run(method: "scaled", [.tensor(input), .string("x"), .int(1)]) }
            #expect(wrongType?.description.contains("factor") == true)
            let badSource = #expect(throws: TorchError.self) { try net.define("def broken(self, x):\n    return x +\n") }
            #expect(badSource.map { !$0.description.isEmpty } == true)
            let unknown = #expect(throws: TorchError.self) { try ScriptModule(contentsOf: "/nonexistent/model.pt") }
            #expect(unknown?.description.contains("model.pt") == true)
            let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).pt").path
            defer { try? FileManager.default.removeItem(atPath: corrupt) }
            try Data("this is not a TorchScript archive".utf8).write(to: URL(fileURLWithPath: corrupt))
            let bad = #expect(throws: TorchError.self) { try ScriptModule(contentsOf: corrupt) }
            #expect(bad.map { $0.description.count > 10 } == true)
            #expect(throws: TorchError.self) { try TensorList.load(from: corrupt) }
        }
    }
}

extension ScriptValue {
    var isTrue: Bool {
        if case .bool(true) = self { return true }
        return false
    }
}
