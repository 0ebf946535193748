import Foundation

/// Draws one image (3 x size x size, channels first, values in 0...1) from its
/// latent factors and nuisance draws. Layers, back to front:
/// 1. a grey background with a slight colour tint (nuisance);
/// 2. dark Gaussian blobs at the positions of the `layout` configuration;
/// 3. a Gabor "stroke" patch near the centre: a grating at `orientation` and
///    `frequency`, painted in the `colour` of the palette (random phase);
/// 4. the task's glyph, if any: a 5 x 5 binary pattern, light on dark, anywhere;
/// then a global contrast factor and per-pixel noise. The whole scene (blobs and
/// patch) is shifted by up to `translation` pixels.
struct SceneRenderer {
    let size: Int
    /// Per glyph, 25 cells row-major (true = light).
    let glyphs: [[Bool]]
    let spec: TaskSpec

    static let glyphSide = 5

    /// Palette hues (RGB in 0...1).
    static let palette: [[Double]] = [
        [0.90, 0.20, 0.20], [0.20, 0.80, 0.30], [0.20, 0.35, 0.90],
        [0.90, 0.85, 0.20], [0.85, 0.25, 0.85], [0.20, 0.85, 0.85],
    ]
    /// Grating cycles across the image width.
    static let cyclesPerImage: [Double] = [2.0, 3.2, 4.8]
    /// Blob centres per layout, as fractions of the image side (x, y).
    static let layouts: [[(Double, Double)]] = [
        [(0.25, 0.25)], [(0.75, 0.25)], [(0.25, 0.75)], [(0.75, 0.75)],
        [(0.25, 0.25), (0.75, 0.75)], [(0.75, 0.25), (0.25, 0.75)],
        [(0.2, 0.5), (0.8, 0.5)], [(0.5, 0.2), (0.5, 0.8)],
    ]

    init(spec: TaskSpec, size: Int) {
        self.spec = spec
        self.size = size
        self.glyphs = Self.makeGlyphs(count: spec.glyphCount, identity: spec.identity)
    }

    /// Distinct random glyphs: about half the cells light, any two differing in at
    /// least 7 cells, so they stay tellable apart under noise.
    static func makeGlyphs(count: Int, identity: UInt64) -> [[Bool]] {
        var rng = ZooRandom(seed: identity, stream: stableHash("glyphs"))
        var out = [[Bool]]()
        let cells = glyphSide * glyphSide
        var attempts = 0
        while out.count < count {
            attempts += 1
            let g = (0..<cells).map { _ in rng.bernoulli(0.5) }
            let lit = g.filter { $0 }.count
            guard (9...16).contains(lit) else { continue }
            let minimumDistance = attempts < 10_000 ? 7 : 4
            if out.allSatisfy({ zip($0, g).filter { $0 != $1 }.count >= minimumDistance }) { out.append(g) }
        }
        return out
    }

    /// Renders into `out` (3 * size * size floats).
    func render(_ latents: SceneLatents, rng: inout ZooRandom, into out: UnsafeMutableBufferPointer<Float>) {
        let s = size
        let plane = s * s
        let n = spec.nuisance
        let amp = spec.sharedAmplitude
        let scale = Double(s)
        let dx = rng.uniform(-n.translation...n.translation)
        let dy = rng.uniform(-n.translation...n.translation)
        let background = rng.uniform(n.background)
        let tint = (0..<3).map { _ in rng.uniform(-0.04...0.04) }
        var image = [Double](repeating: 0, count: 3 * plane)
        for c in 0..<3 { for p in 0..<plane { image[c * plane + p] = background + tint[c] } }

        // Blobs: multiplicative darkening.
        let blobSigma = 0.13 * scale
        for (fx, fy) in Self.layouts[latents.value(of: .layout)] {
            let cx = fx * scale - 0.5 + dx, cy = fy * scale - 0.5 + dy
            for y in 0..<s {
                for x in 0..<s {
                    let r2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
                    let shade = 1 - 0.6 * amp * exp(-r2 / (2 * blobSigma * blobSigma))
                    for c in 0..<3 { image[c * plane + y * s + x] *= shade }
                }
            }
        }

        // Stroke patch: colour blended in where the grating is bright.
        let theta = Double(latents.value(of: .orientation)) * .pi / 8
        let frequency = Self.cyclesPerImage[latents.value(of: .frequency)] / scale
        let colour = Self.palette[latents.value(of: .colour)]
        let phase = rng.uniform(0...(2 * .pi))
        let gx = scale / 2 - 0.5 + dx + rng.uniform(-1...1)
        let gy = scale / 2 - 0.5 + dy + rng.uniform(-1...1)
        let envelope = 0.3 * scale
        let (ct, st) = (cos(theta), sin(theta))
        for y in 0..<s {
            for x in 0..<s {
                let u = Double(x) - gx, v = Double(y) - gy
                let env = exp(-(u * u + v * v) / (2 * envelope * envelope))
                let grating = 0.5 + 0.5 * sin(2 * .pi * frequency * (u * ct + v * st) + phase)
                let alpha = min(1, 0.9 * amp * env * grating)
                for c in 0..<3 {
                    let i = c * plane + y * s + x
                    image[i] = (1 - alpha) * image[i] + alpha * colour[c]
                }
            }
        }

        // Glyph: light cells on a dark box, placed anywhere inside the image.
        if let glyph = latents.glyph {
            let side = Self.glyphSide
            let x0 = rng.int(below: s - side + 1), y0 = rng.int(below: s - side + 1)
            let beta = min(1, 0.85 * spec.specificAmplitude)
            for gy in 0..<side {
                for gx in 0..<side {
                    let target: Double = glyphs[glyph][gy * side + gx] ? 1 : 0
                    for c in 0..<3 {
                        let i = c * plane + (y0 + gy) * s + (x0 + gx)
                        image[i] = (1 - beta) * image[i] + beta * target
                    }
                }
            }
        }

        let contrast = rng.uniform(n.contrast)
        for i in 0..<(3 * plane) {
            let v = 0.5 + contrast * (image[i] - 0.5) + n.pixelNoise * rng.normal()
            out[i] = Float(min(1, max(0, v)))
        }
    }
}
