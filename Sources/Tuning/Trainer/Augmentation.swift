import Data
import Hub
import Support

/// Random crop with zero padding (`torchvision.transforms.RandomCrop(size, padding)`):
/// the image is padded by `padding` pixels on every side and a window of its
/// original size is cut at a uniformly drawn offset. Draws from the loader's
/// per-sample generator, so augmentation is seeded by (seed, epoch, sample).
package struct PaddedRandomCrop: Transform {
    package let padding: Int

    package init(padding: Int) { self.padding = padding }

    package var description: String { "PaddedRandomCrop(padding=\(padding))" }

    package func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        guard sample.shape.count == 3, padding > 0 else { return sample }
        let (c, h, w) = (sample.shape[0], sample.shape[1], sample.shape[2])
        let top = random.int(below: 2 * padding + 1) - padding
        let left = random.int(below: 2 * padding + 1) - padding
        var out = sample
        out.values = [Float](repeating: 0, count: sample.values.count)
        sample.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                for ch in 0..<c {
                    for y in 0..<h {
                        let sy = y + top
                        guard sy >= 0, sy < h else { continue }
                        for x in 0..<w {
                            let sx = x + left
                            guard sx >= 0, sx < w else { continue }
                            dst[(ch * h + y) * w + x] = src[(ch * h + sy) * w + sx]
                        }
                    }
                }
            }
        }
        return out
    }
}

/// The data transforms of a run: the card's (channels, resize, crop,
/// normalisation) for every split; for training with augmentation, a padded random
/// crop and a horizontal flip before the normalisation, so the padding is black
/// as in the usual recipes. Table rows are never augmented.
enum TrainingTransforms {
    static func evaluation(_ card: ModelCard) -> (any Transform)? { card.transform() }

    static func training(_ card: ModelCard, augment: Bool, padding: Int) -> (any Transform)? {
        guard augment, card.input.kind == .image else { return card.transform() }
        let crop: [any Transform] = padding > 0 ? [PaddedRandomCrop(padding: padding)] : []
        return card.transform(augmentation: crop + [RandomHorizontalFlip(p: 0.5)])
    }
}
