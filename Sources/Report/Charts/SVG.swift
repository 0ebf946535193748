/// Builds one inline `<svg>` element as text.
///
/// Elements are appended in drawing order (later ones paint over earlier ones).
/// Every text and attribute value goes through `HTML.escape`, and every number
/// through `NumberText.coordinate`, so the output is valid markup, byte-for-byte
/// the same for the same input, and never holds "nan".
public struct SVGCanvas: Sendable {
    public let width: Double
    public let height: Double
    private var body: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    public enum Anchor: String, Sendable { case start, middle, end }

    private static func n(_ value: Double) -> String { NumberText.coordinate(value) }

    private static func attributes(_ pairs: [(String, String?)]) -> String {
        pairs.compactMap { key, value in value.map { " \(key)=\"\(HTML.escape($0))\"" } }.joined()
    }

    public mutating func line(
        _ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
        width: Double = 1, dash: String? = nil, className: String? = nil
    ) {
        body.append(
            "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\""
                + Self.attributes([
                    ("stroke", stroke), ("stroke-width", Self.n(width)), ("stroke-dasharray", dash),
                    ("class", className),
                ]) + "/>")
    }

    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        opacity: Double? = nil, className: String? = nil, title: String? = nil
    ) {
        let open =
            "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(max(0, width)))\" height=\"\(Self.n(max(0, height)))\""
            + Self.attributes([("fill", fill), ("fill-opacity", opacity.map(Self.n)), ("class", className)])
        body.append(Self.closing(open, tag: "rect", title: title))
    }

    public mutating func circle(
        cx: Double, cy: Double, r: Double, fill: String, stroke: String? = nil,
        className: String? = nil, title: String? = nil
    ) {
        let open =
            "<circle cx=\"\(Self.n(cx))\" cy=\"\(Self.n(cy))\" r=\"\(Self.n(r))\""
            + Self.attributes([("fill", fill), ("stroke", stroke), ("class", className)])
        body.append(Self.closing(open, tag: "circle", title: title))
    }

    /// A polyline through `points` (nothing when fewer than two).
    public mutating func polyline(
        _ points: [(Double, Double)], stroke: String, width: Double = 2,
        dash: String? = nil, className: String? = nil, title: String? = nil
    ) {
        guard points.count >= 2 else { return }
        let d = points.enumerated().map { i, p in (i == 0 ? "M" : "L") + Self.n(p.0) + " " + Self.n(p.1) }.joined(separator: " ")
        let open =
            "<path d=\"\(d)\" fill=\"none\""
            + Self.attributes([
                ("stroke", stroke), ("stroke-width", Self.n(width)),
                ("stroke-dasharray", dash), ("stroke-linejoin", "round"), ("class", className),
            ])
        body.append(Self.closing(open, tag: "path", title: title))
    }

    /// A closed, filled polygon (nothing when fewer than three points).
    public mutating func polygon(_ points: [(Double, Double)], fill: String, opacity: Double, className: String? = nil) {
        guard points.count >= 3 else { return }
        let d = points.enumerated().map { i, p in (i == 0 ? "M" : "L") + Self.n(p.0) + " " + Self.n(p.1) }.joined(separator: " ") + " Z"
        body.append(
            "<path d=\"\(d)\""
                + Self.attributes([
                    ("fill", fill), ("fill-opacity", Self.n(opacity)),
                    ("stroke", "none"), ("class", className),
                ]) + "/>")
    }

    public mutating func text(
        _ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 11,
        fill: String = Palette.text, weight: String? = nil, rotate: Double? = nil,
        className: String? = nil
    ) {
        let transform = rotate.map { "rotate(\(Self.n($0)) \(Self.n(x)) \(Self.n(y)))" }
        body.append(
            "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\""
                + Self.attributes([
                    ("text-anchor", anchor.rawValue), ("font-size", Self.n(size)), ("fill", fill), ("font-weight", weight),
                    ("transform", transform), ("class", className),
                ]) + ">\(HTML.escape(content))</text>")
    }

    /// Starts a group whose children all show `title` as their tooltip.
    public mutating func openGroup(className: String? = nil, title: String? = nil) {
        body.append("<g" + Self.attributes([("class", className)]) + ">" + (title.map { "<title>\(HTML.escape($0))</title>" } ?? ""))
    }

    public mutating func closeGroup() { body.append("</g>") }

    /// The `<svg>` element. `label` is read by screen readers (role="img"). No
    /// `xmlns`: inline SVG in HTML does not need one, and the page holds no URLs.
    public func rendered(id: String, label: String) -> String {
        "<svg id=\"\(HTML.escape(id))\" class=\"chart\" role=\"img\""
            + " aria-label=\"\(HTML.escape(label))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\""
            + " viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\">\n<title>\(HTML.escape(label))</title>\n"
            + body.joined(separator: "\n") + "\n</svg>"
    }

    private static func closing(_ open: String, tag: String, title: String?) -> String {
        guard let title else { return open + "/>" }
        return open + "><title>\(HTML.escape(title))</title></\(tag)>"
    }
}

/// Rough text metrics for layout without a font engine: the charts use a
/// sans-serif font whose average glyph is about 0.58 em wide; wide enough
/// that labels placed with it do not collide in practice.
public enum TextMetrics {
    public static func width(_ text: String, size: Double) -> Double {
        Double(text.count) * size * 0.58
    }
}
