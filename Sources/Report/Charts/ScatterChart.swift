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
    /// y tick labels show value × yUnit (100: fractions as percentages).
    public var yUnit = 1.0

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
        let left = Axes.yLabelWidth(yDomain, unit: yUnit) + 4
        let frame = PlotFrame(left: left, top: titleHeight + 6, width: width - left - 16, height: height - titleHeight - 6 - bottom)
        // The outermost ticks sit `inset` pixels inside the frame, so points at the
        // extremes (the models one would pick) are not cut by the axes.
        let inset = 9.0
        let xScale = LinearScale.nice(covering: plotted.map(\.x), range: (frame.left + inset, frame.right - inset))
        let yScale = yDomain.withRange((frame.bottom - inset, frame.top + inset))

        canvas.text(title, x: width / 2, y: 16, anchor: .middle, size: 13, weight: "600")
        Axes.drawX(xScale, frame: frame, title: xTitle, on: &canvas)
        Axes.drawY(yScale, frame: frame, title: yTitle, on: &canvas, unit: yUnit)

        if let fit = Self.leastSquares(plotted.map { ($0.x, $0.y) }) {
            let xs = plotted.map(\.x)
            let x0 = xs.min()!, x1 = xs.max()!
            canvas.polyline(
                [(xScale(x0), yScale(fit.intercept + fit.slope * x0)), (xScale(x1), yScale(fit.intercept + fit.slope * x1))],
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
        // Labels from the top of the plot down (the best models first: their labels
        // matter most and get the natural places), in a fixed order so placement
        // is deterministic.
        for mark in marks.sorted(by: { ($0.y, $0.x, $0.point.label) < ($1.y, $1.x, $1.point.label) }) {
            let w = TextMetrics.width(mark.point.label, size: 10), h = 11.0
            // Beside the point first, then shifted up or down, away from the label
            // it would cover (so labels keep their points' vertical order), then
            // above or below it.
            let beside = [
                Box(x: mark.x + 7, y: mark.y - h / 2 - 1, width: w, height: h),
                Box(x: mark.x - 7 - w, y: mark.y - h / 2 - 1, width: w, height: h),
            ]
            let blocking = placed.filter { box in beside.contains { $0.overlaps(box) } }
            let away: Double = blocking.isEmpty || blocking.map { $0.y + $0.height / 2 }.reduce(0, +) / Double(blocking.count) < mark.y ? 1 : -1
            var candidates = [(box: Box, shifted: Bool)]()
            for dy in [0.0, 11 * away, -11 * away, 20 * away, -20 * away] {
                for box in beside { candidates.append((Box(x: box.x, y: box.y + dy, width: w, height: h), dy != 0)) }
            }
            candidates.append((Box(x: mark.x - w / 2, y: mark.y - 8 - h, width: w, height: h), false))
            candidates.append((Box(x: mark.x - w / 2, y: mark.y + 8, width: w, height: h), false))
            // Labels may run into the right margin, never over the axes.
            let inside = Box(x: frame.left + 2, y: frame.top - 4, width: width - frame.left - 4, height: frame.height + 2)
            guard
                let spot = candidates.first(where: { c in
                    inside.contains(c.box) && !placed.contains(where: c.box.overlaps)
                        && !pointBoxes.contains(where: c.box.overlaps)
                })
            else { continue }
            placed.append(spot.box)
            if spot.shifted {
                // A leader line says which point a shifted label belongs to.
                let toRight = spot.box.x > mark.x
                canvas.line(
                    mark.x + (toRight ? 5 : -5), mark.y, toRight ? spot.box.x - 1 : spot.box.x + spot.box.width + 1,
                    spot.box.y + h / 2, stroke: Palette.mutedText, width: 0.9, className: "leader")
            }
            canvas.text(mark.point.label, x: spot.box.x, y: spot.box.y + h - 2, size: 10, fill: Palette.mutedText, className: "point-label")
        }
        if dropped > 0 {
            canvas.text(
                "\(dropped) point\(dropped == 1 ? "" : "s") with no finite value left out", x: frame.left,
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
