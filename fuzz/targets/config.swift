import Foundation
import Tuning

/// Run configurations: YAML (through the bounded node conversion) or JSON, then the
/// strict decoder, as `hubminer tune --config` reads them. The first byte picks the
/// format, so both grow from one corpus.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let yaml = count == 0 || start![0] != UInt8(ascii: "{")
    let url = FuzzInput.file(start, count, name: yaml ? "tune.yaml" : "tune.json")
    _ = try? ConfigurationFile.load(url.path)
    return 0
}
