import Foundation
internal import CPNG
internal import CJPEG

/// How many channels decoded images get.
public enum ImageChannels: String, Sendable, Codable {
    /// The file's own model: gray 1, gray+alpha 2, RGB 3, RGBA 4 (palettes expand to
    /// RGB or RGBA).
    case source
    /// One channel: colour becomes luma (0.299 R + 0.587 G + 0.114 B), alpha is dropped.
    case gray
    /// Three channels: gray is replicated, alpha is dropped (not composited).
    case rgb
}

/// An 8-bit decoded image, interleaved (`height x width x channels`).
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// Channels-first floats in `0...1` (sample / 255), converted to `mode`.
    public func sampleValues(_ mode: ImageChannels) -> (values: [Float], shape: [Int]) {
        let hasColor = channels >= 3
        let outChannels: Int
        switch mode {
        case .source: outChannels = channels
        case .gray: outChannels = 1
        case .rgb: outChannels = 3
        }
        let plane = width * height
        var out = [Float](repeating: 0, count: outChannels * plane)
        unitTable.withUnsafeBufferPointer { table in
            pixels.withUnsafeBufferPointer { px in
                out.withUnsafeMutableBufferPointer { o in
                    // One loop per (mode, layout): the per-pixel work stays branch-free.
                    switch mode {
                    case .source:
                        for c in 0..<channels {
                            let dst = c * plane
                            for i in 0..<plane { o[dst + i] = table[Int(px[i * channels + c])] }
                        }
                    case .gray where hasColor:
                        for i in 0..<plane {
                            let b = i * channels
                            o[i] = (0.299 * Float(px[b]) + 0.587 * Float(px[b + 1]) + 0.114 * Float(px[b + 2])) / 255
                        }
                    case .gray:
                        for i in 0..<plane { o[i] = table[Int(px[i * channels])] }
                    case .rgb where hasColor:
                        for c in 0..<3 {
                            let dst = c * plane
                            for i in 0..<plane { o[dst + i] = table[Int(px[i * channels + c])] }
                        }
                    case .rgb:
                        for i in 0..<plane {
                            let v = table[Int(px[i * channels])]
                            o[i] = v; o[plane + i] = v; o[2 * plane + i] = v
                        }
                    }
                }
            }
        }
        return (out, [outChannels, height, width])
    }
}

/// `i / 255` for every byte, computed by division so values equal `Float(i) / 255` exactly.
let unitTable: [Float] = (0..<256).map { Float($0) / 255 }

/// PNG and JPEG decoding with Debian's libpng and libjpeg-turbo, and encoding (used
/// by tests and fixture tools). Every failure is a `DataError` naming `path`; a
/// corrupt file never crashes the process.
public enum ImageCodec {
    public enum Format: String, Sendable { case png, jpeg }

    /// The format from the file's signature, or nil.
    public static func sniff(_ data: Data) -> Format? {
        let head = [UInt8](data.prefix(8))
        if head.count >= 8 && head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if head.count >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF { return .jpeg }
        return nil
    }

    /// Reads and decodes the image file at `url`.
    public static func decode(contentsOf url: URL) throws -> DecodedImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes PNG or JPEG bytes; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> DecodedImage {
        switch sniff(data) {
        case .png: return try decodePNG(data, path: path)
        case .jpeg: return try decodeJPEG(data, path: path)
        case nil:
            throw DataError.decodeFailed(
                path: path,
                reason: "expected a PNG or JPEG signature, found "
                    + [UInt8](data.prefix(4)).map { String(format: "%02x", $0) }.joined(separator: " ")
                    + (data.count < 4 ? " (\(data.count) bytes)" : ""))
        }
    }

    typealias Decoder = (
        UnsafePointer<UInt8>, Int, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
        UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>,
        UnsafeMutablePointer<CChar>, Int
    ) -> Int32

