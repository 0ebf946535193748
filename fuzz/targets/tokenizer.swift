import Foundation
import Tokenizers

/// `tokenizer.json`: the JSON reader, every model, normaliser, pre-tokeniser and
/// post-processor it builds, then one encoding through what was built.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let url = FuzzInput.file(start, count, name: "tokenizer.json")
    if let tokenizer = try? Tokenizer.fromJSON(url) {
        _ = try? tokenizer.encode("Hello, world! Ünïcödé 123 ##x", pair: "a second text")
    }
    return 0
}
