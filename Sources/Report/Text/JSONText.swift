import Foundation

/// The JSON text renderers print: pretty-printed, keys sorted (so output is stable
/// across runs and diffs well), ending with a newline.
package enum JSONText {
    package static func pretty(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
