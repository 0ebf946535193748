import Foundation

/// The built-in zoos. Both share the task rules (so a quick zoo's models are a
/// subset of the kinds the full zoo has) and differ in data sizes, model count and
/// training budgets. docs/ZOO.md explains the choices.
package enum ZooSize: String, Codable, Sendable, CaseIterable {
    /// About half a minute on 2 cores: 6 models, 3 families, 4 source tasks.
    case quick
    /// About 2-3 minutes on 2 cores: 12 models, 3 families, 5 source tasks.
    case full
}

package enum ZooCatalogue {
    package static let imageSize = 16

    package static func plan(_ size: ZooSize) -> ZooPlan {
        let quick = size == .quick
        let train = quick ? 400 : 500
        let test = 50
        var sources = [strokes(train, test), palette(train, test), glyphs(train, test), layouts(train, test)]
        if !quick { sources.append(mixed(train, test)) }
        return ZooPlan(
            size: size.rawValue, imageSize: imageSize, sources: sources,
            target: target(trainPerClass: 20, testPerClass: quick ? 60 : 100),
            models: quick ? quickModels : fullModels)
    }

    // MARK: Tasks

    /// Orientation alone carries the label (8 classes).
    static func strokes(_ train: Int, _ test: Int) -> TaskSpec {
        TaskSpec(
            name: "strokes", summary: "8 stroke orientations; colour, frequency and blob layout are nuisance",
            labelFactors: [.orientation], classCodes: (0..<8).map { [$0] },
            trainPerClass: train, testPerClass: test, identity: 101)
    }

    /// Colour and frequency together carry the label (8 combinations).
    static func palette(_ train: Int, _ test: Int) -> TaskSpec {
        TaskSpec(
            name: "palette", summary: "8 colour-frequency combinations; orientation and blob layout are nuisance",
            labelFactors: [.colour, .frequency], classCodes: TaskSpec.spreadCodes([.colour, .frequency], count: 8, seed: 202),
            trainPerClass: train, testPerClass: test, identity: 202)
    }

    /// Only the task's own glyphs carry the label (10 classes): shared factors are all nuisance.
    static func glyphs(_ train: Int, _ test: Int) -> TaskSpec {
        TaskSpec(
            name: "glyphs", summary: "10 task-specific glyphs; every shared factor is nuisance",
            labelFactors: [], classCodes: Array(repeating: [], count: 10), specificShare: 1, glyphCount: 10,
            trainPerClass: train, testPerClass: test, identity: 303)
    }

    /// Where the dark blobs sit carries the label (8 layouts).
    static func layouts(_ train: Int, _ test: Int) -> TaskSpec {
        TaskSpec(
            name: "layouts", summary: "8 blob layouts; the stroke patch is nuisance",
            labelFactors: [.layout], classCodes: (0..<8).map { [$0] },
            trainPerClass: train, testPerClass: test, identity: 404)
    }

    /// Orientation with layout, and for 30% of the images the task's own glyphs.
    static func mixed(_ train: Int, _ test: Int) -> TaskSpec {
        TaskSpec(
            name: "mixed", summary: "10 orientation-layout combinations, 30% of images labelled by task-specific glyphs instead",
            labelFactors: [.orientation, .layout], classCodes: TaskSpec.spreadCodes([.orientation, .layout], count: 10, seed: 505),
            specificShare: 0.3, glyphCount: 10, trainPerClass: train, testPerClass: test, identity: 505)
    }

    /// The target: orientation and colour together (a combination no source task
    /// labels by), 5 neighbouring orientations x 2 colours, and 15% of the images
    /// labelled by the target's own glyphs, which no model has seen. Fainter strokes
    /// (amplitude 0.6) under more noise (0.06) than in any source task, and 20
    /// labels per class: learning orientation from these alone is hard, so what a
    /// model learned before matters (measured in docs/ZOO.md).
    static func target(trainPerClass: Int, testPerClass: Int) -> TaskSpec {
        let orientations = [0, 1, 2, 3, 4]
        let colours = [1, 4]
        let codes = colours.flatMap { c in orientations.map { [$0, c] } }
        return TaskSpec(
            name: "target", summary: "10 orientation-colour combinations, 15% of images labelled by target-only glyphs",
            labelFactors: [.orientation, .colour], classCodes: codes, specificShare: 0.15, glyphCount: 10,
            sharedAmplitude: 0.6, nuisance: Nuisance(pixelNoise: 0.06),
            trainPerClass: trainPerClass, testPerClass: testPerClass, identity: 909)
    }

    // MARK: Models

    static func mlp(_ name: String, _ hidden: [Int], _ source: String, epochs: Int) -> ZooModelSpec {
        ZooModelSpec(
            name: name, architecture: .mlp(hidden: hidden), source: source,
            training: PretrainingOptions(epochs: epochs, learningRate: 1e-3))
    }

    static func cnn(_ name: String, _ widths: [Int], depth: Int = 1, _ source: String, epochs: Int) -> ZooModelSpec {
        ZooModelSpec(
            name: name, architecture: .cnn(widths: widths, depth: depth), source: source,
            training: PretrainingOptions(epochs: epochs, learningRate: 3e-3))
    }

    static func vit(_ name: String, dim: Int, depth: Int, heads: Int, _ source: String, epochs: Int) -> ZooModelSpec {
        ZooModelSpec(
            name: name, architecture: .attention(patch: 4, dim: dim, depth: depth, heads: heads, mlpRatio: 2), source: source,
            training: PretrainingOptions(epochs: epochs, learningRate: 1.5e-3))
    }

    static let quickModels: [ZooModelSpec] = [
        cnn("cnn-w16-strokes", [16, 32, 32], "strokes", epochs: 8),
        vit("vit-d32-strokes", dim: 32, depth: 1, heads: 2, "strokes", epochs: 12),
        cnn("cnn-w8-palette", [8, 16, 16], "palette", epochs: 6),
        cnn("cnn-w8-glyphs", [8, 16, 16], "glyphs", epochs: 6),
        mlp("mlp-256-layouts", [256, 128], "layouts", epochs: 8),
        mlp("mlp-128-palette", [128, 64], "palette", epochs: 8),
    ]

    static let fullModels: [ZooModelSpec] = [
        mlp("mlp-128-palette", [128, 64], "palette", epochs: 8),
        mlp("mlp-256-layouts", [256, 128], "layouts", epochs: 8),
        mlp("mlp-128-layouts", [128, 64], "layouts", epochs: 3),
        cnn("cnn-w8-strokes", [8, 16, 16], "strokes", epochs: 3),
        cnn("cnn-w16-strokes", [16, 32, 32], "strokes", epochs: 8),
        cnn("cnn-w16d2-layouts", [16, 32], depth: 2, "layouts", epochs: 6),
        cnn("cnn-w8-glyphs", [8, 16, 16], "glyphs", epochs: 6),
        cnn("cnn-w24-palette", [24, 48], "palette", epochs: 6),
        cnn("cnn-w16-mixed", [16, 32, 32], "mixed", epochs: 8),
        vit("vit-d32-strokes", dim: 32, depth: 1, heads: 2, "strokes", epochs: 12),
        vit("vit-d48-mixed", dim: 48, depth: 2, heads: 4, "mixed", epochs: 16),
        vit("vit-d32-glyphs", dim: 32, depth: 1, heads: 2, "glyphs", epochs: 10),
    ]
}
