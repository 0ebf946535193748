import Foundation
import Testing
import Linalg
@testable import Ranking

@Suite("Linear probe")
struct LinearProbeTests {
    @Test("the softmax objective's gradient matches central finite differences")
    func gradient() throws {
        let (x, labels) = makeClassificationProblem(n: 25, d: 4, classes: 3, seed: 81)
        let model = SoftmaxRegression(x: x, labels: labels, classCount: 3, inverseRegularization: 0.7)
        var rng = TestRandom(seed: 82)
        let theta = (0..<model.parameterCount).map { _ in 0.3 * rng.normal() }
        let (_, g) = model.objective(theta)
        let h = 1e-6
        for t in 0..<model.parameterCount {
            var plus = theta, minus = theta
            plus[t] += h; minus[t] -= h
            let numeric = (model.objective(plus).value - model.objective(minus).value) / (2 * h)
            #expect(abs(numeric - g[t]) <= 1e-7 * max(1, abs(g[t])), "component \(t): \(numeric) vs \(g[t])")
        }
    }

    @Test("the objective at zero is log C, and the loss is written plainly")
    func objectiveValue() throws {
        let (x, labels) = makeClassificationProblem(n: 10, d: 3, classes: 4, seed: 83)
        let model = SoftmaxRegression(x: x, labels: labels, classCount: 4, inverseRegularization: 2)
        #expect(isClose(model.objective([Double](repeating: 0, count: model.parameterCount)).value, log(4.0), relative: 1e-14))
        var rng = TestRandom(seed: 84)
        let theta = (0..<model.parameterCount).map { _ in rng.normal() }
        var loss = 0.0
        for i in 0..<10 {
            var z = [Double](repeating: 0, count: 4)
            for k in 0..<4 {
                var v = theta[12 + k]
                for j in 0..<3 { v += theta[k * 3 + j] * x[i, j] }
                z[k] = v
            }
            let m = z.max() ?? 0
            var sum = 0.0
            for v in z { sum += exp(v - m) }
            loss += m + log(sum) - z[labels[i]]
        }
        var squares = 0.0
        for t in 0..<12 { squares += theta[t] * theta[t] }
        let penalty = squares / 40 // ‖W‖² / (2 C N) with C = 2, N = 10
        #expect(isClose(model.objective(theta).value, loss / 10 + penalty, relative: 1e-13))
    }

    @Test("agrees with scikit-learn's LogisticRegression(C=1, lbfgs) coefficients on a standardised case")
    func sklearn() throws {
        let g = try MetricsBGolden.section("logistic")
        let n = try g.int("n"), d = try g.int("d")
        let x = try g.matrix("x", rows: n, columns: d)
        let labels = try g.ints("labels")
        let model = SoftmaxRegression(x: x, labels: labels, classCount: 3, inverseRegularization: 1)
        let solution = model.minimize(tolerance: 1e-8, maxIterations: 10_000)
        #expect(solution.converged)
        for (a, b) in zip(solution.theta.prefix(3 * d), try g.doubles("coef")) { #expect(abs(a - b) < 1e-6, "\(a) vs \(b)") }
        let intercepts = Array(solution.theta.suffix(3))
        let mean = intercepts.reduce(0, +) / 3
        #expect(abs(mean) < 1e-10) // Σ b = 0 is kept from the zero start
        for (a, b) in zip(intercepts, try g.doubles("intercept")) { #expect(abs(a - b) < 1e-6) }
        let (accuracy, _) = try LinearProbe.evaluate(solution.theta, x: x, labels: labels, classCount: 3)
        #expect(isClose(accuracy, try g.double("train_accuracy"), relative: 1e-14))
    }

    @Test("separable classes beat noise features; details are reported")
    func direction() throws {
        let (separable, labels) = makeClassificationProblem(n: 100, d: 6, classes: 3, seed: 85, noise: 0.4)
        var rng = TestRandom(seed: 86)
        let noise = rng.gaussianMatrix(rows: 100, columns: 6)
        let good = try LinearProbe().score(featureInput(separable, labels))
        let bad = try LinearProbe().score(featureInput(noise, labels))
        #expect(good.score > bad.score)
        #expect(good.score >= 0.9)
        #expect((good.details["validation_log_likelihood"] ?? 0) > (bad.details["validation_log_likelihood"] ?? 0))
        #expect((good.details["iterations"] ?? 0) >= 1)
        #expect(good.details["validation_log_likelihood"]?.isFinite == true)
    }

    @Test("stratified seeded split: every class with 2+ samples is validated, sizes follow the fraction")
    func split() {
        let labels = (0..<50).map { $0 % 3 == 0 ? 0 : ($0 % 3 == 1 ? 1 : 2) } + [3]
        let (train, validation) = LinearProbe.stratifiedSplit(labels: labels, classCount: 4, fraction: 0.2, seed: 4)
        #expect(Set(train).isDisjoint(with: validation))
        #expect(train.count + validation.count == labels.count)
        #expect(Set(validation.map { labels[$0] }) == [0, 1, 2])
        #expect(validation.count == 3 + 3 + 3) // round(0.2 * 17) + round(0.2 * 17) + round(0.2 * 16)
        let again = LinearProbe.stratifiedSplit(labels: labels, classCount: 4, fraction: 0.2, seed: 4)
        #expect(again.0 == train && again.1 == validation)
    }

    @Test("deterministic under a seed; invariant to class relabelling and feature scale; inputs unmodified")
    func invariances() throws {
        let (x, labels) = makeClassificationProblem(n: 60, d: 4, classes: 3, seed: 87, noise: 1.5)
        let copy = x
        let input = try featureInput(x, labels)
        let base = try LinearProbe(tolerance: 1e-8, maxIterations: 1000, seed: 2).score(input)
        #expect(base == (try LinearProbe(tolerance: 1e-8, maxIterations: 1000, seed: 2).score(input)))
        let relabelled = try LinearProbe(tolerance: 1e-8, maxIterations: 1000, seed: 2).score(featureInput(x, labels.map { 3 - $0 }))
        #expect(relabelled.score == base.score)
        var scaled = x
        for i in 0..<60 { scaled[i, 1] = 1000 * x[i, 1] - 7 }
        let rescaled = try LinearProbe(tolerance: 1e-8, maxIterations: 1000, seed: 2).score(featureInput(scaled, labels))
        #expect(rescaled.score == base.score)
        #expect(abs((rescaled.details["validation_log_likelihood"] ?? 0) - (base.details["validation_log_likelihood"] ?? 1)) < 1e-6)
        #expect(input.features == copy)
    }

    @Test("bad inputs are rejected")
    func errors() throws {
        let (x, labels) = makeClassificationProblem(n: 12, d: 2, classes: 2, seed: 88)
        #expect(throws: MetricError.unsupportedTask(metric: "linear_probe", task: .regression)) {
            try LinearProbe().score(MetricInput(targets: try regressionTargets(12), features: x))
        }
        #expect(throws: MetricError.missingInput(metric: "linear_probe", input: .features)) {
            try LinearProbe().score(MetricInput(targets: try TargetEncoder.encodeClasses(labels)))
        }
        #expect(throws: MetricError.self) { try LinearProbe(inverseRegularization: 0).score(featureInput(x, labels)) }
        #expect(throws: MetricError.self) { try LinearProbe(validationFraction: 1).score(featureInput(x, labels)) }
        #expect(throws: MetricError.self) { try LinearProbe().score(featureInput(x.rows(0..<5), labels)) }
        var bad = x
        bad[2, 0] = -.infinity
        #expect(throws: MetricError.self) { try LinearProbe().score(featureInput(bad, labels)) }
    }
}
