import Foundation

/// One split of a generated task: 8-bit images (N x 3 x S x S, channels first),
/// labels and the latent factors each image was drawn from.
package struct GeneratedSplit: Sendable {
    package var images: [UInt8]
    package var labels: [Int]
    package var latents: [SceneLatents]
    package var imageSize: Int
    package var count: Int { labels.count }
    package var sampleShape: [Int] { [3, imageSize, imageSize] }

    /// Pixels in 0...1 as the Data layer reads 8-bit NumPy images (v / 255).
    package func floatImages() -> [Float] { images.map { Float($0) / 255 } }
}

package struct GeneratedTask: Sendable {
    package var spec: TaskSpec
    package var train: GeneratedSplit
    package var test: GeneratedSplit
}

/// Generates a task's images from its spec, deterministically for a seed: image `i`
/// of a split draws from its own random stream (seed, task identity, split, i), so
/// the bytes do not depend on threads or on the other images.
package enum TaskGenerator {
    package enum Split: String, Sendable { case train, test }

    package static func generate(_ spec: TaskSpec, imageSize: Int, seed: UInt64) throws -> GeneratedTask {
        if let problem = spec.validationProblem() { throw ZooError.invalidTask(problem) }
        guard imageSize >= SceneRenderer.glyphSide + 3 else {
            throw ZooError.invalidTask("task '\(spec.name)': image size \(imageSize) is too small (at least \(SceneRenderer.glyphSide + 3))")
        }
        let renderer = SceneRenderer(spec: spec, size: imageSize)
        return GeneratedTask(
            spec: spec,
            train: split(.train, spec: spec, renderer: renderer, seed: seed),
            test: split(.test, spec: spec, renderer: renderer, seed: seed))
    }

    static func split(_ split: Split, spec: TaskSpec, renderer: SceneRenderer, seed: UInt64) -> GeneratedSplit {
        let perClass = split == .train ? spec.trainPerClass : spec.testPerClass
        let count = perClass * spec.classCount
        let stream = spec.identity ^ stableHash(split.rawValue)
        // Exactly `perClass` images of each class, in a seeded order.
        var shuffled = (0..<count).map { $0 % spec.classCount }
        var orderRNG = ZooRandom(seed: seed, stream: stream, index: UInt64.max)
        orderRNG.shuffle(&shuffled)
        let labels = shuffled

        let size = renderer.size
        let sampleSize = 3 * size * size
        var pixels = [Float](repeating: 0, count: count * sampleSize)
        var latents = [SceneLatents](repeating: SceneLatents(shared: [], glyph: nil, labelFromGlyph: false), count: count)
        let labelIndices = spec.labelFactors.map { SceneFactor.allCases.firstIndex(of: $0)! }
        let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count / 256))
        pixels.withUnsafeMutableBufferPointer { pixelBuffer in
            latents.withUnsafeMutableBufferPointer { latentBuffer in
                let pixelBase = pixelBuffer.baseAddress!
                let latentBase = latentBuffer.baseAddress!
                // Each thread writes its own disjoint images.
                nonisolated(unsafe) let (p, l) = (pixelBase, latentBase)
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    for i in stride(from: t, to: count, by: threads) {
                        var rng = ZooRandom(seed: seed, stream: stream, index: UInt64(i))
                        let label = labels[i]
                        let fromGlyph = spec.specificShare > 0 && rng.bernoulli(spec.specificShare)
                        var shared = SceneFactor.allCases.map { rng.int(below: $0.cardinality) }
                        if !fromGlyph {
                            for (k, index) in labelIndices.enumerated() { shared[index] = spec.classCodes[label][k] }
                        }
                        var glyph: Int?
                        if spec.glyphCount > 0 { glyph = fromGlyph ? label : rng.int(below: spec.glyphCount) }
                        let latent = SceneLatents(shared: shared, glyph: glyph, labelFromGlyph: fromGlyph)
                        l[i] = latent
                        renderer.render(latent, rng: &rng, into: UnsafeMutableBufferPointer(start: p + i * sampleSize, count: sampleSize))
                    }
                }
            }
        }
        let bytes = pixels.map { UInt8(($0 * 255).rounded()) }
        return GeneratedSplit(images: bytes, labels: labels, latents: latents, imageSize: size)
    }
}
