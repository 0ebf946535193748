import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One line for an error, as the command-line programs print it.
///
/// The project's own errors describe themselves ("file: field: expected ...").
/// Foundation's file errors do not: printed as they are they become a multi-line
/// `Error Domain=NSCocoaErrorDomain Code=513 ... UserInfo={...}` dump. Those are
/// reduced to "PATH: reason" (the reason from the underlying system error).
public enum ErrorText {
    public static func oneLine(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError { return describe(cocoa) }
        return "\(error)"
    }

    static func describe(_ error: CocoaError) -> String {
        let path = error.filePath ?? error.url?.path
        var reason: String?
        if let underlying = error.underlying as NSError?, underlying.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(underlying.code))).lowercased()
        }
        if reason == nil {
            switch error.code {
            case .fileWriteNoPermission, .fileReadNoPermission: reason = "permission denied"
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or directory"
            case .fileWriteOutOfSpace: reason = "no space left on device"
            case .fileWriteVolumeReadOnly: reason = "read-only file system"
            case .fileWriteFileExists: reason = "file exists"
            default: reason = error.localizedDescription.split(separator: "\n").first.map(String.init) ?? "file error \(error.code.rawValue)"
            }
        }
        return path.map { "\($0): \(reason!)" } ?? reason!
    }
}
