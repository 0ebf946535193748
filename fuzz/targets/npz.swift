import FeatureIO
import Foundation

/// `.npz`: the zip directory, stored and deflated members, then each member's `.npy`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.file(start, count, name: "input.npz")
    for key in (try? FeatureFile.keys(at: url)) ?? [] { _ = try? FeatureFile.readArray(at: url, key: key) }
    _ = try? FeatureFile.readArray(at: url)
    return 0
}
