import Foundation
import TestSupport
import Testing

/// A fresh temporary directory; remove it with `cleanup`.
func makeTempDir(_ name: String = #function) throws -> URL {
    try TemporaryDirectory.make("hubminer-zoo-\(name.filter { $0.isLetter || $0.isNumber })")
}

func cleanup(_ url: URL) { TemporaryDirectory.remove(url) }
