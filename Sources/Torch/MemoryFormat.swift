internal import CTorch

/// How the values of a rank-4 (N, C, H, W) tensor are laid out in memory.
public enum MemoryFormat: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    /// NCHW, row-major: PyTorch's default.
    case contiguous
    /// NHWC: the channels of a pixel side by side, which many convolution kernels prefer.
    case channelsLast = "channels_last"

    public var description: String { rawValue }

    var code: Int32 {
        switch self {
        case .contiguous: return Int32(HT_MEMORY_FORMAT_CONTIGUOUS)
        case .channelsLast: return Int32(HT_MEMORY_FORMAT_CHANNELS_LAST)
        }
    }
}
