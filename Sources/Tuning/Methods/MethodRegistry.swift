/// The tuning methods `hubminer tune --method NAME` can run, by name.
package enum MethodRegistry {
    /// Every method, one line each. Registering a method is adding its type here.
    package static let all: [any TuningMethod.Type] = [
        Finetune.self,
        // Tuning with the hub's posterior knowledge (docs/tuning/btuning.md,
        // feature-alignment.md, multikd.md).
        BTuningMethod.self, FeatureAlignmentMethod.self, MultiKDMethod.self,
        // Distillation from one teacher (docs/tuning/distillation.md).
        KDMethod.self, DKDMethod.self, FitNetMethod.self, ATMethod.self, SPMethod.self, RKDMethod.self, PKTMethod.self,
        // Regularisers of fine-tuning (docs/tuning/regularisers.md).
        L2SPMethod.self, DeltaMethod.self, BSSMethod.self, LwFMethod.self, CoTuningMethod.self,
        // The teacher-student methods model mining builds on (docs/tuning/aekd.md,
        // relsim.md, lcc.md, fewdata.md).
        AEKDMethod.self, RelativeSimilarityMethod.self, LCCMethod.self, FewDataMethod.self,
    ]

    package static var names: [String] { all.map { $0.name } }

    /// The method named `name`, or an error listing the known ones. `source` is
    /// the config file or "command line", for the message.
    package static func method(named name: String, source: String = "command line") throws -> any TuningMethod.Type {
        guard let method = all.first(where: { $0.name == name }) else {
            throw TuningError.invalidConfiguration(
                file: source, field: "method",
                message: "unknown method '\(name)' (known methods: \(names.sorted().joined(separator: ", ")))")
        }
        return method
    }
}
