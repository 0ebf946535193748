import FeatureIO
import Foundation

/// `.npy`: header parsing, shapes against the file's length, every dtype's decoder.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.file(start, count, name: "input.npy")
    _ = try? FeatureFile.readArray(at: url)
    _ = try? MatrixRowReader(url: url).readRows(0..<0)
    return 0
}
