/// Horizontal bars of signed values, one per category, drawn from a zero line.
///
/// Categories are drawn in the order given (sort before). A category without a
/// value (nil or non-finite) keeps its row and says "n/a", so a metric whose
/// statistic is undefined is not silently missing. A bar may carry an interval
/// (a bootstrap confidence interval, say), drawn as an error bar across the bar's
/// end: a horizontal line from the lower to the upper bound with a cap at each.
public struct BarChart: Sendable {
    public struct Bar: Sendable {
        public var label: String
        public var value: Double?
        /// Overrides the sign colour (baselines are drawn grey).
        public var color: String?
        public var tooltip: String?
        /// Lower and upper bound of the value's interval; drawn only when both are
        /// finite, lower <= upper and the bar has a finite value.
        public var interval: (lower: Double, upper: Double)?
        public init(
            label: String, value: Double?, color: String? = nil, tooltip: String? = nil,
            interval: (lower: Double, upper: Double)? = nil
        ) {
            self.label = label
            self.value = value
            self.color = color
            self.tooltip = tooltip
            self.interval = interval
        }

        /// The interval when it can be drawn.
        var drawableInterval: (lower: Double, upper: Double)? {
            guard let value, value.isFinite, let interval, interval.lower.isFinite, interval.upper.isFinite,
                interval.lower <= interval.upper
            else { return nil }
            return interval
        }
    }

    public var title: String
    public var valueTitle: String
    public var bars: [Bar]
    /// Used as is when every value fits (tau's [-1, 1]); else the axis widens.
    public var fixedDomain: ClosedRange<Double>?
    public var width = 760.0
    public var rowHeight = 26.0
    public var valueDecimals = 3
    public var legend: Legend?

    public init(title: String, valueTitle: String, bars: [Bar], fixedDomain: ClosedRange<Double>? = nil) {
        self.title = title
        self.valueTitle = valueTitle
        self.bars = bars
        self.fixedDomain = fixedDomain
    }

    public func rendered(id: String) -> String {
        // The axis covers the intervals too, so an error bar is never clipped.
        let values =
            bars.compactMap(\.value).filter(\.isFinite)
            + bars.compactMap(\.drawableInterval).flatMap { [$0.lower, $0.upper] }
        let labelWidth = min(260, (bars.map { TextMetrics.width($0.label, size: 11) }.max() ?? 0) + 14)
        let legendHeight = legend.map { $0.height(width: width - labelWidth - 30) + 6 } ?? 0
        let top = 30.0 + legendHeight
        let plotHeight = max(1, Double(bars.count)) * rowHeight
        let height = top + plotHeight + 42
        var canvas = SVGCanvas(width: width, height: height)
        // Room on the right for the value text of a bar reaching the axis end.
        let frame = PlotFrame(left: labelWidth, top: top, width: width - labelWidth - 56, height: plotHeight)
        let scale = frame.xScale(covering: values, including: [0], tickCount: 8, fixed: fixedDomain)

        canvas.text(title, x: width / 2, y: 18, anchor: .middle, size: 13, weight: "600")
        legend?.draw(on: &canvas, x: frame.left, y: 26, width: frame.width)
        Axes.drawX(scale, frame: frame, title: valueTitle, on: &canvas)
        let zero = scale(0)
        for (i, bar) in bars.enumerated() {
            let rowTop = frame.top + Double(i) * rowHeight, midY = rowTop + rowHeight / 2
            canvas.text(bar.label, x: frame.left - 8, y: midY + 4, anchor: .end, size: 11)
            guard let value = bar.value, value.isFinite else {
                canvas.text("n/a", x: zero + 6, y: midY + 4, size: 10, fill: Palette.mutedText, className: "missing")
                continue
            }
            let end = scale(value)
            let color = bar.color ?? (value < 0 ? Palette.negative : Palette.positive)
            canvas.rect(
                x: min(zero, end), y: rowTop + 4, width: abs(end - zero), height: rowHeight - 8, fill: color,
                className: "bar", title: bar.tooltip ?? "\(bar.label): \(NumberText.fixed(value, decimals: valueDecimals))")
            // The value text starts past the error bar, if any, as well as the bar.
            var outerLeft = end, outerRight = end
            if let interval = bar.drawableInterval {
                let lo = scale(interval.lower), hi = scale(interval.upper)
                let cap = (rowHeight - 8) / 2
                canvas.line(lo, midY, hi, midY, stroke: Palette.axis, width: 1.5, className: "error-bar")
                canvas.line(lo, midY - cap / 2, lo, midY + cap / 2, stroke: Palette.axis, width: 1.5, className: "error-cap")
                canvas.line(hi, midY - cap / 2, hi, midY + cap / 2, stroke: Palette.axis, width: 1.5, className: "error-cap")
                outerLeft = min(end, lo)
                outerRight = max(end, hi)
            }
            let text = NumberText.fixed(value, decimals: valueDecimals)
            // The value sits past the bar's end, on the side away from zero, unless a
            // long negative bar leaves no room before the category labels.
            if value < 0 && outerLeft - 4 - TextMetrics.width(text, size: 10) < frame.left {
                canvas.text(text, x: zero + 4, y: midY + 4, size: 10, fill: Palette.mutedText)
            } else if value < 0 {
                canvas.text(text, x: outerLeft - 4, y: midY + 4, anchor: .end, size: 10, fill: Palette.mutedText)
            } else {
                canvas.text(text, x: outerRight + 4, y: midY + 4, size: 10, fill: Palette.mutedText)
            }
        }
        canvas.line(zero, frame.top, zero, frame.bottom, stroke: Palette.axis, width: 1.5, className: "zero")
        return canvas.rendered(id: id, label: title)
    }
}
