/// A scatter plot of labelled points with a least-squares trend line.
///
/// Each point carries its label as a tooltip (`<title>`), and as text beside
/// it where that fits without covering another label; points with a
/// non-finite coordinate are left out and counted under the plot.
public struct ScatterChart: Sendable {
    public struct Point: Sendable {
        public var label: String
        public var x: Double
        public var y: Double
        public init(label: String, x: Double, y: Double) { self.label = label; self.x = x; self.y = y }
    }

    public var title: String
    public var xTitle: String
    public var yTitle: String
    public var points: [Point]
    public var width = 400.0
    public var height = 300.0
    public var color = Palette.positive
    /// Text of a point's tooltip.
    public var tooltip: @Sendable (Point) -> String = { "\($0.label): x = \(NumberText.short($0.x)), y = \(NumberText.short($0.y))" }
    public var yFormat: (@Sendable (Double) -> String)?

    public init(title: String, xTitle: String, yTitle: String, points: [Point]) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.points = points
    }

    /// Ordinary least squares y = intercept + slope * x; nil when x does not vary
    /// (the slope is undefined) or fewer than two points.
    public static func leastSquares(_ points: [(Double, Double)]) -> (intercept: Double, slope: Double)? {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let mx = points.map(\.0).reduce(0, +) / n, my = points.map(\.1).reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0
        for (x, y) in points { sxx += (x - mx) * (x - mx); sxy += (x - mx) * (y - my) }
        guard sxx > 0, sxx.isFinite, sxy.isFinite else { return nil }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }

    public func rendered(id: String) -> String {
        let plotted = points.filter { $0.x.isFinite && $0.y.isFinite }
        let dropped = points.count - plotted.count
        var canvas = SVGCanvas(width: width, height: height)
        let titleHeight = 24.0, bottom = 40.0 + (dropped > 0 ? 14 : 0)
        let yDomain = LinearScale.nice(covering: plotted.map(\.y), range: (0, 1))
        let left = Axes.yLabelWidth(yDomain, format: yFormat) + 4
        let frame = PlotFrame(left: left, top: titleHeight + 6, width: width - left - 14, height: height - titleHeight - 6 - bottom)
        let xScale = frame.xScale(covering: plotted.map(\.x))
        let yScale = yDomain.withRange((frame.bottom, frame.top))

        canvas.text(title, x: width / 2, y: 16, anchor: .middle, size: 13, weight: "600")
        Axes.drawX(xScale, frame: frame, title: xTitle, on: &canvas)
        Axes.drawY(yScale, frame: frame, title: yTitle, on: &canvas, format: yFormat)

        if let fit = Self.leastSquares(plotted.map { ($0.x, $0.y) }) {
            let xs = plotted.map(\.x)
            let x0 = xs.min()!, x1 = xs.max()!
            canvas.polyline([(xScale(x0), yScale(fit.intercept + fit.slope * x0)), (xScale(x1), yScale(fit.intercept + fit.slope * x1))],
                            stroke: Palette.trend, width: 1.5, dash: "5 4", className: "trend",
                            title: "least-squares trend: slope \(NumberText.short(fit.slope))")
        }

        var placed: [Box] = []
        let marks = plotted.map { (point: $0, x: xScale($0.x), y: yScale($0.y)) }
        // Points are boxes too, so labels do not cover them.
        let pointBoxes = marks.map { Box(x: $0.x - 5, y: $0.y - 5, width: 10, height: 10) }
        for mark in marks {
            canvas.circle(cx: mark.x, cy: mark.y, r: 5, fill: color, stroke: "#ffffff", className: "point", title: tooltip(mark.point))
        }
        // Labels in a fixed order (left to right) so placement is deterministic.
        for mark in marks.sorted(by: { ($0.x, $0.y, $0.point.label) < ($1.x, $1.y, $1.point.label) }) {
            let w = TextMetrics.width(mark.point.label, size: 10), h = 11.0
            let candidates = [
                Box(x: mark.x + 7, y: mark.y - h / 2 - 1, width: w, height: h),      // right
                Box(x: mark.x - 7 - w, y: mark.y - h / 2 - 1, width: w, height: h),  // left
                Box(x: mark.x - w / 2, y: mark.y - 8 - h, width: w, height: h),      // above
                Box(x: mark.x - w / 2, y: mark.y + 8, width: w, height: h),          // below
            ]
            let inside = Box(x: frame.left + 1, y: frame.top, width: frame.width - 1, height: frame.height)
            guard let spot = candidates.first(where: { box in
                inside.contains(box) && !placed.contains(where: box.overlaps)
                    && !pointBoxes.contains(where: box.overlaps)
            }) else { continue }
            placed.append(spot)
            canvas.text(mark.point.label, x: spot.x, y: spot.y + h - 2, size: 10, fill: Palette.mutedText, className: "point-label")
        }
        if dropped > 0 {
            canvas.text("\(dropped) point\(dropped == 1 ? "" : "s") with no finite value left out", x: frame.left,
                        y: height - 4, size: 10, fill: Palette.negative)
        }
        return canvas.rendered(id: id, label: title)
    }
}

/// An axis-aligned rectangle, for label placement.
struct Box: Sendable {
    var x: Double, y: Double, width: Double, height: Double

    func overlaps(_ other: Box) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }

    func contains(_ other: Box) -> Bool {
        other.x >= x && other.y >= y && other.x + other.width <= x + width && other.y + other.height <= y + height
    }
}
