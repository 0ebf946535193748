import Foundation

/// Nuisance variation: what changes between images of one class without carrying
/// the label.
package struct Nuisance: Codable, Sendable, Equatable {
    /// Largest shift of the whole scene, in pixels (uniform in ±translation).
    package var translation: Double
    /// Global contrast factor range around mid-grey.
    package var contrast: ClosedRange<Double>
    /// Background grey level range.
    package var background: ClosedRange<Double>
    /// Standard deviation of the additive per-pixel Gaussian noise (0...1 scale).
    package var pixelNoise: Double

    package init(
        translation: Double = 2, contrast: ClosedRange<Double> = 0.7...1.2,
        background: ClosedRange<Double> = 0.35...0.65, pixelNoise: Double = 0.04
    ) {
        self.translation = translation
        self.contrast = contrast
        self.background = background
        self.pixelNoise = pixelNoise
    }
}

/// A procedural classification task: which factors carry the label, how much of it
/// the task's own glyphs carry instead, the nuisance, and the split sizes.
///
/// Labels: class `c` has the code `classCodes[c]`, one value per label factor. An
/// image of class `c` either shows that code in its shared label factors (its glyph,
/// if any, is then random), or, with probability `specificShare`, shows the class's
/// own glyph with the shared label factors random. So `specificShare` is the part of
/// the label that only task-specific primitives carry: 0 = all shared, 1 = none.
package struct TaskSpec: Codable, Sendable, Equatable {
    package var name: String
    /// One line for model cards and docs.
    package var summary: String
    package var labelFactors: [SceneFactor]
    /// Per class, the values of `labelFactors` (distinct tuples).
    package var classCodes: [[Int]]
    package var specificShare: Double
    /// How many glyphs the task owns (0: none). With `specificShare > 0` there must
    /// be one per class at least.
    package var glyphCount: Int
    /// Amplitude of the shared layers (stroke patch, blobs) and of the glyphs.
    package var sharedAmplitude: Double
    package var specificAmplitude: Double
    package var nuisance: Nuisance
    package var trainPerClass: Int
    package var testPerClass: Int
    /// Seeds the task's glyph templates; images are seeded by the generator's seed.
    package var identity: UInt64

    package var classCount: Int { classCodes.count }

    package init(
        name: String, summary: String, labelFactors: [SceneFactor], classCodes: [[Int]], specificShare: Double = 0,
        glyphCount: Int = 0, sharedAmplitude: Double = 1, specificAmplitude: Double = 1, nuisance: Nuisance = Nuisance(),
        trainPerClass: Int, testPerClass: Int, identity: UInt64
    ) {
        self.name = name
        self.summary = summary
        self.labelFactors = labelFactors
        self.classCodes = classCodes
        self.specificShare = specificShare
        self.glyphCount = glyphCount
        self.sharedAmplitude = sharedAmplitude
        self.specificAmplitude = specificAmplitude
        self.nuisance = nuisance
        self.trainPerClass = trainPerClass
        self.testPerClass = testPerClass
        self.identity = identity
    }

    /// The first problem with the spec, naming the field; nil when usable.
    package func validationProblem() -> String? {
        if name.isEmpty || name.contains("/") { return "task '\(name)': field 'name': not usable as a folder name" }
        if classCodes.count < 2 { return "task '\(name)': field 'class_codes': at least 2 classes are needed, got \(classCodes.count)" }
        if Set(labelFactors).count != labelFactors.count { return "task '\(name)': field 'label_factors': a factor is listed twice" }
        for (c, code) in classCodes.enumerated() {
            guard code.count == labelFactors.count else {
                return "task '\(name)': field 'class_codes[\(c)]': \(code.count) values for \(labelFactors.count) label factors"
            }
            for (f, v) in zip(labelFactors, code) where !(0..<f.cardinality).contains(v) {
                return "task '\(name)': field 'class_codes[\(c)]': \(f.rawValue) value \(v) outside 0..<\(f.cardinality)"
            }
        }
        if Set(classCodes).count != classCodes.count && specificShare < 1 {
            return "task '\(name)': field 'class_codes': two classes share a code, so the shared factors cannot tell them apart"
        }
        if !(0...1).contains(specificShare) { return "task '\(name)': field 'specific_share': \(specificShare) outside 0...1" }
        if labelFactors.isEmpty && specificShare < 1 {
            return "task '\(name)': field 'label_factors': empty, so specific_share must be 1 (the glyphs carry the label)"
        }
        if specificShare > 0 && glyphCount < classCount {
            return "task '\(name)': field 'glyph_count': \(glyphCount) glyphs for \(classCount) classes (specific_share > 0 needs one per class)"
        }
        if trainPerClass < 1 || testPerClass < 1 {
            return "task '\(name)': fields 'train_per_class', 'test_per_class': must be at least 1"
        }
        return nil
    }

    /// Distinct class codes that spread the classes evenly over the label factors'
    /// values (each value of a factor used by as many classes as another, give or take
    /// one). From the value tuples in a seeded order, each pick is a tuple whose values
    /// have been used least (fewest at the highest use, then fewest in all); a greedy
    /// pass can still end unbalanced, so up to 64 seeded orders are tried and the
    /// first balanced result kept. `count` is capped at the number of tuples.
    package static func spreadCodes(_ factors: [SceneFactor], count: Int, seed: UInt64) -> [[Int]] {
        var product: [[Int]] = [[]]
        for f in factors { product = product.flatMap { t in (0..<f.cardinality).map { t + [$0] } } }
        var fallback = [[Int]]()
        for attempt in 0..<64 {
            var tuples = product
            var rng = ZooRandom(seed: seed, stream: stableHash("codes"), index: UInt64(attempt))
            rng.shuffle(&tuples)
            var usage = factors.map { [Int](repeating: 0, count: $0.cardinality) }
            var codes = [[Int]]()
            for _ in 0..<min(count, tuples.count) {
                func cost(_ t: [Int]) -> (Int, Int) {
                    let uses = t.enumerated().map { usage[$0.offset][$0.element] }
                    return (uses.max() ?? 0, uses.reduce(0, +))
                }
                let pick = tuples.indices.min { cost(tuples[$0]) < cost(tuples[$1]) }!
                let code = tuples.remove(at: pick)
                for (k, v) in code.enumerated() { usage[k][v] += 1 }
                codes.append(code)
            }
            if usage.allSatisfy({ ($0.max() ?? 0) - ($0.min() ?? 0) <= 1 }) { return codes }
            if attempt == 0 { fallback = codes }
        }
        return fallback
    }

    enum CodingKeys: String, CodingKey {
        case name, summary, labelFactors = "label_factors", classCodes = "class_codes", specificShare = "specific_share"
        case glyphCount = "glyph_count", sharedAmplitude = "shared_amplitude", specificAmplitude = "specific_amplitude"
        case nuisance, trainPerClass = "train_per_class", testPerClass = "test_per_class", identity
    }
}
