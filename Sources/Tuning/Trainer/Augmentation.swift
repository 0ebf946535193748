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

/// How validation (and test) images are presented to the model.
package enum EvaluationCrop: String, Sendable, CaseIterable {
    /// The card's own transform, exactly as ranking extracts features.
    case none
    /// Resize so that the model's input is `cropFraction` of the image, centre crop
    /// (torchvision's `Resize(256)` + `CenterCrop(224)` for a 224 model).
    case center
    /// The same resize, then the four corner crops, the centre crop and the same five
    /// of the mirrored image; the model's softmax outputs are averaged over the ten
    /// (the B-Tuning paper's evaluation protocol, `TenCrop(224)` after `Resize(256)`).
    case ten

    /// The crop's share of the resized image's side: 224 / 256.
    package static let cropFraction = 0.875

    /// Views per image the model scores.
    package var views: Int { self == .ten ? 10 : 1 }
}

/// The data transforms of a run: the card's (channels, resize, crop,
/// normalisation) for every split; for training with augmentation, a padded random
/// crop and a horizontal flip before the normalisation, so the padding is black
/// as in the usual recipes. Table rows are never augmented.
enum TrainingTransforms {
    static func evaluation(_ card: ModelCard) -> (any Transform)? { card.transform() }

    /// The evaluation transform for `crop`: the card's own for `none` (and for
    /// models that do not take images); otherwise the image is resized so that the
    /// crop keeps `EvaluationCrop.cropFraction` of it (the shorter side to
    /// round(max(H, W) / 0.875), or both sides to round(H / 0.875) x round(W / 0.875)
    /// for a card that resizes without keeping the aspect ratio), normalised, and
    /// cut to the card's H x W: one centre crop, or the ten views of `MultiCrop.ten`
    /// (samples of shape [10, C, H, W]). Normalisation is per channel, so doing it
    /// before the crops gives the same values as after.
    static func evaluation(_ card: ModelCard, crop: EvaluationCrop) -> (any Transform)? {
        guard crop != .none, card.input.kind == .image else { return card.transform() }
        let input = card.input
        func enlarged(_ size: Int) -> Int { Swift.max(size, Int((Double(size) / EvaluationCrop.cropFraction).rounded())) }
        var steps: [any Transform] = [MatchChannels(channels: input.channels)]
        switch input.resize {
        case .resize: steps.append(Resize(height: enlarged(input.height), width: enlarged(input.width)))
        case .resizeCrop, .none: steps.append(Resize(shorter: enlarged(Swift.max(input.height, input.width))))
        }
        if let mean = input.mean, let std = input.std { steps.append(Normalize(mean: mean, std: std)) }
        switch crop {
        case .none: break
        case .center: steps.append(CenterCrop(height: input.height, width: input.width))
        case .ten: steps.append(MultiCrop.ten(height: input.height, width: input.width))
        }
        return Compose(steps)
    }

    static func training(_ card: ModelCard, augment: Bool, padding: Int) -> (any Transform)? {
        guard augment, card.input.kind == .image else { return card.transform() }
        let crop: [any Transform] = padding > 0 ? [PaddedRandomCrop(padding: padding)] : []
        return card.transform(augmentation: crop + [RandomHorizontalFlip(p: 0.5)])
    }
}
