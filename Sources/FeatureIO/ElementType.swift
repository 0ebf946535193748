/// The element types HubMiner can read from and write to feature files.
///
/// All of them are converted to `Double` on reading, because the ranking math works in
/// double precision whatever the network emitted. The dtype is kept so callers can tell
/// labels (integers, bools) from features (floats) and so writers can round-trip it.
public enum ElementType: String, Sendable, CaseIterable, Equatable {
    case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64
    case float16, bfloat16, float32, float64

    /// True for signed and unsigned integers (not `bool`): the types labels come in.
    public var isInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
        default: return false
        }
    }

    /// True for the IEEE-like float types, the types features come in.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64: return true
        default: return false
        }
    }

    /// Bytes per element in the file.
    public var byteCount: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .int16, .uint16, .float16, .bfloat16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    var isSigned: Bool {
        switch self {
        case .int8, .int16, .int32, .int64: return true
        default: return false
        }
    }

    /// The NumPy kind/size code without byte order (`f4`, `i8`, `b1`); nil for bfloat16,
    /// which NumPy has no standard dtype for.
    var numpyCode: String? {
        switch self {
        case .bool: return "b1"
        case .int8: return "i1"
        case .int16: return "i2"
        case .int32: return "i4"
        case .int64: return "i8"
        case .uint8: return "u1"
        case .uint16: return "u2"
        case .uint32: return "u4"
        case .uint64: return "u8"
        case .float16: return "f2"
        case .float32: return "f4"
        case .float64: return "f8"
        case .bfloat16: return nil
        }
    }

    /// The NumPy `descr` string as written in little-endian `.npy` headers.
    var numpyDescr: String? {
        guard let code = numpyCode else { return nil }
        return (byteCount == 1 ? "|" : "<") + code
    }

    /// The safetensors dtype name.
    var safetensorsName: String {
        switch self {
        case .bool: return "BOOL"
        case .int8: return "I8"
        case .int16: return "I16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        case .uint16: return "U16"
        case .uint32: return "U32"
        case .uint64: return "U64"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float32: return "F32"
        case .float64: return "F64"
        }
    }

    init?(safetensorsName name: String) {
        guard let match = ElementType.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = match
    }

    /// The inclusive range an integer dtype can hold, as doubles (exact for every bound
    /// except the 64-bit maxima, which are handled separately by `fits`).
    func fits(_ value: Double) -> Bool {
        switch self {
        case .float16, .bfloat16, .float32, .float64:
            return true
        case .bool:
            return value == 0 || value == 1
        default:
            guard value.isFinite, value.rounded(.towardZero) == value else { return false }
            switch self {
            case .int8: return value >= -128 && value <= 127
            case .int16: return value >= -32768 && value <= 32767
            case .int32: return value >= -2147483648 && value <= 2147483647
            // 2^63 and 2^64 are exact doubles; the top values themselves are not.
            case .int64: return value >= -9223372036854775808.0 && value < 9223372036854775808.0
            case .uint8: return value >= 0 && value <= 255
            case .uint16: return value >= 0 && value <= 65535
            case .uint32: return value >= 0 && value <= 4294967295
            case .uint64: return value >= 0 && value < 18446744073709551616.0
            default: return false
            }
        }
    }
}

// MARK: - Half-precision conversions by bits
//
// Written by hand rather than through `Float16`, which is unavailable on some
// platforms Swift supports and would tie this file to them.

/// IEEE 754 binary16 bits to Double (exact: every half value is a double).
@inline(__always)
func halfBitsToDouble(_ h: UInt16) -> Double {
    let sign: Double = (h & 0x8000) != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1f)
    let fraction = Int(h & 0x3ff)
    if exponent == 0 {
        // Zero or subnormal: fraction * 2^-24.
        return sign * Double(fraction) * 0x1p-24
    }
    if exponent == 0x1f {
        return fraction == 0 ? sign * .infinity : .nan
    }
    return sign * Double(1024 + fraction) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
}

/// Double to IEEE 754 binary16 bits, rounding to nearest even (as NumPy does).
func doubleToHalfBits(_ value: Double) -> UInt16 {
    let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
    if value.isNaN { return 0x7e00 }
    let magnitude = abs(value)
    if magnitude.isInfinite { return sign | 0x7c00 }
    // Largest half is 65504; anything that rounds beyond it becomes infinity.
    if magnitude >= 65520 { return sign | 0x7c00 }
    if magnitude < 0x1p-14 {
        // Subnormal range: units of 2^-24, round half to even.
        let units = (magnitude * 0x1p24).rounded(.toNearestOrEven)
        return sign | UInt16(units)
    }
    let exponent = Int(magnitude.exponent) // -14 ... 15
    let scaled = magnitude * Double(sign: .plus, exponent: 10 - exponent, significand: 1) // in [1024, 2048)
    var mantissa = Int(scaled.rounded(.toNearestOrEven))
    var biased = exponent + 15
    if mantissa == 2048 { mantissa = 1024; biased += 1 }
    if biased >= 0x1f { return sign | 0x7c00 }
    return sign | UInt16(biased << 10) | UInt16(mantissa - 1024)
}

/// bfloat16 bits (the top half of a float32) to Double.
@inline(__always)
func bfloat16BitsToDouble(_ b: UInt16) -> Double {
    Double(Float(bitPattern: UInt32(b) << 16))
}

/// Double to bfloat16 bits via float32, rounding to nearest even (as PyTorch does).
func doubleToBFloat16Bits(_ value: Double) -> UInt16 {
    let f = Float(value)
    if f.isNaN { return 0x7fc0 }
    let bits = f.bitPattern
    let rounding = UInt32(0x7fff) + ((bits >> 16) & 1)
    let (sum, _) = bits.addingReportingOverflow(rounding)
    return UInt16(truncatingIfNeeded: sum >> 16)
}
