/// The rectangle a chart plots into, inside its margins, and the axes drawn
/// around it.
public struct PlotFrame: Sendable {
    public var left: Double
    public var top: Double
    public var width: Double
    public var height: Double

    public var right: Double { left + width }
    public var bottom: Double { top + height }

    public init(left: Double, top: Double, width: Double, height: Double) {
        self.left = left
        self.top = top
        self.width = max(1, width)
        self.height = max(1, height)
    }

    /// A horizontal scale over this frame's width.
    public func xScale(
        covering values: [Double], including: [Double] = [], tickCount: Int = 5,
        fixed: ClosedRange<Double>? = nil, minimumStep: Double = 0, padding: Double = 0
    ) -> LinearScale {
        .nice(
            covering: values, including: including, range: (left, right), tickCount: tickCount, fixed: fixed,
            minimumStep: minimumStep, padding: padding)
    }

    /// A vertical scale over this frame's height (larger values higher up).
    public func yScale(
        covering values: [Double], including: [Double] = [], tickCount: Int = 5,
        fixed: ClosedRange<Double>? = nil
    ) -> LinearScale {
        .nice(covering: values, including: including, range: (bottom, top), tickCount: tickCount, fixed: fixed)
    }
}

/// Axes, tick labels and gridlines.
public enum Axes {
    /// Draws the horizontal axis at the frame's bottom, vertical gridlines at each
    /// tick, tick labels below, and `title` under them.
    public static func drawX(
        _ scale: LinearScale, frame: PlotFrame, title: String?, on canvas: inout SVGCanvas,
        gridlines: Bool = true, unit: Double = 1
    ) {
        let ticks = scale.ticks
        // Thin the labels when they would touch: keep every k-th.
        let labels = ticks.map { scale.tickLabel($0, unit: unit) }
        let widest = labels.map { TextMetrics.width($0, size: 10) }.max() ?? 0
        let spacing = ticks.count > 1 ? abs(scale(ticks[1]) - scale(ticks[0])) : .infinity
        let every = spacing > 0 ? max(1, Int((widest + 6) / spacing) + 1) : 1
        for (i, tick) in ticks.enumerated() {
            let x = scale(tick)
            if gridlines { canvas.line(x, frame.top, x, frame.bottom, stroke: Palette.grid) }
            canvas.line(x, frame.bottom, x, frame.bottom + 4, stroke: Palette.axis)
            if i % every == 0 { canvas.text(labels[i], x: x, y: frame.bottom + 15, anchor: .middle, size: 10, fill: Palette.mutedText) }
        }
        canvas.line(frame.left, frame.bottom, frame.right, frame.bottom, stroke: Palette.axis)
        if let title {
            canvas.text(title, x: frame.left + frame.width / 2, y: frame.bottom + 31, anchor: .middle, size: 11)
        }
    }

    /// Draws the vertical axis at the frame's left, horizontal gridlines, tick
    /// labels to the left and `title` rotated along the axis.
    public static func drawY(
        _ scale: LinearScale, frame: PlotFrame, title: String?, on canvas: inout SVGCanvas,
        unit: Double = 1
    ) {
        var widest = 0.0
        for tick in scale.ticks {
            let y = scale(tick)
            canvas.line(frame.left, y, frame.right, y, stroke: Palette.grid)
            canvas.line(frame.left - 4, y, frame.left, y, stroke: Palette.axis)
            let label = scale.tickLabel(tick, unit: unit)
            widest = max(widest, TextMetrics.width(label, size: 10))
            canvas.text(label, x: frame.left - 7, y: y + 3.5, anchor: .end, size: 10, fill: Palette.mutedText)
        }
        canvas.line(frame.left, frame.top, frame.left, frame.bottom, stroke: Palette.axis)
        if let title {
            let x = max(11, frame.left - widest - 16)
            canvas.text(title, x: x, y: frame.top + frame.height / 2, anchor: .middle, size: 11, rotate: -90)
        }
    }

    /// The room tick labels of `scale` need left of the axis, plus the axis title.
    public static func yLabelWidth(_ scale: LinearScale, unit: Double = 1) -> Double {
        let widest = scale.ticks.map { TextMetrics.width(scale.tickLabel($0, unit: unit), size: 10) }.max() ?? 0
        return widest + 30
    }
}
