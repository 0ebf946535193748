import Foundation
import Testing
@testable import Report

@Suite("Linear scales and nice ticks")
struct ScaleTests {
    /// Data ranges of every kind the report meets: accuracies, negative LogME
    /// scores, large TransRate values, tiny spans, spans straddling zero.
    static let ranges: [(Double, Double)] = [
        (0.214, 0.815), (-0.2657, 0.2728), (43.36, 4270), (-72.83, -0.0964), (0.9953, 0.9961),
        (1, 8), (0, 1), (-1, 1), (1e-6, 3e-6), (12_345, 98_765), (-3.7, 2.2), (0.5, 0.5000001),
    ]

    @Test("nice ticks cover the data, start and end the axis, and step by 1, 2 or 5 times a power of ten")
    func ticksCoverData() throws {
        for (lo, hi) in Self.ranges {
            let scale = LinearScale.nice(covering: [lo, (lo + hi) / 2, hi], range: (0, 100))
            #expect(scale.domain.lowerBound <= lo && scale.domain.upperBound >= hi, "\(lo)...\(hi) -> \(scale.domain)")
            let ticks = scale.ticks
            #expect(ticks.count >= 2 && ticks.count <= 11, "\(lo)...\(hi): \(ticks)")
            let first = try #require(ticks.first), last = try #require(ticks.last)
            #expect(abs(first - scale.domain.lowerBound) <= scale.step * 1e-9)
            #expect(abs(last - scale.domain.upperBound) <= scale.step * 1e-9)
            let mantissa = scale.step / pow(10, log10(scale.step).rounded(.down))
            #expect([1.0, 2, 5, 10].contains { abs(mantissa - $0) < 1e-9 }, "step \(scale.step)")
            // Equally spaced, up to the rounding of values of that size.
            for (a, b) in zip(ticks, ticks.dropFirst()) {
                #expect(abs((b - a) - scale.step) <= max(scale.step, abs(a), abs(b)) * 1e-12)
            }
        }
    }

    @Test("known cases: nice domains a person would pick")
    func knownDomains() {
        #expect(LinearScale.nice(covering: [0.214, 0.815], range: (0, 1)).domain == 0.2...0.9)
        #expect(LinearScale.nice(covering: [-0.2657, 0.2728], range: (0, 1)).domain == -0.3...0.3)
        #expect(LinearScale.nice(covering: [43.36, 4270], range: (0, 1)).domain == 0...5000)
        #expect(LinearScale.nice(covering: [0.4], including: [0], range: (0, 1), fixed: -1...1).domain == -1...1)
        // Data outside the fixed domain widens the axis instead of being clipped.
        #expect(LinearScale.nice(covering: [1.7], range: (0, 1), fixed: -1...1).domain.upperBound >= 1.7)
    }

    @Test("mapping is monotone, hits the range ends, and runs downwards for y axes")
    func monotone() {
        let x = LinearScale.nice(covering: [-3.7, 2.2], range: (50, 450))
        #expect(x(x.domain.lowerBound) == 50 && x(x.domain.upperBound) == 450)
        let values = stride(from: -3.7, through: 2.2, by: 0.1).map { $0 }
        for (a, b) in zip(values, values.dropFirst()) { #expect(x(a) < x(b)) }
        let y = LinearScale.nice(covering: [0, 10], range: (300, 20))
        for (a, b) in zip(values, values.dropFirst()) { #expect(y(a) > y(b)) }
    }

    @Test("degenerate ranges: equal values, one point, no points, non-finite values")
    func degenerate() {
        for values in [[3.0, 3, 3], [0.0], [-2.5], [], [.nan, .infinity], [1e300, 1e300], [0.7, .nan]] {
            let scale = LinearScale.nice(covering: values, range: (0, 200))
            #expect(scale.domain.upperBound > scale.domain.lowerBound, "\(values): \(scale.domain)")
            #expect(scale.step > 0 && scale.step.isFinite)
            for v in values where v.isFinite {
                #expect(scale.domain.contains(v))
                #expect(scale(v).isFinite)
            }
            #expect(scale.ticks.allSatisfy { $0.isFinite })
        }
        // A hand-built empty domain maps to the middle instead of dividing by zero.
        let flat = LinearScale(domain: 1...1, range: (0, 100))
        #expect(flat(1) == 50)
    }

    @Test("tick labels show as many decimals as the step needs, in display units")
    func tickLabels() {
        let scale = LinearScale(domain: 0.1...0.3, range: (0, 1), step: 0.05)
        #expect(scale.ticks.map { scale.tickLabel($0) } == ["0.10", "0.15", "0.20", "0.25", "0.30"])
        let fraction = LinearScale(domain: 0.2...0.9, range: (0, 1), step: 0.1)
        #expect(fraction.ticks.map { fraction.tickLabel($0, unit: 100) } == ["20", "30", "40", "50", "60", "70", "80", "90"])
        let big = LinearScale(domain: 0...5000, range: (0, 1), step: 1000)
        #expect(big.tickLabel(3000) == "3000")
        #expect(LinearScale(domain: -1...1, range: (0, 1), step: 0.2).tickLabel(-0.0000000001) == "0.0")
    }

    @Test("SVG coordinates: short, no negative zero, never 'nan'")
    func coordinates() {
        #expect(NumberText.coordinate(1.5) == "1.5")
        #expect(NumberText.coordinate(12.0) == "12")
        #expect(NumberText.coordinate(-0.001) == "0")
        #expect(NumberText.coordinate(3.14159) == "3.14")
        #expect(NumberText.compact(1.0) == "1" && NumberText.compact(0.01) == "0.01" && NumberText.compact(0.9) == "0.9")
    }

    @Test("least squares: exact line, and no fit when x does not vary")
    func leastSquares() throws {
        let fit = try #require(ScatterChart.leastSquares([(0, 1), (1, 3), (2, 5)]))
        #expect(abs(fit.slope - 2) < 1e-12 && abs(fit.intercept - 1) < 1e-12)
        // By hand for (1, 1), (2, 1), (3, 4): x̄ = 2, ȳ = 2, Sxx = 2,
        // Sxy = (−1)(−1) + 0·(−1) + (1)(2) = 3, so slope 1.5 and intercept 2 − 1.5·2 = −1.
        let hand = try #require(ScatterChart.leastSquares([(1, 1), (2, 1), (3, 4)]))
        #expect(abs(hand.slope - 1.5) < 1e-12 && abs(hand.intercept + 1) < 1e-12)
        #expect(ScatterChart.leastSquares([(2, 1), (2, 5)]) == nil)
        #expect(ScatterChart.leastSquares([(2, 1)]) == nil)
    }
}
