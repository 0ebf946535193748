import Foundation
import Hub

/// Model cards and `hub.json` entries: JSON to `ModelCard` (strict keys), the checks
/// that run before any model is loaded, and the card written back. A top-level list
/// or `{"models": [...]}` is taken entry by entry, as `HubManifest` reads hub.json.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return 0 }
    var entries = [Any]()
    if let list = json as? [Any] {
        entries = list
    } else if let object = json as? [String: Any] {
        entries = (object["models"] as? [Any]) ?? [object]
    }
    for entry in entries {
        guard let object = entry as? [String: Any], let bytes = try? JSONSerialization.data(withJSONObject: object),
            let card = try? JSONDecoder().decode(ModelCard.self, from: bytes)
        else { continue }
        if card.validationProblem() == nil {
            _ = try? JSONEncoder().encode(card)
        }
    }
    return 0
}
