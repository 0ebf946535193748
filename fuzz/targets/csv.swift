import FeatureIO
import Foundation

/// Numeric CSV: separators, quoting, headers, ragged rows, number syntax.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.file(start, count, name: "input.csv")
    _ = try? FeatureFile.readMatrix(at: url)
    _ = try? FeatureFile.csvHeader(at: url)
    return 0
}
