import Foundation
import Support

/// A per-sample transformation. `description` is stable text (used in cache keys):
/// two transforms with the same description produce the same output for the same
/// input and random stream.
public protocol Transform: Sendable {
    func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample
    var description: String { get }
}

extension Transform {
    /// Applies a deterministic transform (one that draws no random numbers).
    public func apply(_ sample: Sample) throws -> Sample {
        var random = DataRandom(seed: 0)
        return try apply(sample, random: &random)
    }
}

/// Stable text of a number for descriptions (shortest round-trip form).
func stable(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
}

func stable(_ x: Float) -> String {
    x == x.rounded() && abs(x) < 1e7 ? String(Int(x)) : "\(x)"
}

/// The image dimensions of a `[C, H, W]` sample, or an error naming the transform.
func imageDims(_ sample: Sample, _ transform: String) throws -> (c: Int, h: Int, w: Int) {
    guard sample.shape.count == 3, sample.shape.allSatisfy({ $0 > 0 }) else {
        throw DataError.transformFailed(
            transform: transform, sample: sample.name,
            reason: "expected an image of shape [C, H, W], found \(sample.shape)")
    }
    guard sample.values.count == sample.shape.reduce(1, *) else {
        throw DataError.transformFailed(
            transform: transform, sample: sample.name,
            reason: "\(sample.values.count) values do not fill shape \(sample.shape)")
    }
    return (sample.shape[0], sample.shape[1], sample.shape[2])
}

/// Transforms applied in order.
public struct Compose: Transform {
    public let transforms: [any Transform]
    public init(_ transforms: [any Transform]) { self.transforms = transforms }
    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        var s = sample
        for t in transforms { s = try t.apply(s, random: &random) }
        return s
    }
    public var description: String { "Compose[" + transforms.map(\.description).joined(separator: ", ") + "]" }
}

/// The identity: decoding already scales 8-bit samples to `0...1` (value / 255), so
/// there is nothing to convert. Kept so pipelines written like torchvision's read the same.
public struct ToFloat: Transform {
    public init() {}
    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample { sample }
    public var description: String { "ToFloat" }
}

// MARK: - Resampling

/// Separable resampling weights along one axis: output pixel `i` is
/// `sum(weights[i * stride + k] * input[first[i] + k])` for `k < taps[i]`. Pixel centres are at `x + 0.5`
/// (align-corners false, like PyTorch and PIL). Upscaling (or `antialias` false) is
/// bilinear with edge clamping; downscaling with `antialias` widens the triangle
/// filter by the scale factor, as PIL and torchvision's antialias do, so every input
/// pixel contributes and no aliasing appears.
struct AxisWeights {
    /// First input index of each output pixel.
    var first: [Int] = []
    /// Number of taps of each output pixel.
    var taps: [Int] = []
    /// Weights, `stride` per output pixel (zero-padded).
    var weights: [Float] = []
    var stride = 0

    init(inStart: Int, inLength: Int, outLength: Int, antialias: Bool) {
        let scale = Double(inLength) / Double(outLength)
        let support = antialias && scale > 1 ? scale : 1.0
        stride = support == 1 ? 2 : Int((2 * support).rounded(.up)) + 2
        first = [Int](repeating: 0, count: outLength)
        taps = [Int](repeating: 0, count: outLength)
        weights = [Float](repeating: 0, count: stride * outLength)
        for i in 0..<outLength {
            let center = (Double(i) + 0.5) * scale - 0.5 // relative to inStart
            let base = i * stride
            if support == 1 {
                // Bilinear with clamping: the taps at floor/ceil of the clamped centre.
                let x = min(max(center, 0), Double(inLength - 1))
                let x0 = Int(x.rounded(.down))
                let x1 = min(x0 + 1, inLength - 1)
                let f = x - Double(x0)
                first[i] = inStart + x0
                if x1 == x0 {
                    taps[i] = 1; weights[base] = 1
                } else {
                    taps[i] = 2; weights[base] = Float(1 - f); weights[base + 1] = Float(f)
                }
                continue
            }
            let lo = max(Int((center - support).rounded(.up)), 0)
            let hi = min(Int((center + support).rounded(.down)), inLength - 1)
            func tap(_ j: Int) -> Double { max(0, 1 - abs(Double(j) - center) / support) }
            let n = max(0, hi - lo + 1)
            var total = 0.0
            for k in 0..<n { total += tap(lo + k) }
            if total > 0 {
                for k in 0..<n { weights[base + k] = Float(tap(lo + k) / total) }
                first[i] = inStart + lo
                taps[i] = n
            } else {
                weights[base] = 1
                first[i] = inStart + min(max(Int(center.rounded()), 0), inLength - 1)
                taps[i] = 1
            }
        }
    }
}

