import Foundation

/// Several fixed crops of one image, stacked: the evaluation protocol of many
/// transfer-learning papers (torchvision's `FiveCrop` / `TenCrop` followed by
/// `torch.stack`). A `[C, H, W]` sample becomes `[V, C, height, width]` with the V
/// views in torchvision's order; a model scores each view and the predictions are
/// averaged (the tuning layer's evaluation does this for `eval_crop: ten`).
///
/// Views, for crop size h x w of an H x W image:
/// top-left (0, 0), top-right (0, W − w), bottom-left (H − h, 0), bottom-right
/// (H − h, W − w), centre (`CenterCrop`: round((H − h) / 2), round((W − w) / 2));
/// `TenCrop` adds the same five crops of the horizontally flipped image (as
/// torchvision's `ten_crop`, which crops the flipped image rather than flipping the
/// crops; the two differ only for the centre crop when W − w is odd).
/// An image smaller than the crop is an error (resize first).
public struct MultiCrop: Transform {
    public let height: Int
    public let width: Int
    /// Also the five crops of the mirrored image (ten views instead of five).
    public let flips: Bool

    public init(height: Int, width: Int, flips: Bool) {
        precondition(height > 0 && width > 0, "MultiCrop: size must be positive")
        self.height = height; self.width = width; self.flips = flips
    }

    /// torchvision's `FiveCrop(size)`.
    public static func five(height: Int, width: Int) -> MultiCrop { MultiCrop(height: height, width: width, flips: false) }
    /// torchvision's `TenCrop(size)` (horizontal flips).
    public static func ten(height: Int, width: Int) -> MultiCrop { MultiCrop(height: height, width: width, flips: true) }

    /// Views per image: 5 or 10.
    public var viewCount: Int { flips ? 10 : 5 }

    /// The (top, left) of each of the five crops of an `h x w` image, in order.
    public func offsets(height h: Int, width w: Int) -> [(top: Int, left: Int)] {
        let centreTop = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
        let centreLeft = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
        return [(0, 0), (0, w - width), (h - height, 0), (h - height, w - width), (centreTop, centreLeft)]
    }

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let (c, h, w) = try imageDims(sample, description)
        guard h >= height, w >= width else {
            throw DataError.transformFailed(
                transform: description, sample: sample.name,
                reason: "image is \(h)x\(w), smaller than the crop (resize first)")
        }
        var images = [sample]
        if flips { images.append(mirrored(sample, c: c, h: h, w: w)) }
        var values = [Float]()
        values.reserveCapacity(viewCount * c * height * width)
        for image in images {
            for (top, left) in offsets(height: h, width: w) {
                values += crop(image, c: c, h: h, w: w, top: top, left: left, height: height, width: width).values
            }
        }
        var out = sample
        out.values = values
        out.shape = [viewCount, c, height, width]
        return out
    }

    public var description: String { "\(flips ? "TenCrop" : "FiveCrop")(\(height)x\(width))" }
}

/// The image mirrored left-right.
func mirrored(_ sample: Sample, c: Int, h: Int, w: Int) -> Sample {
    var out = sample
    out.values.withUnsafeMutableBufferPointer { v in
        for row in 0..<(c * h) {
            var a = row * w, b = row * w + w - 1
            while a < b { v.swapAt(a, b); a += 1; b -= 1 }
        }
    }
    return out
}
