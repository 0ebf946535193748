import Support
/// Writes `.npy` files: version 1.0 (2.0 only if the header would not fit), little
/// endian, C order — the variant every NumPy since 1.0 and every other reader accepts.
enum NpyWriter {
    static func write(_ array: NumericArray, path: String, into sink: inout some ByteSink) throws {
        guard let descr = array.dtype.numpyDescr else {
            throw FeatureIOError.invalidArgument(
                path: path, message: "dtype \(array.dtype.rawValue) has no NumPy equivalent; write safetensors or choose float32")
        }
        try sink.write(header(descr: descr, shape: array.shape))
        try ElementEncoder.write(array.values, as: array.dtype, path: path, into: &sink)
    }

    /// The preamble and header, padded with spaces so the data starts on a 64-byte
    /// boundary (NumPy's choice, so the data can be memory-mapped aligned).
    static func header(descr: String, shape: [Int]) -> [UInt8] {
        let dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(formatShape(shape)), }"
        var version: UInt8 = 1
        var preamble = 10
        var total = (preamble + dict.utf8.count + 1 + 63) / 64 * 64
        if total - preamble > 65535 {
            version = 2
            preamble = 12
            total = (preamble + dict.utf8.count + 1 + 63) / 64 * 64
        }
        let headerLength = total - preamble
        var out: [UInt8] = NpyReader.magic + [version, 0]
        if version == 1 {
            out += [UInt8(headerLength & 0xff), UInt8(headerLength >> 8)]
        } else {
            out += (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xff) }
        }
        out += Array(dict.utf8)
        out += [UInt8](repeating: UInt8(ascii: " "), count: headerLength - dict.utf8.count - 1)
        out.append(UInt8(ascii: "\n"))
        return out
    }
}
