import Support
/// Converts `Double` values to a file dtype, little endian, in chunks.
///
/// Integer and bool dtypes refuse values they cannot hold exactly (0.5 as int64,
/// 300 as uint8, NaN as anything but a float) instead of silently truncating, since a
/// silently changed label is worse than an error. Narrow floats round (that is what
/// choosing float32 means) but a finite value too large for them is refused rather
/// than turned into an infinity the ranking layer would later reject.
enum ElementEncoder {
    static let chunkElements = 1 << 16

    static func write(_ values: [Double], as dtype: ElementType, path: String, into sink: inout some ByteSink) throws {
        let size = dtype.byteCount
        var chunk = [UInt8](repeating: 0, count: chunkElements * size)
        var start = 0
        while start < values.count {
            let end = min(start + chunkElements, values.count)
            try chunk.withUnsafeMutableBytes { out in
                try values.withUnsafeBufferPointer { all in
                    try encode(
                        UnsafeBufferPointer(rebasing: all[start..<end]), firstIndex: start, as: dtype,
                        path: path, into: out)
                }
            }
            try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<((end - start) * size)])) }
            start = end
        }
    }

    private static func encode(
        _ values: UnsafeBufferPointer<Double>, firstIndex: Int, as dtype: ElementType,
        path: String, into out: UnsafeMutableRawBufferPointer
    ) throws {
        guard let base = out.baseAddress else { return }
        if dtype.isInteger || dtype == .bool {
            for (k, v) in values.enumerated() where !dtype.fits(v) {
                throw FeatureIOError.notRepresentable(path: path, index: firstIndex + k, value: v, dtype: dtype.rawValue)
            }
        }
        func overflow(_ k: Int) -> FeatureIOError {
            .notRepresentable(path: path, index: firstIndex + k, value: values[k], dtype: dtype.rawValue)
        }
        func store<T: FixedWidthInteger>(_ k: Int, _ bits: T) {
            base.storeBytes(of: bits.littleEndian, toByteOffset: k * MemoryLayout<T>.size, as: T.self)
        }
        switch dtype {
        case .float64: for (k, v) in values.enumerated() { store(k, v.bitPattern) }
        case .float32:
            for (k, v) in values.enumerated() {
                let f = Float(v)
                if f.isInfinite && v.isFinite { throw overflow(k) }
                store(k, f.bitPattern)
            }
        case .float16:
            for (k, v) in values.enumerated() {
                let bits = doubleToHalfBits(v)
                if bits & 0x7fff == 0x7c00 && v.isFinite { throw overflow(k) }
                store(k, bits)
            }
        case .bfloat16:
            for (k, v) in values.enumerated() {
                let bits = doubleToBFloat16Bits(v)
                if bits & 0x7fff == 0x7f80 && v.isFinite { throw overflow(k) }
                store(k, bits)
            }
        case .bool: for (k, v) in values.enumerated() { store(k, UInt8(v == 0 ? 0 : 1)) }
        case .int8: for (k, v) in values.enumerated() { store(k, Int8(v)) }
        case .int16: for (k, v) in values.enumerated() { store(k, Int16(v)) }
        case .int32: for (k, v) in values.enumerated() { store(k, Int32(v)) }
        case .int64: for (k, v) in values.enumerated() { store(k, Int64(v)) }
        case .uint8: for (k, v) in values.enumerated() { store(k, UInt8(v)) }
        case .uint16: for (k, v) in values.enumerated() { store(k, UInt16(v)) }
        case .uint32: for (k, v) in values.enumerated() { store(k, UInt32(v)) }
        case .uint64: for (k, v) in values.enumerated() { store(k, UInt64(v)) }
        }
    }
}
