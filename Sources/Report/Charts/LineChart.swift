/// Lines of several series over a shared x axis, each optionally with a band
/// (the min-max range over seeds around a mean, say).
///
/// A point whose value is not finite (a diverged loss) breaks its line rather
/// than being drawn at some made-up place.
public struct LineChart: Sendable {
    public struct Sample: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var low: Double?
        public var high: Double?
        public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
            self.x = x
            self.y = y
            self.low = low
            self.high = high
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var samples: [Sample]
        public var color: String
        public var dash: String?
        public init(name: String, samples: [Sample], color: String, dash: String? = nil) {
            self.name = name
            self.samples = samples
            self.color = color
            self.dash = dash
        }
    }

    public var title: String
    public var xTitle: String
    public var yTitle: String
    public var series: [Series]
    public var width = 400.0
    public var height = 280.0
    /// Dots at each sample, with a tooltip (for short series such as epochs).
    public var markers = false
    /// x counts whole things (epochs, iterations): no fractional ticks.
    public var integerX = true
    /// y tick labels show value × yUnit (100: fractions as percentages).
    public var yUnit = 1.0
    public var tooltip: (@Sendable (Series, Sample) -> String)?

    public init(title: String, xTitle: String, yTitle: String, series: [Series]) {
        self.title = title
        self.xTitle = xTitle
        self.yTitle = yTitle
        self.series = series
    }

    /// Runs of consecutive samples with finite x and y (a line is drawn per run).
    static func segments(_ samples: [Sample]) -> [[Sample]] {
        var out: [[Sample]] = [], current: [Sample] = []
        for s in samples {
            if s.x.isFinite && s.y.isFinite { current.append(s) } else if !current.isEmpty { out.append(current); current = [] }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    public func rendered(id: String) -> String {
        var canvas = SVGCanvas(width: width, height: height)
        let legend = Legend(entries: series.map { Legend.Entry(name: $0.name, color: $0.color, dash: $0.dash) })
        let finite = series.flatMap(\.samples).filter { $0.x.isFinite && $0.y.isFinite }
        let ys = finite.flatMap { [$0.y, $0.low ?? $0.y, $0.high ?? $0.y] }.filter(\.isFinite)
        let yDomain = LinearScale.nice(covering: ys, range: (0, 1))
        let left = Axes.yLabelWidth(yDomain, unit: yUnit) + 4
        let legendHeight = legend.height(width: width - left - 14)
        let top = 30.0
        let frame = PlotFrame(left: left, top: top, width: width - left - 14, height: height - top - 42 - legendHeight - 4)
        let xScale = frame.xScale(covering: finite.map(\.x), tickCount: 6, minimumStep: integerX ? 1 : 0)
        let yScale = yDomain.withRange((frame.bottom, frame.top))

        canvas.text(title, x: width / 2, y: 17, anchor: .middle, size: 13, weight: "600")
        Axes.drawX(xScale, frame: frame, title: xTitle, on: &canvas)
        Axes.drawY(yScale, frame: frame, title: yTitle, on: &canvas, unit: yUnit)
        if finite.isEmpty {
            canvas.text(
                "no values", x: frame.left + frame.width / 2, y: frame.top + frame.height / 2, anchor: .middle,
                fill: Palette.mutedText, className: "missing")
        }
        // Bands first, so every line stays visible on top of them.
        for s in series {
            for run in Self.segments(s.samples) {
                let banded = run.filter { ($0.low?.isFinite ?? false) && ($0.high?.isFinite ?? false) }
                guard banded.count >= 2, banded.contains(where: { $0.low! != $0.high! }) else { continue }
                let upper = banded.map { (xScale($0.x), yScale($0.high!)) }
                let lower = banded.reversed().map { (xScale($0.x), yScale($0.low!)) }
                canvas.polygon(upper + lower, fill: s.color, opacity: 0.16, className: "band")
            }
        }
        for s in series {
            for run in Self.segments(s.samples) {
                canvas.polyline(
                    run.map { (xScale($0.x), yScale($0.y)) }, stroke: s.color, dash: s.dash, className: "series",
                    title: s.name)
                if markers || run.count == 1 {
                    for sample in run {
                        canvas.circle(
                            cx: xScale(sample.x), cy: yScale(sample.y), r: 3, fill: s.color, className: "marker",
                            title: tooltip?(s, sample) ?? "\(s.name): \(NumberText.short(sample.y)) at \(NumberText.short(sample.x))")
                    }
                }
            }
        }
        legend.draw(on: &canvas, x: frame.left, y: frame.bottom + 38, width: frame.width)
        return canvas.rendered(id: id, label: title)
    }
}
