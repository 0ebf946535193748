/// A legend laid out in rows under (or above) a plot: a swatch and a name per
/// entry, wrapped to the available width.
public struct Legend: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var color: String
        public var dash: String?
        /// A line sample (series) or a filled square (bars, bands).
        public var isLine: Bool

        public init(name: String, color: String, dash: String? = nil, isLine: Bool = true) {
            self.name = name
            self.color = color
            self.dash = dash
            self.isLine = isLine
        }
    }

    public var entries: [Entry]
    static let rowHeight = 16.0
    static let swatch = 18.0
    static let fontSize = 11.0

    public init(entries: [Entry]) { self.entries = entries }

    /// Each entry's offset from the legend's top-left corner, wrapping at `width`.
    func layout(width: Double) -> [(x: Double, y: Double)] {
        var x = 0.0, y = 0.0
        var out: [(x: Double, y: Double)] = []
        for entry in entries {
            let w = Self.swatch + 5 + TextMetrics.width(entry.name, size: Self.fontSize) + 14
            if x > 0 && x + w > width { x = 0; y += Self.rowHeight }
            out.append((x, y))
            x += w
        }
        return out
    }

    /// The height the legend takes at `width` (0 when empty).
    public func height(width: Double) -> Double {
        guard let last = layout(width: width).last else { return 0 }
        return last.y + Self.rowHeight
    }

    public func draw(on canvas: inout SVGCanvas, x left: Double, y top: Double, width: Double) {
        for (entry, place) in zip(entries, layout(width: width)) {
            let x = left + place.x, midY = top + place.y + Self.rowHeight / 2
            if entry.isLine {
                canvas.line(x, midY, x + Self.swatch, midY, stroke: entry.color, width: 2.5, dash: entry.dash)
            } else {
                canvas.rect(x: x + 4, y: midY - 5, width: 10, height: 10, fill: entry.color)
            }
            canvas.text(entry.name, x: x + Self.swatch + 5, y: midY + 4, size: Self.fontSize)
        }
    }
}
