/// Converts raw file elements to `Double`, straight from the (mapped) file bytes into
/// the output array, so a large feature file is never held twice in memory.
///
/// Strides are in bytes on the source side and in elements on the destination side;
/// the common case (contiguous in, contiguous out, native byte order) gets its own
/// loop so the optimizer can turn it into a tight vectorizable pass.
enum ElementDecoder {
    static let hostIsBigEndian = 1.bigEndian == 1

    static func decode(
        _ dtype: ElementType, bigEndian: Bool,
        from src: UnsafeRawPointer, sourceStride: Int,
        into dst: UnsafeMutablePointer<Double>, destinationStride: Int,
        count: Int
    ) {
        let swap = bigEndian != hostIsBigEndian
        let s = sourceStride, d = destinationStride
        switch dtype {
        case .float32: run(UInt32.self, swap, src, s, dst, d, count) { Double(Float(bitPattern: $0)) }
        case .float64: run(UInt64.self, swap, src, s, dst, d, count) { Double(bitPattern: $0) }
        case .float16: run(UInt16.self, swap, src, s, dst, d, count) { halfBitsToDouble($0) }
        case .bfloat16: run(UInt16.self, swap, src, s, dst, d, count) { bfloat16BitsToDouble($0) }
        case .bool: run(UInt8.self, false, src, s, dst, d, count) { $0 != 0 ? 1 : 0 }
        case .int8: run(UInt8.self, false, src, s, dst, d, count) { Double(Int8(bitPattern: $0)) }
        case .uint8: run(UInt8.self, false, src, s, dst, d, count) { Double($0) }
        case .int16: run(UInt16.self, swap, src, s, dst, d, count) { Double(Int16(bitPattern: $0)) }
        case .uint16: run(UInt16.self, swap, src, s, dst, d, count) { Double($0) }
        case .int32: run(UInt32.self, swap, src, s, dst, d, count) { Double(Int32(bitPattern: $0)) }
        case .uint32: run(UInt32.self, swap, src, s, dst, d, count) { Double($0) }
        // 64-bit integers beyond 2^53 round to the nearest double; labels never get there.
        case .int64: run(UInt64.self, swap, src, s, dst, d, count) { Double(Int64(bitPattern: $0)) }
        case .uint64: run(UInt64.self, swap, src, s, dst, d, count) { Double($0) }
        }
    }

    @inline(__always)
    private static func run<Raw: FixedWidthInteger>(
        _: Raw.Type, _ swap: Bool,
        _ src: UnsafeRawPointer, _ sourceStride: Int,
        _ dst: UnsafeMutablePointer<Double>, _ destinationStride: Int,
        _ count: Int, _ map: (Raw) -> Double
    ) {
        let size = MemoryLayout<Raw>.size
        if !swap && sourceStride == size && destinationStride == 1 {
            for k in 0..<count {
                dst[k] = map(src.loadUnaligned(fromByteOffset: k &* size, as: Raw.self))
            }
        } else if swap {
            for k in 0..<count {
                dst[k &* destinationStride] =
                    map(src.loadUnaligned(fromByteOffset: k &* sourceStride, as: Raw.self).byteSwapped)
            }
        } else {
            for k in 0..<count {
                dst[k &* destinationStride] = map(src.loadUnaligned(fromByteOffset: k &* sourceStride, as: Raw.self))
            }
        }
    }
}

/// Where an array's elements live in a file and how they are laid out.
struct RawArray: @unchecked Sendable {
    /// Path (and member) for error messages.
    let path: String
    let shape: [Int]
    let dtype: ElementType
    let bigEndian: Bool
    let fortranOrder: Bool
    /// Exactly `elementCount * dtype.byteCount` bytes.
    let data: ByteSlice

    var elementCount: Int { shape.reduce(1, *) }