/// Resamples the region `(top, left, height, width)` of a `[C, H, W]` image to
/// `outHeight x outWidth`: a horizontal pass over the region's rows, then a vertical one.
func resample(
    _ values: [Float], channels: Int, height: Int, width: Int,
    top: Int, left: Int, regionHeight: Int, regionWidth: Int,
    outHeight: Int, outWidth: Int, antialias: Bool
) -> [Float] {
    if top == 0, left == 0, regionHeight == height, regionWidth == width, outHeight == height, outWidth == width {
        return values
    }
    let xw = AxisWeights(inStart: left, inLength: regionWidth, outLength: outWidth, antialias: antialias)
    let yw = AxisWeights(inStart: top, inLength: regionHeight, outLength: outHeight, antialias: antialias)
    var tmp = [Float](repeating: 0, count: channels * regionHeight * outWidth)
    var out = [Float](repeating: 0, count: channels * outHeight * outWidth)
    values.withUnsafeBufferPointer { src in
        xw.first.withUnsafeBufferPointer { xFirst in
            xw.taps.withUnsafeBufferPointer { xTaps in
                xw.weights.withUnsafeBufferPointer { xWeights in
                    tmp.withUnsafeMutableBufferPointer { t in
                        let xs = xw.stride
                        for c in 0..<channels {
                            for y in 0..<regionHeight {
                                let row = (c * height + top + y) * width
                                let trow = (c * regionHeight + y) * outWidth
                                for x in 0..<outWidth {
                                    let f = row + xFirst[x], wb = x * xs, n = xTaps[x]
                                    var acc = xWeights[wb] * src[f]
                                    if n > 1 {
                                        acc += xWeights[wb + 1] * src[f + 1]
                                        var k = 2
                                        while k < n { acc += xWeights[wb + k] * src[f + k]; k += 1 }
                                    }
                                    t[trow + x] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    tmp.withUnsafeBufferPointer { t in
        yw.weights.withUnsafeBufferPointer { yWeights in
            out.withUnsafeMutableBufferPointer { o in
                guard let tb = t.baseAddress, let ob = o.baseAddress else { return }
                let ys = yw.stride
                for c in 0..<channels {
                    for y in 0..<outHeight {
                        let f = yw.first[y] - top
                        let orow = ob + (c * outHeight + y) * outWidth
                        let taps = yw.taps[y]
                        let w0 = yWeights[y * ys]
                        let r0 = tb + (c * regionHeight + f) * outWidth
                        if taps == 1 {
                            for x in 0..<outWidth { orow[x] = w0 * r0[x] }
                        } else {
                            let w1 = yWeights[y * ys + 1]
                            let r1 = r0 + outWidth
                            for x in 0..<outWidth { orow[x] = w0 * r0[x] + w1 * r1[x] }
                            for k in 2..<max(2, taps) {
                                let w = yWeights[y * ys + k]
                                let r = r0 + k * outWidth
                                for x in 0..<outWidth { orow[x] += w * r[x] }
                            }
                        }
                    }
                }
            }
        }
    }
    return out
}

// MARK: - Deterministic transforms

/// Bilinear resize: either the shorter side to `shorter` keeping the aspect ratio
/// (the longer side becomes `floor(shorter * long / short)`, as torchvision), or to
/// exactly `height x width`. Downscaling is antialiased unless `antialias` is false.
public struct Resize: Transform {
    public let shorter: Int?
    public let height: Int?
    public let width: Int?
    public let antialias: Bool

    public init(shorter: Int, antialias: Bool = true) {
        precondition(shorter > 0, "Resize: size must be positive")
        self.shorter = shorter; self.height = nil; self.width = nil; self.antialias = antialias
    }

    public init(height: Int, width: Int, antialias: Bool = true) {
        precondition(height > 0 && width > 0, "Resize: size must be positive")
        self.shorter = nil; self.height = height; self.width = width; self.antialias = antialias
    }

    /// The output size for an input of `h x w`.
    public func outputSize(height h: Int, width w: Int) -> (height: Int, width: Int) {
        if let s = shorter {
            if h <= w { return (s, max(1, Int(Double(s) * Double(w) / Double(h)))) }
            return (max(1, Int(Double(s) * Double(h) / Double(w))), s)
        }
        return (height ?? h, width ?? w)
    }

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let (c, h, w) = try imageDims(sample, description)
        let (oh, ow) = outputSize(height: h, width: w)
        var out = sample
        out.values = resample(
            sample.values, channels: c, height: h, width: w, top: 0, left: 0, regionHeight: h, regionWidth: w,
            outHeight: oh, outWidth: ow, antialias: antialias)
        out.shape = [c, oh, ow]
        return out
    }

    public var description: String {
        let size = shorter.map { "shorter=\($0)" } ?? "\(height ?? 0)x\(width ?? 0)"
        return "Resize(\(size),bilinear\(antialias ? ",antialias" : ""))"
    }
}

/// Crops the centre `height x width` (top = round((H - height) / 2), as torchvision).
/// An image smaller than the crop is an error (resize first).
public struct CenterCrop: Transform {
    public let height: Int
    public let width: Int

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "CenterCrop: size must be positive")
        self.height = height; self.width = width
    }
    public init(size: Int) { self.init(height: size, width: size) }

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let (c, h, w) = try imageDims(sample, description)
        guard h >= height, w >= width else {
            throw DataError.transformFailed(
                transform: description, sample: sample.name,
                reason: "image is \(h)x\(w), smaller than the crop (resize first)")
        }
        let top = Int((Double(h - height) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(w - width) / 2).rounded(.toNearestOrEven))
        return crop(sample, c: c, h: h, w: w, top: top, left: left, height: height, width: width)
    }

    public var description: String { "CenterCrop(\(height)x\(width))" }
}

/// Copies a rectangle out of a `[C, H, W]` sample.
func crop(_ sample: Sample, c: Int, h: Int, w: Int, top: Int, left: Int, height: Int, width: Int) -> Sample {
    var values = [Float]()
    values.reserveCapacity(c * height * width)
    for ch in 0..<c {
        for y in 0..<height {
            let start = (ch * h + top + y) * w + left
            values.append(contentsOf: sample.values[start..<(start + width)])
        }
    }
    var out = sample
    out.values = values
    out.shape = [c, height, width]
    return out
}

/// `(x - mean) / std` per channel of an image (or per feature of a tabular row); a
/// single mean/std applies to all.
public struct Normalize: Transform {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count && !mean.isEmpty, "Normalize: mean and std need the same, non-zero length")
        precondition(std.allSatisfy { $0 != 0 }, "Normalize: std must be non-zero")
        self.mean = mean; self.std = std
    }

    /// ImageNet's channel statistics, which most hub image models expect.
    public static let imageNet = Normalize(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let groups = sample.shape.count == 3 ? sample.shape[0] : (sample.shape.first ?? 0)
        guard mean.count == 1 || mean.count == groups else {
            throw DataError.transformFailed(
                transform: description, sample: sample.name,
                reason: "expected \(groups) means (one per channel or feature), found \(mean.count)")
        }
        let plane = sample.shape.count == 3 ? sample.shape[1] * sample.shape[2] : 1
        guard sample.values.count == groups * plane else {
            throw DataError.transformFailed(
                transform: description, sample: sample.name,
                reason: "\(sample.values.count) values do not fill shape \(sample.shape)")
        }
        var out = sample
        out.values.withUnsafeMutableBufferPointer { v in
            for g in 0..<groups {
                let m = mean[mean.count == 1 ? 0 : g], inv = 1 / std[std.count == 1 ? 0 : g]
                for i in (g * plane)..<((g + 1) * plane) { v[i] = (v[i] - m) * inv }
            }
        }
        return out
    }

    public var description: String {
        "Normalize(mean=[" + mean.map { stable($0) }.joined(separator: ",") + "],std=["
            + std.map { stable($0) }.joined(separator: ",") + "])"
    }
}

// MARK: - Training augmentations

/// torchvision's RandomResizedCrop: up to 10 tries to pick a crop whose area is a
/// `scale` fraction of the image and whose aspect ratio (log-uniform) is in `ratio`,
/// falling back to the largest centred crop with a ratio in range; the crop is then
/// resized (bilinear, antialiased when shrinking) to `height x width`.
public struct RandomResizedCrop: Transform {
    public let height: Int
    public let width: Int
    public let scale: ClosedRange<Double>
    public let ratio: ClosedRange<Double>
    public let antialias: Bool

    public init(
        height: Int, width: Int, scale: ClosedRange<Double> = 0.08...1.0,
        ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0), antialias: Bool = true
    ) {
        precondition(height > 0 && width > 0 && scale.lowerBound > 0 && ratio.lowerBound > 0, "RandomResizedCrop: invalid parameters")
        self.height = height; self.width = width; self.scale = scale; self.ratio = ratio; self.antialias = antialias
    }

    public init(size: Int, scale: ClosedRange<Double> = 0.08...1.0, ratio: ClosedRange<Double> = (3.0 / 4.0)...(4.0 / 3.0)) {
        self.init(height: size, width: size, scale: scale, ratio: ratio)
    }

    /// The crop `(top, left, height, width)` for an `h x w` image.
    public func cropBox(height h: Int, width w: Int, random: inout DataRandom) -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(h * w)
        let logRatio = log(ratio.lowerBound)...log(ratio.upperBound)
        for _ in 0..<10 {
            let target = area * random.uniform(scale)
            let aspect = exp(random.uniform(logRatio))
            let cw = Int((target * aspect).squareRoot().rounded())
            let ch = Int((target / aspect).squareRoot().rounded())
            if cw > 0, ch > 0, cw <= w, ch <= h {
                let top = random.int(below: h - ch + 1)
                let left = random.int(below: w - cw + 1)
                return (top, left, ch, cw)
            }
        }
        let inRatio = Double(w) / Double(h)
        var cw = w, ch = h
        if inRatio < ratio.lowerBound {
            ch = max(1, min(h, Int((Double(w) / ratio.lowerBound).rounded())))
        } else if inRatio > ratio.upperBound {
            cw = max(1, min(w, Int((Double(h) * ratio.upperBound).rounded())))
        }
        return ((h - ch) / 2, (w - cw) / 2, ch, cw)
    }

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let (c, h, w) = try imageDims(sample, description)
        let box = cropBox(height: h, width: w, random: &random)
        var out = sample
        out.values = resample(
            sample.values, channels: c, height: h, width: w, top: box.top, left: box.left,
            regionHeight: box.height, regionWidth: box.width, outHeight: height, outWidth: width, antialias: antialias)
        out.shape = [c, height, width]
        return out
    }

    public var description: String {
        "RandomResizedCrop(\(height)x\(width),scale=\(stable(scale.lowerBound))...\(stable(scale.upperBound)),"
            + "ratio=\(stable(ratio.lowerBound))...\(stable(ratio.upperBound))\(antialias ? ",antialias" : ""))"
    }
}

