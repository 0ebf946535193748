import Foundation

/// Maps a data interval onto a pixel interval, linearly.
///
/// Built with `nice(covering:...)`, the domain is widened to whole tick steps
/// (1, 2 or 5 times a power of ten), so the axis starts and ends on a labelled
/// tick and every data value lies inside it. A degenerate domain (one value, or
/// all values equal) is widened around that value first, so mapping never
/// divides by zero and the SVG never holds NaN.
public struct LinearScale: Sendable, Equatable {
    public let domain: ClosedRange<Double>
    /// Pixels; `range.lowerBound` is where `domain.lowerBound` lands. May run
    /// downwards (for a y axis, larger values sit higher, at smaller y).
    public let rangeStart: Double
    public let rangeEnd: Double
    /// Distance between ticks, in data units (0 for a scale built without ticks).
    public let step: Double

    public init(domain: ClosedRange<Double>, range: (Double, Double), step: Double = 0) {
        precondition(domain.lowerBound.isFinite && domain.upperBound.isFinite, "a scale's domain must be finite")
        self.domain = domain
        rangeStart = range.0
        rangeEnd = range.1
        self.step = step
    }

    /// The same domain and ticks over other pixels (layouts size their margins
    /// from the tick labels before they know where the axis goes).
    public func withRange(_ range: (Double, Double)) -> LinearScale {
        LinearScale(domain: domain, range: range, step: step)
    }

    /// The pixel position of `value`; values outside the domain extrapolate.
    public func callAsFunction(_ value: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        // Only a hand-built scale can have an empty domain (`nice` never makes one):
        // put everything in the middle rather than divide by zero.
        guard span > 0 else { return (rangeStart + rangeEnd) / 2 }
        return rangeStart + (value - domain.lowerBound) / span * (rangeEnd - rangeStart)
    }

    /// The tick values: every multiple of `step` inside the domain, computed as
    /// `i * step` (not by repeated addition, which drifts).
    public var ticks: [Double] {
        guard step > 0 else { return [domain.lowerBound, domain.upperBound] }
        // A bound within rounding of a multiple of the step counts as that multiple.
        func index(_ value: Double, roundingUp: Bool) -> Double {
            let q = value / step, nearest = q.rounded()
            if abs(q - nearest) <= 1e-9 * max(1, abs(q)) { return nearest }
            return roundingUp ? q.rounded(.up) : q.rounded(.down)
        }
        let lo = index(domain.lowerBound, roundingUp: true), hi = index(domain.upperBound, roundingUp: false)
        guard lo <= hi else { return [] }
        return stride(from: lo, through: hi, by: 1).map { Self.multiple($0, of: step) }
    }

    /// `k * step`, computed as `k / (1 / step)` for steps below 1: 1/step is then
    /// a whole number (10, 20, ...) held exactly, and the division rounds once,
    /// so -3 steps of 0.1 give -0.3 rather than -0.30000000000000004.
    static func multiple(_ k: Double, of step: Double) -> Double {
        if k == 0 { return 0 }
        if step < 1 {
            let inverse = (1 / step).rounded()
            if abs(inverse * step - 1) < 1e-9 { return k / inverse }
        }
        return k * step
    }

    /// Decimal places that show every tick exactly (0.05 steps need 2), for
    /// labels showing `value * unit` (100 for fractions shown as percentages).
    public func tickDecimals(unit: Double = 1) -> Int {
        let shown = step * unit
        guard shown > 0, shown.isFinite else { return 2 }
        return max(0, Int(-log10(shown).rounded(.down) + (Self.isPowerOfTenTimes25(shown) ? 1 : 0)))
    }

    /// The label of a tick, showing `value * unit`: as many decimals as the step
    /// needs, no "-0".
    public func tickLabel(_ value: Double, unit: Double = 1) -> String {
        NumberText.fixed(value * unit, decimals: tickDecimals(unit: unit))
    }

