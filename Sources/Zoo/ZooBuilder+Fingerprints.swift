import FeatureIO
import Foundation
import Support

/// What decides whether cached work is still valid: SHA-256 of the versions, the
/// seed and the relevant part of the plan, as sorted-key JSON.
extension ZooBuilder {
    static func modelSeed(_ name: String, seed: UInt64) -> UInt64 {
        var rng = ZooRandom(seed: seed, stream: stableHash("model:" + name))
        return rng.next() >> 1
    }

    static func sha256JSON<T: Encodable>(_ value: T) throws -> String {
        SHA256.hex(try ZooJSON.encode(value))
    }

    struct PlanKey: Encodable { let generator: Int; let builder: Int; let seed: UInt64; let plan: ZooPlan }
    struct ModelKey: Encodable {
        let generator: Int; let builder: Int; let seed: UInt64; let imageSize: Int; let model: ZooModelSpec; let source: TaskSpec
    }
    struct TaskKey: Encodable { let generator: Int; let seed: UInt64; let imageSize: Int; let task: TaskSpec }

    static func planFingerprint(_ plan: ZooPlan, seed: UInt64) throws -> String {
        try sha256JSON(PlanKey(generator: ZooVersion.generator, builder: ZooVersion.builder, seed: seed, plan: plan))
    }

    static func modelFingerprint(_ model: ZooModelSpec, plan: ZooPlan, seed: UInt64) throws -> String {
        try sha256JSON(
            ModelKey(
                generator: ZooVersion.generator, builder: ZooVersion.builder, seed: seed, imageSize: plan.imageSize,
                model: model, source: plan.source(named: model.source)!))
    }

    static func taskFingerprint(_ task: TaskSpec, imageSize: Int, seed: UInt64) throws -> String {
        try sha256JSON(TaskKey(generator: ZooVersion.generator, seed: seed, imageSize: imageSize, task: task))
    }
}
