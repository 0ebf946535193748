internal import CZlib

/// Thin wrappers over zlib for zip members: raw deflate streams (no zlib header,
/// negative window bits) and CRC-32. zlib's length arguments are 32-bit, so large
/// buffers are fed in pieces.
enum Zlib {
    private static let piece = 1 << 30

    static func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = UInt(initial)
        guard var base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return initial }
        var remaining = bytes.count
        while remaining > 0 {
            let n = min(remaining, piece)
            crc = CZlib.crc32(crc, base, uInt(n))
            base += n
            remaining -= n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    enum InflateFailure: Error {
        case corrupt(String)
        case sizeMismatch(produced: Int)
    }

    /// Inflates a raw deflate stream into exactly `output.count` bytes; a stream that
    /// ends early, runs long or is corrupt is an error.
    static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(InflateFailure) {
        var stream = z_stream()
        let status = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .corrupt("inflateInit2 failed (\(status))") }
        defer { inflateEnd(&stream) }
        // Once the output is full, one spare byte tells "stream ends here" from "too long".
        let spare = UnsafeMutablePointer<Bytef>.allocate(capacity: 1)
        defer { spare.deallocate() }

        var inOffset = 0
        var outOffset = 0
        while true {
            if stream.avail_in == 0, inOffset < input.count, let base = input.baseAddress {
                let n = min(input.count - inOffset, piece)
                stream.next_in = UnsafeMutablePointer(mutating: (base + inOffset).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(n)
                inOffset += n
            }
            var usingSpare = false
            if stream.avail_out == 0 {
                let room = min(output.count - outOffset, piece)
                if room > 0, let base = output.baseAddress {
                    stream.next_out = (base + outOffset).assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(room)
                    outOffset += room
                } else {
                    stream.next_out = spare
                    stream.avail_out = 1
                    usingSpare = true
                }
            }
            let result = CZlib.inflate(&stream, Z_NO_FLUSH)
            if usingSpare {
                if stream.avail_out == 0 { throw .sizeMismatch(produced: output.count + 1) }
                stream.avail_out = 0
            }
            switch result {
            case Z_STREAM_END:
                let produced = Int(stream.total_out)
                if produced != output.count { throw .sizeMismatch(produced: produced) }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if stream.avail_in == 0 && inOffset >= input.count {
                    throw .corrupt("the compressed stream ends early")
                }
                continue
            default:
                throw .corrupt(message(stream, result))
            }
        }
    }

    private static func message(_ stream: z_stream, _ code: Int32) -> String {
        if let msg = stream.msg { return String(cString: msg) }
        return "zlib error \(code)"
    }

    /// Compresses `input` into a raw deflate stream (level 6, zlib's default trade-off).
    static func deflate(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var inOffset = 0
        while true {
            var flush = Z_NO_FLUSH
            if stream.avail_in == 0 {
                let n = min(input.count - inOffset, piece)
                if n > 0, let base = input.baseAddress {
                    stream.next_in = UnsafeMutablePointer(mutating: (base + inOffset).assumingMemoryBound(to: Bytef.self))
                    stream.avail_in = uInt(n)
                    inOffset += n
                }
            }
            if inOffset >= input.count { flush = Z_FINISH }
            let result: Int32 = chunk.withUnsafeMutableBufferPointer { buf in
                stream.next_out = buf.baseAddress
                stream.avail_out = uInt(buf.count)
                return CZlib.deflate(&stream, flush)
            }
            let produced = chunk.count - Int(stream.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            if result == Z_STREAM_END { return output }
            if result != Z_OK && result != Z_BUF_ERROR { return nil }
        }
    }
}