    /// A scale whose domain covers `values` (non-finite values ignored) with
    /// about `tickCount` nice ticks, mapped onto `range`.
    ///
    /// - Parameters:
    ///   - including: values the domain must also cover (0 for bars, say).
    ///   - fixed: a domain to use as is when it covers the data (tau's [-1, 1]).
    ///   - minimumStep: the smallest tick step allowed (1 for counts such as epochs).
    ///   - padding: a fraction of the data's span added on both sides first, so
    ///     marks at the extremes do not sit on the frame (scatters).
    public static func nice(
        covering values: [Double], including: [Double] = [], range: (Double, Double),
        tickCount: Int = 5, fixed: ClosedRange<Double>? = nil, minimumStep: Double = 0,
        padding: Double = 0
    ) -> LinearScale {
        let finite = (values + including).filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if padding > 0, hi > lo {
            let pad = (hi - lo) * padding
            lo -= pad; hi += pad
        }
        if let fixed, lo >= fixed.lowerBound, hi <= fixed.upperBound {
            lo = fixed.lowerBound; hi = fixed.upperBound
        }
        if lo == hi {
            // One value: a window around it of 10 % of its size (or ±1 around 0),
            // so it is drawn mid-axis with readable ticks.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        let step = max(niceStep(span: hi - lo, count: max(1, tickCount)), minimumStep)
        let first = (lo / step).rounded(.down), last = max((hi / step).rounded(.up), first + 1)
        return LinearScale(domain: multiple(first, of: step)...multiple(last, of: step), range: range, step: step)
    }

    /// 1, 2 or 5 times a power of ten, near `span / count` (Heckbert's "nice numbers").
    static func niceStep(span: Double, count: Int) -> Double {
        let raw = span / Double(count)
        guard raw.isFinite, raw > 0 else { return 1 }
        let power = pow(10, log10(raw).rounded(.down))
        let fraction = raw / power
        // Thresholds at the geometric means of 1, 2, 5, 10, so the chosen step is the
        // nearest on a log scale.
        let factor: Double = fraction >= 7.07 ? 10 : fraction >= 3.16 ? 5 : fraction >= 1.41 ? 2 : 1
        return factor * power
    }

    /// Steps of 2.5 units never come out of `niceStep`, but a hand-built step may.
    private static func isPowerOfTenTimes25(_ step: Double) -> Bool {
        let mantissa = step / pow(10, log10(step).rounded(.down))
        return abs(mantissa - 2.5) < 1e-9
    }
}

/// Deterministic, locale-free number text for SVG coordinates and labels.
public enum NumberText {
    /// `value` with exactly `decimals` decimals; "-0.00" becomes "0.00". A
    /// non-finite value becomes "n/a" (labels only; coordinates use `coordinate`).
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let text = String(format: "%.\(max(0, min(decimals, 12)))f", value)
        if text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) { return String(text.dropFirst()) }
        return text
    }

    /// An SVG coordinate: two decimals at most, trailing zeros dropped. Charts
    /// leave non-finite values out before they reach here; should one slip
    /// through, it is drawn at 0 rather than written as "nan", which would make
    /// the browser drop the element (and break the file for strict parsers).
    public static func coordinate(_ value: Double) -> String {
        assert(value.isFinite, "non-finite SVG coordinate")
        guard value.isFinite else { return "0" }
        var text = fixed(value, decimals: 2)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// Four significant digits without trailing zeros ("1", "0.9", "0.01"):
    /// for weights and settings, where "1.000" would suggest a measurement.
    public static func compact(_ value: Double) -> String {
        var text = short(value)
        guard text.contains("."), !text.contains("e") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A compact label for a data value: four significant digits.
    public static func short(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let magnitude = abs(value)
        if magnitude != 0 && (magnitude >= 1e6 || magnitude < 1e-3) { return String(format: "%.3e", value) }
        let decimals = magnitude == 0 ? 0 : max(0, 3 - Int(log10(magnitude).rounded(.down)))
        return fixed(value, decimals: min(decimals, 6))
    }
}
