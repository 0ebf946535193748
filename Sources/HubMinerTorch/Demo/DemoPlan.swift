import Foundation
import Zoo

/// The budget of one demo: which zoo, how long each fine-tuning runs, how many
/// seeds the tuning comparison takes. Two sizes: `quick` fits the README's first
/// command (under 2 minutes on 2 cores), `full` is the benchmark table (under 10).
package struct DemoPlan: Sendable, Equatable {
    package var name: String
    package var zoo: ZooPlan
    /// Epochs of every fine-tuning: ground truth, and each tuning method (the same
    /// budget for every method, so the comparison is fair).
    package var groundTruthEpochs: Int
    package var tuningEpochs: Int
    package var batchSize: Int
    package var learningRate: Double
    /// Seeds of the tuning comparison (ground truth uses the first).
    package var seeds: [Int]
    /// Tuning methods compared on the student, in report order; `finetune` is the baseline.
    package var methods: [String]
    /// Teachers for B-Tuning and multi-teacher KD.
    package var teacherCount: Int

    package init(
        name: String, zoo: ZooPlan, groundTruthEpochs: Int, tuningEpochs: Int, batchSize: Int = 32,
        learningRate: Double = 0.01, seeds: [Int], methods: [String] = DemoPlan.defaultMethods, teacherCount: Int = 3
    ) {
        self.name = name
        self.zoo = zoo
        self.groundTruthEpochs = groundTruthEpochs
        self.tuningEpochs = tuningEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.seeds = seeds
        self.methods = methods
        self.teacherCount = teacherCount
    }

    /// Everything that changes the demo's results, as text: a run directory made
    /// for another plan or zoo must not be reused.
    package func fingerprint(zoo zooFingerprint: String) -> String {
        [
            name, zooFingerprint, "\(groundTruthEpochs)", "\(tuningEpochs)", "\(batchSize)", "\(learningRate)",
            seeds.map(String.init).joined(separator: ","), methods.joined(separator: ","), "\(teacherCount)",
            // Ground truth read on the test split once, after selection on validation
            // (runs made before kept the validation accuracy).
            "truth=test-once",
        ].joined(separator: "|")
    }

    package static let defaultMethods = ["finetune", "btuning", "kd", "multikd"]

    package static func builtIn(_ size: ZooSize) -> DemoPlan {
        switch size {
        case .quick:
            return DemoPlan(name: "quick", zoo: ZooCatalogue.plan(.quick), groundTruthEpochs: 30, tuningEpochs: 30, learningRate: 0.01, seeds: [0])
        case .full:
            return DemoPlan(
                name: "full", zoo: ZooCatalogue.plan(.full), groundTruthEpochs: 30, tuningEpochs: 30, learningRate: 0.01, seeds: [0, 1, 2])
        }
    }
}
