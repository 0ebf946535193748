/// The shared latent factors every procedural image is built from. Every task
/// draws every factor for every image; a task's *label factors* take their values
/// from the image's class, the others are random nuisance.
///
/// - `orientation`: the angle of a Gabor "stroke" patch, k·π/8 (8 values).
/// - `frequency`: the patch's spatial frequency (3 values).
/// - `colour`: the patch's hue (6 palette colours).
/// - `layout`: where dark blobs sit (8 configurations of one or two blobs).
///
/// Besides these, a task may own *task-specific* primitives: glyphs (small random
/// binary patterns seeded by the task), which no other task shares.
package enum SceneFactor: String, Codable, Sendable, CaseIterable, Comparable {
    case orientation, frequency, colour, layout

    package var cardinality: Int {
        switch self {
        case .orientation: return 8
        case .frequency: return 3
        case .colour: return 6
        case .layout: return 8
        }
    }

    package static func < (a: SceneFactor, b: SceneFactor) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The factor values of one generated image: what the renderer drew.
package struct SceneLatents: Sendable, Equatable {
    /// One value per `SceneFactor.allCases`, in that order.
    package var shared: [Int]
    /// The task glyph stamped into the image (nil for a task without glyphs).
    package var glyph: Int?
    /// Whether this image's label was carried by the task-specific glyph (its shared
    /// label factors are then random) rather than by the shared label factors.
    package var labelFromGlyph: Bool

    package func value(of factor: SceneFactor) -> Int { shared[SceneFactor.allCases.firstIndex(of: factor)!] }
}
