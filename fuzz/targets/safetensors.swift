import FeatureIO
import Foundation

/// safetensors: the length-prefixed JSON header, offsets against the data, dtypes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.file(start, count, name: "input.safetensors")
    for key in (try? FeatureFile.keys(at: url)) ?? [] { _ = try? FeatureFile.readArray(at: url, key: key) }
    return 0
}