/// Mirrors the image left-right with probability `p`.
public struct RandomHorizontalFlip: Transform {
    public let p: Double
    public init(p: Double = 0.5) {
        precondition((0...1).contains(p), "RandomHorizontalFlip: p must be in 0...1")
        self.p = p
    }

    public func apply(_ sample: Sample, random: inout DataRandom) throws -> Sample {
        let (c, h, w) = try imageDims(sample, description)
        // Always draw, so the stream does not depend on the outcome.
        guard random.uniform() < p else { return sample }
        return mirrored(sample, c: c, h: h, w: w)
    }

    public var description: String { "RandomHorizontalFlip(p=\(stable(p)))" }
}

/// Ready-made pipelines matching the usual hub image models.
public enum Transforms {
    /// Evaluation: resize the shorter side to `resize`, centre-crop `size`, ImageNet normalisation.
    public static func evaluation(size: Int = 224, resize: Int = 256, normalize: Normalize = .imageNet) -> Compose {
        Compose([Resize(shorter: resize), CenterCrop(size: size), normalize])
    }

    /// Training: random resized crop to `size`, horizontal flip, ImageNet normalisation.
    public static func training(size: Int = 224, normalize: Normalize = .imageNet) -> Compose {
        Compose([RandomResizedCrop(size: size), RandomHorizontalFlip(p: 0.5), normalize])
    }
}
