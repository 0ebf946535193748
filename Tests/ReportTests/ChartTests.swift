import Foundation
import Testing
@testable import Report

/// The charts' SVG on awkward data: no NaN or infinity ever reaches the markup,
/// text is escaped, and the same input gives the same bytes.
@Suite("SVG charts")
struct ChartTests {
    static func assertClean(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let lower = svg.lowercased()
        #expect(!lower.contains("nan"), "NaN in SVG", sourceLocation: sourceLocation)
        #expect(!lower.contains("inf"), "infinity in SVG", sourceLocation: sourceLocation)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"), sourceLocation: sourceLocation)
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("scatter: all-equal points, a single point, non-finite points")
    func degenerateScatter() {
        let cases: [[ScatterChart.Point]] = [
            [.init(label: "a", x: 1, y: 0.5), .init(label: "b", x: 1, y: 0.5), .init(label: "c", x: 1, y: 0.5)],
            [.init(label: "only", x: -3, y: 0.2)],
            [],
            [.init(label: "bad", x: .nan, y: 0.3), .init(label: "ok", x: 2, y: .infinity), .init(label: "fine", x: 1, y: 0.4)],
        ]
        for points in cases {
            let svg = ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: points).rendered(id: "s")
            Self.assertClean(svg)
            #expect(Self.count("class=\"point\"", in: svg) == points.filter { $0.x.isFinite && $0.y.isFinite }.count)
        }
        let dropped = ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: cases[3]).rendered(id: "s")
        #expect(dropped.contains("2 points with no finite value left out"))
        // All x equal: no trend line (its slope is undefined).
        #expect(!ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: cases[0]).rendered(id: "s").contains("class=\"trend\""))
    }

    @Test("scatter: a trend line and one tooltip per point")
    func scatterMarks() {
        let points = (0..<6).map { ScatterChart.Point(label: "m\($0)", x: Double($0), y: 0.3 + 0.1 * Double($0 % 4)) }
        let svg = ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: points).rendered(id: "s")
        #expect(Self.count("class=\"trend\"", in: svg) == 1)
        for p in points { #expect(svg.contains("<title>\(p.label): x = ")) }
    }

    @Test("bars: signed values from a zero line, n/a for undefined ones")
    func bars() {
        let chart = BarChart(
            title: "tau", valueTitle: "τ",
            bars: [
                .init(label: "good", value: 0.8), .init(label: "bad", value: -0.4), .init(label: "undefined", value: nil),
                .init(label: "broken", value: .nan),
            ], fixedDomain: -1...1)
        let svg = chart.rendered(id: "chart-tau")
        Self.assertClean(svg)
        #expect(Self.count("class=\"bar\"", in: svg) == 2)
        #expect(Self.count(">n/a</text>", in: svg) == 2)
        #expect(svg.contains("class=\"zero\""))
        #expect(svg.contains("fill=\"\(Palette.negative)\"") && svg.contains("fill=\"\(Palette.positive)\""))
        // The negative bar ends left of the zero line, the positive one right of it.
        let scale = LinearScale.nice(covering: [0.8, -0.4], including: [0], range: (0, 1), fixed: -1...1)
        #expect(scale.domain == -1...1)
    }

    /// The numeric attributes of every element of `svg` with class `className`.
    static func marks(_ className: String, in svg: String) -> [[String: Double]] {
        svg.components(separatedBy: "<").filter { $0.contains("class=\"\(className)\"") }.map { element in
            var out = [String: Double]()
            for part in element.components(separatedBy: " ") {
                let kv = part.components(separatedBy: "=\"")
                if kv.count == 2, let v = Double(kv[1].prefix { $0 != "\"" }) { out[kv[0]] = v }
            }
            return out
        }
    }

    @Test("bars: error bars span each interval, with caps, and only where the interval is drawable")
    func errorBars() throws {
        let chart = BarChart(
            title: "tau", valueTitle: "τ",
            bars: [
                .init(label: "good", value: 0.6, interval: (lower: 0.3, upper: 0.8)),
                .init(label: "bad", value: -0.4, interval: (lower: -0.7, upper: 0.1)),
                .init(label: "no interval", value: 0.2),
                .init(label: "undefined value", value: nil, interval: (lower: 0.1, upper: 0.2)),
                .init(label: "reversed", value: 0.5, interval: (lower: 0.6, upper: 0.4)),
                .init(label: "non-finite", value: 0.5, interval: (lower: .nan, upper: 0.7)),
            ], fixedDomain: -1...1)
        let svg = chart.rendered(id: "chart-tau")
        Self.assertClean(svg)
        let errorBars = Self.marks("error-bar", in: svg), caps = Self.marks("error-cap", in: svg)
        let bars = Self.marks("bar", in: svg)
        #expect(errorBars.count == 2 && caps.count == 4 && bars.count == 5)
        guard errorBars.count == 2, caps.count == 4, bars.count >= 2 else { return }
        // The axis is [-1, 1] across the frame: positions follow from the zero line
        // and the bar of 0.6, so each bound lands where the scale puts it.
        let zeroLine = try #require(Self.marks("zero", in: svg).first?["x1"])
        let good = bars[0], bad = bars[1]
        let unit = try #require(good["width"]) / 0.6 // pixels per unit of tau
        let goodStart = try #require(good["x"])
        #expect(abs(goodStart - zeroLine) < 1e-6)
        for (mark, interval) in zip(errorBars, [(0.3, 0.8), (-0.7, 0.1)]) {
            let x1 = try #require(mark["x1"]), x2 = try #require(mark["x2"])
            #expect(abs(x1 - (zeroLine + interval.0 * unit)) < 0.05)
            #expect(abs(x2 - (zeroLine + interval.1 * unit)) < 0.05)
            #expect(mark["y1"] == mark["y2"])
        }
        // The negative bar ends left of zero, inside its interval.
        let badStart = try #require(bad["x"]), badLower = try #require(errorBars[1]["x1"])
        #expect(badStart > badLower)
        // Caps are vertical, at the two ends of each error bar.
        for (i, cap) in caps.enumerated() {
            let bar = errorBars[i / 2]
            #expect(cap["x1"] == cap["x2"] && cap["x1"] == bar[i % 2 == 0 ? "x1" : "x2"])
            let top = try #require(cap["y1"]), bottom = try #require(cap["y2"]), mid = try #require(bar["y1"])
            #expect(top < mid && bottom > mid)
        }

        // Without a fixed domain the axis widens to cover an interval beyond the values.
        let wide = BarChart(title: "t", valueTitle: "v", bars: [.init(label: "a", value: 0.5, interval: (lower: 0.2, upper: 3.0))])
        let wideSVG = wide.rendered(id: "w")
        let whisker = try #require(Self.marks("error-bar", in: wideSVG).first)
        let wideBar = try #require(Self.marks("bar", in: wideSVG).first)
        let upperEnd = try #require(whisker["x2"]), barEnd = try #require(wideBar["x"]) + (try #require(wideBar["width"]))
        // Frame right edge: the chart width less the 56 px kept for value text.
        #expect(upperEnd <= wide.width - 56 + 1e-9)
        // 3.0 is six times 0.5 from zero: the whisker reaches six bar lengths.
        let zero = try #require(Self.marks("zero", in: wideSVG).first?["x1"])
        #expect(abs((upperEnd - zero) - 6 * (barEnd - zero)) < 0.1)
    }

    @Test("lines: a single sample, a diverged value that breaks the line, bands")
    func lines() {
        let diverged = LineChart.Series(
            name: "loss",
            samples: [
                .init(x: 1, y: 2), .init(x: 2, y: 1.5), .init(x: 3, y: .nan), .init(x: 4, y: 1.1), .init(x: 5, y: 1.0),
            ], color: Palette.color(0))
        let svg = LineChart(title: "t", xTitle: "iteration", yTitle: "loss", series: [diverged]).rendered(id: "l")
        Self.assertClean(svg)
        #expect(Self.count("class=\"series\"", in: svg) == 2)

        let single = LineChart(
            title: "t", xTitle: "epoch", yTitle: "top-1",
            series: [.init(name: "one", samples: [.init(x: 1, y: 0.5, low: 0.5, high: 0.5)], color: "#000")])
        let one = single.rendered(id: "l1")
        Self.assertClean(one)
        #expect(Self.count("class=\"marker\"", in: one) == 1)

        let banded = LineChart(
            title: "t", xTitle: "epoch", yTitle: "top-1",
            series: [
                .init(
                    name: "m",
                    samples: [
                        .init(x: 1, y: 0.5, low: 0.4, high: 0.6), .init(x: 2, y: 0.6, low: 0.55, high: 0.7),
                    ], color: "#000")
            ]
        ).rendered(id: "l2")
        #expect(Self.count("class=\"band\"", in: banded) == 1)

        Self.assertClean(LineChart(title: "empty", xTitle: "x", yTitle: "y", series: []).rendered(id: "l3"))
    }

    @Test("text is escaped in titles, labels, legends and tooltips")
    func escaping() {
        let nasty = "<b>&\"x\"'"
        let escaped = "&lt;b&gt;&amp;&quot;x&quot;&#39;"
        let scatter = ScatterChart(
            title: nasty, xTitle: nasty, yTitle: nasty,
            points: [.init(label: nasty, x: 0, y: 0), .init(label: "b", x: 1, y: 1)]
        ).rendered(id: nasty)
        let bars = BarChart(title: nasty, valueTitle: nasty, bars: [.init(label: nasty, value: 0.5)]).rendered(id: "b")
        let lines = LineChart(
            title: nasty, xTitle: nasty, yTitle: nasty,
            series: [.init(name: nasty, samples: [.init(x: 1, y: 1), .init(x: 2, y: 2)], color: "#000")]
        ).rendered(id: "l")
        for svg in [scatter, bars, lines] {
            #expect(!svg.contains(nasty))
            #expect(svg.contains(escaped))
        }
    }

    @Test("deterministic: the same input gives the same bytes")
    func deterministic() {
        let points = (0..<8).map { ScatterChart.Point(label: "model-\($0)", x: sin(Double($0)), y: cos(Double($0))) }
        let a = ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: points).rendered(id: "s")
        let b = ScatterChart(title: "t", xTitle: "x", yTitle: "y", points: points).rendered(id: "s")
        #expect(a == b)
    }

    @Test("curves over seeds: mean and min-max at each x any seed logged")
    func aggregation() {
        let samples = CurveAggregation.aggregate([
            [(x: 10, y: 2.0), (x: 20, y: 1.0)],
            [(x: 10, y: 3.0), (x: 20, y: 1.5)],
            [(x: 10, y: 4.0)],
        ])
        #expect(
            samples == [
                LineChart.Sample(x: 10, y: 3.0, low: 2.0, high: 4.0),
                LineChart.Sample(x: 20, y: 1.25, low: 1.0, high: 1.5),
            ])
    }
}
