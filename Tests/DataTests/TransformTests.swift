import Foundation
import Testing
@testable import Data
import Support

@Suite("Transforms")
struct TransformTests {
    func image(c: Int, h: Int, w: Int) -> Sample {
        Sample(values: (0..<(c * h * w)).map { Float(($0 * 7919) % 97) / 97 }, shape: [c, h, w], label: 1, source: "img")
    }

    /// Bilinear with half-pixel centres and edge clamping, pixel by pixel.
    func bruteBilinear(_ s: Sample, oh: Int, ow: Int) -> [Float] {
        let (c, h, w) = (s.shape[0], s.shape[1], s.shape[2])
        var out = [Float]()
        for ch in 0..<c {
            for y in 0..<oh {
                for x in 0..<ow {
                    let sy = min(max((Double(y) + 0.5) * Double(h) / Double(oh) - 0.5, 0), Double(h - 1))
                    let sx = min(max((Double(x) + 0.5) * Double(w) / Double(ow) - 0.5, 0), Double(w - 1))
                    let y0 = Int(sy), x0 = Int(sx), y1 = min(y0 + 1, h - 1), x1 = min(x0 + 1, w - 1)
                    let fy = sy - Double(y0), fx = sx - Double(x0)
                    func v(_ yy: Int, _ xx: Int) -> Double { Double(s.values[(ch * h + yy) * w + xx]) }
                    out.append(Float((1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1))))
                }
            }
        }
        return out
    }

    /// Triangle filter widened by the scale, summed over the whole image.
    func bruteAntialias(_ s: Sample, oh: Int, ow: Int) -> [Float] {
        let (c, h, w) = (s.shape[0], s.shape[1], s.shape[2])
        let sy = Double(h) / Double(oh), sx = Double(w) / Double(ow)
        var out = [Float]()
        for ch in 0..<c {
            for y in 0..<oh {
                for x in 0..<ow {
                    let cy = (Double(y) + 0.5) * sy - 0.5, cx = (Double(x) + 0.5) * sx - 0.5
                    var acc = 0.0, total = 0.0
                    for i in 0..<h {
                        for j in 0..<w {
                            let wt = max(0, 1 - abs(Double(i) - cy) / max(sy, 1)) * max(0, 1 - abs(Double(j) - cx) / max(sx, 1))
                            acc += wt * Double(s.values[(ch * h + i) * w + j])
                            total += wt
                        }
                    }
                    out.append(Float(acc / total))
                }
            }
        }
        return out
    }

    func close(_ a: [Float], _ b: [Float], _ tol: Float = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tol }
    }

    @Test("upscaling resize matches brute-force bilinear")
    func resizeUp() throws {
        let s = image(c: 2, h: 3, w: 4)
        let r = try Resize(height: 7, width: 5).apply(s)
        #expect(r.shape == [2, 7, 5])
        #expect(close(r.values, bruteBilinear(s, oh: 7, ow: 5)))
    }

    @Test("downscaling: antialiased matches the widened triangle filter, plain matches bilinear")
    func resizeDown() throws {
        let s = image(c: 1, h: 9, w: 8)
        #expect(close(try Resize(height: 4, width: 3).apply(s).values, bruteAntialias(s, oh: 4, ow: 3)))
        #expect(close(try Resize(height: 4, width: 3, antialias: false).apply(s).values, bruteBilinear(s, oh: 4, ow: 3)))
        // A constant image stays constant.
        let flat = Sample(values: [Float](repeating: 0.25, count: 3 * 10 * 6), shape: [3, 10, 6], label: nil)
        #expect(try Resize(shorter: 4).apply(flat).values.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }

    @Test("Resize(shorter:) keeps the aspect ratio like torchvision")
    func resizeShorter() {
        #expect(Resize(shorter: 256).outputSize(height: 480, width: 640) == (256, 341))
        #expect(Resize(shorter: 256).outputSize(height: 640, width: 480) == (341, 256))
        #expect(Resize(shorter: 32).outputSize(height: 32, width: 32) == (32, 32))
    }

    @Test("centre crop is exact; too-small images are errors")
    func centerCrop() throws {
        let s = image(c: 2, h: 5, w: 6)
        let r = try CenterCrop(height: 3, width: 2).apply(s)
        #expect(r.shape == [2, 3, 2])
        var want = [Float]()
        for c in 0..<2 { for y in 1..<4 { for x in 2..<4 { want.append(s.values[(c * 5 + y) * 6 + x]) } } }
        #expect(r.values == want)
        #expect(throws: DataError.self) { try CenterCrop(size: 7).apply(s) }
        #expect(throws: DataError.self) { try CenterCrop(size: 1).apply(Sample(values: [1, 2], shape: [2], label: nil)) }
    }

    @Test("normalise is exact per channel, and per feature for tabular rows")
    func normalize() throws {
        let s = Sample(values: [0, 0.5, 1, 0.25], shape: [2, 1, 2], label: nil)
        let r = try Normalize(mean: [0.5, 0.25], std: [0.5, 0.25]).apply(s)
        #expect(r.values == [-1, 0, 3, 0])
        let t = try Normalize(mean: [1, 2, 3], std: [2, 2, 2]).apply(Sample(values: [3, 2, 1], shape: [3], label: 0))
        #expect(t.values == [1, 0, -1])
        #expect(throws: DataError.self) { try Normalize(mean: [0, 0], std: [1, 1]).apply(image(c: 3, h: 2, w: 2)) }
    }

    @Test("random resized crop: deterministic per seed, boxes within bounds")
    func randomResizedCrop() throws {
        let t = RandomResizedCrop(height: 4, width: 5, scale: 0.2...1, ratio: 0.5...2)
        let s = image(c: 3, h: 12, w: 10)
        var boxes = Set<String>()
        for seed in 0..<200 as Range<UInt64> {
            var a = DataRandom(seed: seed), b = DataRandom(seed: seed), c = DataRandom(seed: seed)
            let box = t.cropBox(height: 12, width: 10, random: &c)
            #expect(box.top >= 0 && box.left >= 0 && box.height >= 1 && box.width >= 1)
            #expect(box.top + box.height <= 12 && box.left + box.width <= 10)
            boxes.insert("\(box)")
            if seed < 20 {
                let r1 = try t.apply(s, random: &a), r2 = try t.apply(s, random: &b)
                #expect(r1 == r2 && r1.shape == [3, 4, 5])
                #expect(r1.values.allSatisfy { $0 >= -1e-6 && $0 <= 1 + 1e-6 })
            }
        }
        #expect(boxes.count > 50)
        // Impossible ratios fall back to a centred crop within bounds.
        var rng = DataRandom(seed: 1)
        let thin = RandomResizedCrop(height: 2, width: 2, scale: 0.99...1, ratio: 3...4).cropBox(height: 10, width: 10, random: &rng)
        #expect(thin.top + thin.height <= 10 && thin.left + thin.width <= 10)
    }

    @Test("horizontal flip mirrors rows; p=0 and p=1 are exact; random per seed")
    func flip() throws {
        let s = Sample(values: [1, 2, 3, 4, 5, 6], shape: [1, 2, 3], label: nil)
        var rng = DataRandom(seed: 3)
        #expect(try RandomHorizontalFlip(p: 1).apply(s, random: &rng).values == [3, 2, 1, 6, 5, 4])
        #expect(try RandomHorizontalFlip(p: 0).apply(s, random: &rng).values == s.values)
        var flips = 0
        for seed in 0..<100 as Range<UInt64> {
            var a = DataRandom(seed: seed), b = DataRandom(seed: seed)
            let r = try RandomHorizontalFlip().apply(s, random: &a)
            #expect(r == (try RandomHorizontalFlip().apply(s, random: &b)))
            if r.values != s.values { flips += 1 }
        }
        #expect(flips > 25 && flips < 75)
    }

    @Test("descriptions are stable text")
    func descriptions() {
        let t = Compose([
            Resize(shorter: 256), CenterCrop(size: 224), ToFloat(), Normalize.imageNet,
            RandomResizedCrop(size: 224), RandomHorizontalFlip(),
        ])
        #expect(
            t.description == "Compose[Resize(shorter=256,bilinear,antialias), CenterCrop(224x224), ToFloat, "
                + "Normalize(mean=[0.485,0.456,0.406],std=[0.229,0.224,0.225]), "
                + "RandomResizedCrop(224x224,scale=0.08...1,ratio=0.75...1.3333333333333333,antialias), RandomHorizontalFlip(p=0.5)]")
        #expect(Resize(height: 3, width: 4, antialias: false).description == "Resize(3x4,bilinear)")
    }
}