    /// (rows, columns) when the array can be read as a matrix: 1-D arrays are one column.
    func matrixShape() throws -> (rows: Int, columns: Int) {
        switch shape.count {
        case 1: return (shape[0], 1)
        case 2: return (shape[0], shape[1])
        default: throw FeatureIOError.wrongRank(path: path, shape: shape, expected: "a 1-D or 2-D array")
        }
    }

    /// All elements, converted and rearranged into C order.
    func readAll() -> NumericArray {
        let n = elementCount
        let values: [Double]
        if !fortranOrder || shape.count <= 1 || n == 0 {
            values = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
                if let out = buffer.baseAddress, let src = data.bytes.baseAddress {
                    ElementDecoder.decode(
                        dtype, bigEndian: bigEndian, from: src, sourceStride: dtype.byteCount,
                        into: out, destinationStride: 1, count: n)
                }
                initialized = n
            }
        } else if shape.count == 2 {
            values = decodeRows(0..<shape[0], rows: shape[0], columns: shape[1])
        } else {
            values = readFortranND()
        }
        return NumericArray(shape: shape, dtype: dtype, values: values)
    }

    /// Rows `range` of the matrix view, in row-major order.
    func decodeRows(_ range: Range<Int>, rows: Int, columns: Int) -> [Double] {
        let size = dtype.byteCount
        let n = range.count * columns
        return [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            defer { initialized = n }
            guard n > 0, let out = buffer.baseAddress, let src = data.bytes.baseAddress else { return }
            if !fortranOrder {
                ElementDecoder.decode(
                    dtype, bigEndian: bigEndian,
                    from: src + range.lowerBound * columns * size, sourceStride: size,
                    into: out, destinationStride: 1, count: n)
                return
            }
            // Column-major source: each column's run of rows is contiguous. Work in
            // 64 x 64 tiles so the source runs and destination rows a tile touches stay
            // in cache and the TLB (a whole row block per column thrashes both).
            let tile = 64
            var r0 = range.lowerBound
            while r0 < range.upperBound {
                let r1 = Swift.min(r0 + tile, range.upperBound)
                var c0 = 0
                while c0 < columns {
                    let c1 = Swift.min(c0 + tile, columns)
                    for j in c0..<c1 {
                        ElementDecoder.decode(
                            dtype, bigEndian: bigEndian,
                            from: src + (j * rows + r0) * size, sourceStride: size,
                            into: out + (r0 - range.lowerBound) * columns + j,
                            destinationStride: columns, count: r1 - r0)
                    }
                    c0 = c1
                }
                r0 = r1
            }
        }
    }

    /// Fortran order for rank > 2: walk the output in C order, reading the source with
    /// Fortran strides. Rare in feature files, so clarity wins over speed here.
    private func readFortranND() -> [Double] {
        let n = elementCount
        let rank = shape.count
        let size = dtype.byteCount
        var strides = [Int](repeating: 1, count: rank) // Fortran strides, in elements
        for axis in 1..<rank { strides[axis] = strides[axis - 1] * shape[axis - 1] }
        let inner = shape[rank - 1]
        return [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            defer { initialized = n }
            guard let out = buffer.baseAddress, let src = data.bytes.baseAddress else { return }
            var index = [Int](repeating: 0, count: rank - 1)
            var written = 0
            while written < n {
                var offset = 0
                for axis in 0..<(rank - 1) { offset += index[axis] * strides[axis] }
                ElementDecoder.decode(
                    dtype, bigEndian: bigEndian,
                    from: src + offset * size, sourceStride: strides[rank - 1] * size,
                    into: out + written, destinationStride: 1, count: inner)
                written += inner
                var axis = rank - 2
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}

/// The product of `shape` times `itemSize`, or nil on overflow, so a hostile header
/// cannot make us allocate or index past the end.
func checkedByteCount(shape: [Int], itemSize: Int) -> Int? {
    var total = itemSize
    for dim in shape {
        guard dim >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dim)
        if overflow { return nil }
        total = product
    }
    return total
}
