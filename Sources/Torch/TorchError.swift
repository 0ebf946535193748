internal import CTorch
import Foundation

/// Errors thrown by the Torch layer.
///
/// Every libtorch failure (a C++ exception inside the shim) arrives as
/// `.libtorch` with libtorch's own message, for example
/// "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)". The other cases are
/// checks the Swift layer makes before calling libtorch.
public enum TorchError: Error, CustomStringConvertible, Equatable {
    /// libtorch raised an exception while running `operation`.
    case libtorch(operation: String, message: String)
    /// The element count or rank does not fit the requested shape.
    case shapeMismatch(operation: String, expected: [Int], actual: [Int])
    /// The tensor's element type is not the one the operation needs.
    case dtypeMismatch(operation: String, expected: DType, actual: DType)
    /// An argument is out of its valid range.
    case invalidArgument(operation: String, message: String)
    /// A script module has no method of that name.
    case missingMethod(module: String, method: String)
    /// A device was asked for that this machine cannot provide.
    case deviceUnavailable(device: String, message: String)
    /// A model file this libtorch cannot load, with what to do about it.
    case incompatibleModel(path: String, message: String)

    public var description: String {
        switch self {
        case let .libtorch(operation, message):
            return "\(operation): \(message)"
        case let .shapeMismatch(operation, expected, actual):
            return "\(operation): shape mismatch, expected \(expected), got \(actual)"
        case let .dtypeMismatch(operation, expected, actual):
            return "\(operation): dtype mismatch, expected \(expected), got \(actual)"
        case let .invalidArgument(operation, message):
            return "\(operation): \(message)"
        case let .missingMethod(module, method):
            return "module \(module) has no method '\(method)'"
        case let .deviceUnavailable(device, message):
            return "device \(device) unavailable: \(message)"
        case let .incompatibleModel(path, message):
            return "\(path): \(message)"
        }
    }
}

/// The shim's thread-local message for the last failure, copied at once (the
/// next failing call on this thread overwrites it).
package func lastErrorMessage() -> String {
    guard let message = ht_last_error() else { return "unknown libtorch error" }
    // TorchScript's messages start with a newline and end with source excerpts.
    let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? "unknown libtorch error" : text
}

/// Throws `.libtorch` when a shim call reports failure.
@inline(__always)
package func check(_ operation: @autoclosure () -> String, _ status: Int32) throws {
    if status != 0 {
        throw TorchError.libtorch(operation: operation(), message: lastErrorMessage())
    }
}

/// Takes ownership of a malloc'd C string from the shim.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    defer { ht_string_free(pointer) }
    return String(cString: pointer)
}

/// Calls a shim function that returns a malloc'd string.
func stringResult(_ operation: String, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32) throws -> String {
    var out: UnsafeMutablePointer<CChar>? = nil
    try check(operation, body(&out))
    return takeString(out)
}
