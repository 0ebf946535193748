/// HTML text helpers.
public enum HTML {
    /// Escapes text for element content and for double- or single-quoted
    /// attribute values alike.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A fragment usable in an `id` attribute: lower-case letters, digits and
    /// hyphens (metric and method names may hold anything).
    public static func idFragment(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.hasSuffix("-") {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : out
    }
}

/// Hands out element ids that stay unique even when two names map to the same
/// fragment ("a b" and "a-b").
struct IDAllocator {
    private var used = Set<String>()

    mutating func id(_ prefix: String, _ name: String) -> String {
        let base = prefix + "-" + HTML.idFragment(name)
        var candidate = base, counter = 2
        while used.contains(candidate) { candidate = "\(base)-\(counter)"; counter += 1 }
        used.insert(candidate)
        return candidate
    }
}
