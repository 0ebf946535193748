import Foundation
import Hub
import Linalg
import Ranking
import Torch
@testable import Tuning

/// A linear model for teacher-method tests: features = x · W ([B, in] → [B, D]),
/// optional source logits = features · H ([B, S]). W and H may require gradient, so a
/// test can check that no gradient ever reaches a teacher.
final class FakeLinearRunner: ModelRunner {
    let name: String
    let weight: Tensor
    let head: Tensor?
    /// When set, `outputs` returns this instead of computing (for broken models).
    var overrideFeatures: Tensor?
    private(set) var calls = 0

    init(name: String, weight: Tensor, head: Tensor? = nil) {
        self.name = name
        self.weight = weight
        self.head = head
    }

    var featureDimension: Int { weight.shape[1] }
    var sourceClasses: Int? { head?.shape[1] }
    func supports(_ needs: OutputNeeds) -> Bool { !needs.contains(.hints) && (!needs.contains(.sourceLogits) || head != nil) }

    func outputs(_ input: ModelInput, needs: OutputNeeds) throws -> ModelOutputs {
        let inputs = try input.floatBatch()
        calls += 1
        let features = try overrideFeatures ?? inputs.matmul(weight)
        let logits = needs.contains(.sourceLogits) ? try head.map { try features.matmul($0) } : nil
        return ModelOutputs(features: features, sourceLogits: logits)
    }
}

/// A small labelled data set and a hub of fake models over it.
struct FakeHubFixture {
    /// [N, inputDimension] float32 inputs, rows in dataset order.
    let inputs: Tensor
    let labels: [Int]
    let classCount: Int
    var models: [String: FakeLinearRunner]
    let hubDirectory: URL?

    /// Inputs = class centre + noise, so linear features carry label information.
    /// The last `noiseDimensions` input columns are pure noise, independent of the
    /// labels: a model reading only them has uninformative features.
    static func make(
        samples: Int = 60, classes: Int = 3, inputDimension: Int = 6, noiseDimensions: Int = 4,
        separation: Double = 2.0, seed: UInt64 = 7
    ) throws -> (inputs: Tensor, labels: [Int]) {
        let g = try Generator(seed: seed)
        let labels = (0..<samples).map { $0 % classes }
        let centres = try Tensor.randn([classes, inputDimension], generator: g) * separation
        let noise = try Tensor.randn([samples, inputDimension], generator: g)
        let informative = try centres.indexSelect(dim: 0, labels) + noise
        let pure = try Tensor.randn([samples, noiseDimensions], generator: g)
        return (try Tensor.cat([informative, pure], dim: 1), labels)
    }

    /// Writes a hub directory whose cards name `names` (model files are empty: the
    /// tests load models through `loadModel`, never from the files).
    static func writeHub(_ names: [String]) throws -> (URL, HubManifest) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubminer-teachers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var cards: [String] = []
        for name in names {
            try Data().write(to: dir.appendingPathComponent("\(name).pt"))
            cards.append("{\"name\": \"\(name)\", \"file\": \"\(name).pt\"}")
        }
        try Data("{\"models\": [\(cards.joined(separator: ","))]}".utf8).write(to: dir.appendingPathComponent("hub.json"))
        let manifest = try HubManifest.load(dir)
        precondition(manifest.entries.count == names.count, "fake hub: \(manifest.problems)")
        return (dir, manifest)
    }

    init(inputs: Tensor, labels: [Int], classCount: Int, models: [FakeLinearRunner], writeHub: Bool = true) throws {
        self.inputs = inputs
        self.labels = labels
        self.classCount = classCount
        self.models = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0) })
        hubDirectory = writeHub ? try Self.writeHub(models.map(\.name)).0 : nil
    }

    func cleanup() { if let hubDirectory { try? FileManager.default.removeItem(at: hubDirectory) } }

    func context(
        method: String, student: String, options: [String: MethodOptions.Value] = [:],
        teacherNames: [String] = [], augmented: Bool = false, withHub: Bool = true
    ) throws -> MethodContext {
        let studentRunner = models[student]!
        let models = self.models
        let inputs = self.inputs
        return MethodContext(
            method: method, student: studentRunner, studentParameters: [("weight", studentRunner.weight)],
            initialParameters: [:], classCount: classCount, options: MethodOptions(options, source: "tune.json"),
            teacherNames: teacherNames, hub: withHub ? try hubDirectory.map { try HubManifest.load($0) } : nil,
            loadModel: { name in
                guard let runner = models[name] else { throw TuningError.model(name: name, message: "not in the test hub") }
                return runner
            },
            trainingOutputs: { runner, needs in try withNoGrad { try runner.outputs(inputs, needs: needs) } },
            trainingLabels: labels, augmented: augmented, configSource: "tune.json")
    }

    /// A step over dataset rows `indices`, the student's features computed with gradient.
    func step(_ indices: [Int], student: FakeLinearRunner, augmented: Bool, logits: Tensor? = nil) throws -> TrainingStep {
        let x = try inputs.indexSelect(dim: 0, indices)
        let features = try student.outputs(x, needs: []).features
        return TrainingStep(
            inputs: x, labels: try Tensor(indices.map { Int64(labels[$0]) }), indices: indices,
            augmented: augmented, student: ModelOutputs(features: features),
            logits: try logits ?? features.slice(dim: 1, start: 0, end: classCount), classCount: classCount)
    }
}

/// Float64 helpers written independently of the code under test.
enum Reference {
    static func softmax(_ v: [Double]) -> [Double] {
        let top = v.max()!
        let e = v.map { Foundation.exp($0 - top) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func matrix(_ t: Tensor) throws -> Matrix { try t.detach().to(.float64).toMatrix() }

    static func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
        precondition(a.rows == b.rows && a.columns == b.columns)
        return zip(a.storage, b.storage).map { Swift.abs($0 - $1) }.max() ?? 0
    }

    static func maxAbs(_ a: Matrix) -> Double { a.storage.map { Swift.abs($0) }.max() ?? 0 }
}

/// Expects `body` to throw a `TuningError` and returns it.
func expectTuningError(_ body: () throws -> Void) -> TuningError? {
    do { try body() } catch let error as TuningError { return error } catch { return nil }
    return nil
}
