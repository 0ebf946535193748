import Foundation
import Torch

/// The floating-point type a model computes its features in (`--precision`).
/// Features always come back as float32; only the forward pass is reduced.
package enum InferencePrecision: String, Sendable, CaseIterable, Codable {
    case float32
    /// bfloat16: float32's range with 8 bits of mantissa; CPUs and GPUs.
    case bfloat16
    /// float16 (half): CUDA devices only (CPU kernels for it are slow or missing).
    case float16

    package var dtype: DType {
        switch self {
        case .float32: return .float32
        case .bfloat16: return .bfloat16
        case .float16: return .float16
        }
    }

    /// Refuses a precision the device cannot run well, with what to use instead.
    package func check(device: Device) throws {
        if self == .float16 && device == .cpu {
            throw HubError.invalidArgument("--precision float16 needs a CUDA device (--device cuda); on the CPU use bfloat16")
        }
    }
}

/// The layout and batch size a model's forward passes run fastest with, as the
/// probe on real samples measured them (`FeatureExtractor.chooseLayout`).
package struct LayoutChoice: Sendable, Equatable {
    package struct Timing: Sendable, Equatable {
        package var memoryFormat: MemoryFormat
        package var batchSize: Int
        package var secondsPerSample: Double
    }

    package var memoryFormat: MemoryFormat
    package var batchSize: Int
    /// Every configuration timed, in timing order.
    package var timings: [Timing]
    /// Wall seconds the probe took (re-freezing included).
    package var probeSeconds: Double

    /// One line for the run log.
    package var summary: String {
        let shown = timings.map { String(format: "%@@%d %.2f ms", $0.memoryFormat.rawValue, $0.batchSize, $0.secondsPerSample * 1000) }
        return "\(memoryFormat)@\(batchSize) (per sample: \(shown.joined(separator: ", ")); probe \(String(format: "%.1f", probeSeconds)) s)"
    }
}