    private static func run(_ data: Data, path: String, describe: (Int32) -> String, _ body: Decoder) throws -> DecodedImage {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var w: Int32 = 0, h: Int32 = 0, c: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status: Int32 = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return -1 }
            return message.withUnsafeMutableBufferPointer { m in
                guard let text = m.baseAddress else { return -2 }
                return body(base, raw.count, &out, &w, &h, &c, text, m.count)
            }
        }
        defer { free(out) }
        if status == -1 { throw DataError.decodeFailed(path: path, reason: "the file is empty") }
        guard status == 0, let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError.decodeFailed(path: path, reason: describe(status) + (text.isEmpty ? "" : ": " + text))
        }
        let count = Int(w) * Int(h) * Int(c)
        return DecodedImage(
            width: Int(w), height: Int(h), channels: Int(c),
            pixels: Array(UnsafeBufferPointer(start: out, count: count)))
    }

    static func decodePNG(_ data: Data, path: String) throws -> DecodedImage {
        // IHDR's bit depth is byte 24 (signature 8, chunk length 4, type 4, width 4, height 4).
        if data.count > 24, data[data.startIndex + 24] == 16 {
            return try run(data, path: path, describe: { _ in "libpng" }) { d, n, out, w, h, c, m, ml in
                hm_png_decode_scaled(d, n, out, w, h, c, m, ml)
            }
        }
        return try run(data, path: path, describe: { _ in "libpng" }) { d, n, out, w, h, c, m, ml in
            hm_png_decode(d, n, out, w, h, c, m, ml)
        }
    }

    static func decodeJPEG(_ data: Data, path: String) throws -> DecodedImage {
        try run(
            data, path: path,
            describe: { status in
                switch Int(status) {
                case Int(HM_JPEG_CORRUPT_DATA): return "libjpeg: corrupt or truncated data"
                case Int(HM_JPEG_UNSUPPORTED_COLOR): return "unsupported colour space"
                default: return "libjpeg"
                }
            }
        ) { d, n, out, w, h, c, m, ml in
            hm_jpeg_decode(d, UInt(n), out, w, h, c, m, ml)
        }
    }

    /// Encodes interleaved 8-bit pixels (1-4 channels) as PNG.
    public static func encodePNG(_ image: DecodedImage) throws -> Data {
        try image.pixels.withUnsafeBytes { px in
            try encode { out, size, m, ml in
                hm_png_encode(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels), 8, out, size, m, ml)
            }
        }
    }

    /// Encodes interleaved 16-bit linear samples (1-4 channels) as a 16-bit PNG.
    public static func encodePNG16(width: Int, height: Int, channels: Int, samples: [UInt16]) throws -> Data {
        try samples.withUnsafeBytes { px in
            try encode { out, size, m, ml in
                hm_png_encode(px.baseAddress, Int32(width), Int32(height), Int32(channels), 16, out, size, m, ml)
            }
        }
    }

    /// Encodes gray (1 channel), RGB (3) or CMYK (4) pixels as JPEG.
    public static func encodeJPEG(_ image: DecodedImage, quality: Int = 95, progressive: Bool = false) throws -> Data {
        guard [1, 3, 4].contains(image.channels) else {
            throw DataError.invalidArgument("JPEG encoding takes 1, 3 or 4 channels, found \(image.channels)")
        }
        return try image.pixels.withUnsafeBufferPointer { px in
            try encode { out, size, m, ml in
                var n: UInt = 0
                let s = hm_jpeg_encode(
                    px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                    Int32(quality), progressive ? 1 : 0, out, &n, m, ml)
                size.pointee = Int(n)
                return s
            }
        }
    }

    private static func encode(
        _ body: (
            UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
            UnsafeMutablePointer<CChar>, Int
        ) -> Int32
    ) throws -> Data {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { m -> Int32 in
            guard let text = m.baseAddress else { return -2 }
            return body(&out, &size, text, m.count)
        }
        defer { free(out) }
        guard status == 0, let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError.invalidArgument("image encoding failed: \(text)")
        }
        return Data(bytes: out, count: size)
    }
}
