import Foundation
import Testing
@testable import Data

@Suite("PNG and JPEG decoding")
struct ImageCodecTests {
    @Test("8-bit PNG of every simple colour model round-trips exactly", arguments: [1, 2, 3, 4])
    func pngRoundTrip(channels: Int) throws {
        let image = DecodedImage(width: 5, height: 3, channels: channels, pixels: pattern(5 * 3 * channels, seed: channels))
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image), path: "x.png")
        #expect(decoded == image)
        let (values, shape) = decoded.sampleValues(.source)
        #expect(shape == [channels, 3, 5])
        // Channels-first, value / 255.
        var expected = [Float]()
        for c in 0..<channels {
            for p in 0..<15 { expected.append(Float(image.pixels[p * channels + c]) / 255) }
        }
        #expect(values == expected)
    }

    @Test("channel conversion: gray to RGB replicates, RGB to gray is luma, alpha dropped")
    func channelModes() {
        let rgba = DecodedImage(width: 1, height: 1, channels: 4, pixels: [255, 0, 0, 7])
        #expect(rgba.sampleValues(.rgb).values == [1, 0, 0])
        #expect(abs(rgba.sampleValues(.gray).values[0] - 0.299) < 1e-6)
        let ga = DecodedImage(width: 2, height: 1, channels: 2, pixels: [10, 0, 20, 255])
        let rgb = ga.sampleValues(.rgb)
        #expect(rgb.shape == [3, 1, 2])
        #expect(rgb.values == [10, 20, 10, 20, 10, 20].map { Float($0) / 255 })
    }

    @Test("palette PNG (with transparency) expands to RGBA")
    func palette() throws {
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255]
        let png = rawPNG(width: 3, height: 2, colorType: 3, bitDepth: 8, rows: [[0, 1, 2], [2, 1, 0]], palette: palette, transparency: [128])
        let d = try ImageCodec.decode(png, path: "p.png")
        #expect(d.channels == 4)
        #expect(Array(d.pixels[0..<8]) == [255, 0, 0, 128, 0, 255, 0, 255])
        let opaque = rawPNG(width: 3, height: 1, colorType: 3, bitDepth: 8, rows: [[2, 0, 1]], palette: palette)
        let o = try ImageCodec.decode(opaque, path: "q.png")
        #expect(o.channels == 3)
        #expect(o.pixels == [0, 0, 255, 255, 0, 0, 0, 255, 0])
    }

    @Test("16-bit PNG is reduced to 8 bits")
    func sixteenBit() throws {
        let samples: [UInt16] = [0, 65535, 32896, 4112] // 0, 255, 128, 16 times 257
        let rows = [samples.flatMap { [UInt8($0 >> 8), UInt8($0 & 255)] }]
        let png = rawPNG(width: 4, height: 1, colorType: 0, bitDepth: 16, rows: rows)
        let d = try ImageCodec.decode(png, path: "g16.png")
        #expect(d.channels == 1)
        for (got, want) in zip(d.pixels, [0, 255, 128, 16] as [Int]) { #expect(abs(Int(got) - want) <= 1) }
    }

    @Test(
        "JPEG gray and RGB, baseline and progressive, decode within tolerance",
        arguments: [(1, false), (3, false), (1, true), (3, true)])
    func jpeg(channels: Int, progressive: Bool) throws {
        // Smooth content: JPEG at high quality reproduces it closely.
        var pixels = [UInt8]()
        for y in 0..<16 { for x in 0..<16 { for c in 0..<channels { pixels.append(UInt8(40 + x * 6 + y * 4 + c * 20)) } } }
        let image = DecodedImage(width: 16, height: 16, channels: channels, pixels: pixels)
        let data = try ImageCodec.encodeJPEG(image, quality: 98, progressive: progressive)
        let d = try ImageCodec.decode(data, path: "a.jpg")
        #expect(d.width == 16 && d.height == 16 && d.channels == channels)
        let maxError = zip(d.pixels, pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(maxError <= 8)
    }

    @Test("corrupt and truncated files are errors naming the file", arguments: ["png", "jpg"])
    func corrupt(ext: String) throws {
        let image = DecodedImage(width: 16, height: 16, channels: 3, pixels: pattern(768))
        let good = ext == "png" ? try ImageCodec.encodePNG(image) : try ImageCodec.encodeJPEG(image)
        let cases: [Data] = [
            good.prefix(good.count / 2), // truncated
            good.prefix(ext == "png" ? 8 : 3), // signature only
            Data(good.prefix(good.count / 3)) + Data(repeating: 0xA5, count: good.count - good.count / 3), // garbage body
            Data(),
            Data("not an image".utf8),
        ]
        for (i, data) in cases.enumerated() {
            let path = "dir/broken\(i).\(ext)"
            do {
                _ = try ImageCodec.decode(data, path: path)
                Issue.record("case \(i) decoded")
            } catch let error as DataError {
                #expect(error.description.hasPrefix(path + ": "), "\(error)")
            }
        }
    }

    @Test("CMYK JPEG is a clear error naming the file")
    func cmyk() throws {
        let data = try ImageCodec.encodeJPEG(DecodedImage(width: 8, height: 8, channels: 4, pixels: pattern(256)))
        do { _ = try ImageCodec.decode(data, path: "print.jpg"); Issue.record("decoded") } catch let e as DataError {
            #expect(e.description.hasPrefix("print.jpg: ") && e.description.contains("CMYK"))
        }
    }

    @Test("a header claiming a gigantic image is refused before allocating")
    func hugeHeader() throws {
        var png = [UInt8](rawPNG(width: 1, height: 1, colorType: 0, bitDepth: 8, rows: [[0]]))
        // IHDR width/height 100000 x 100000, with the chunk CRC fixed up.
        let dims = be32(100_000) + be32(100_000)
        png.replaceSubrange(16..<24, with: dims)
        png.replaceSubrange(29..<33, with: be32(crc32(Array(png[12..<29]))))
        do { _ = try ImageCodec.decode(Data(png), path: "huge.png"); Issue.record("decoded") } catch let e as DataError {
            #expect(e.description.hasPrefix("huge.png: "))
        }
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        #expect(throws: DataError.self) { try ImageCodec.decode(contentsOf: URL(fileURLWithPath: "/nonexistent/x.png")) }
    }
}