@Suite("Seeded splits")
struct SplitTests {
    @Test("deterministic, disjoint, covering, sized by the fractions")
    func plain() {
        let a = SeededSplit.split(count: 103, fractions: [0.7, 0.2, 0.1], seed: 9)
        #expect(a == SeededSplit.split(count: 103, fractions: [0.7, 0.2, 0.1], seed: 9))
        #expect(a != SeededSplit.split(count: 103, fractions: [0.7, 0.2, 0.1], seed: 10))
        #expect(a.map(\.count) == [72, 21, 10])
        #expect(a.flatMap { $0 }.sorted() == Array(0..<103))
    }

    @Test("stratified: each class split by the fractions")
    func stratified() throws {
        let labels: [Int?] = (0..<90).map { $0 % 3 == 0 ? 0 : ($0 % 3 == 1 ? 1 : 2) }
        let parts = SeededSplit.split(count: 90, fractions: [0.8, 0.2], seed: 1, labels: labels)
        #expect(parts.flatMap { $0 }.sorted() == Array(0..<90))
        #expect(Set(parts[0]).isDisjoint(with: parts[1]))
        for c in 0..<3 {
            #expect(parts[1].filter { labels[$0] == c }.count == 6)
        }
        let subsets = try SeededSplit.subsets(of: SyntheticDataset(count: 30), fractions: [0.5, 0.5], seed: 2)
        #expect(subsets.map(\.count) == [15, 15])
        #expect(try (0..<15).map { try subsets[0].label(at: $0) }.filter { $0 == 0 }.count == 5)
    }
}
