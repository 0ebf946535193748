import Foundation
import Linalg

/// A linear probe: how well a linear classifier on a model's features separates the
/// target's classes. Ridge regression of one-hot labels on standardised features
/// (plus an intercept), predicting the arg-max; the ridge strength is picked from a
/// small grid on a stratified fifth of the training rows, then refit on all of them.
/// Closed form, so it is deterministic and takes milliseconds at the zoo's sizes.
package enum ZooProbe {
    package static let ridgeGrid: [Double] = [1e-2, 1e-1, 1, 10, 100]

    /// Accuracy on the test rows. `train`/`test` are N x D.
    package static func accuracy(train: Matrix, trainLabels: [Int], test: Matrix, testLabels: [Int]) throws -> Double {
        guard train.rows == trainLabels.count, test.rows == testLabels.count, train.columns == test.columns, train.rows > 0 else {
            throw ZooError.invalidArgument(
                "linear probe: \(train.rows)x\(train.columns) training features for \(trainLabels.count) labels, \(test.rows)x\(test.columns) test features for \(testLabels.count) labels"
            )
        }
        let classes = (trainLabels.max() ?? 0) + 1
        // Hold out every fifth row of each class to choose the ridge strength.
        var seen = [Int](repeating: 0, count: classes)
        var fitRows = [Int](), checkRows = [Int]()
        for (i, y) in trainLabels.enumerated() {
            if seen[y] % 5 == 4 { checkRows.append(i) } else { fitRows.append(i) }
            seen[y] += 1
        }
        var bestRidge = 1.0
        if !checkRows.isEmpty {
            var bestScore = -1.0
            for ridge in ridgeGrid {
                let model = try fit(train.rows(at: fitRows), fitRows.map { trainLabels[$0] }, classes: classes, ridge: ridge)
                let score = model.accuracy(train.rows(at: checkRows), checkRows.map { trainLabels[$0] })
                if score > bestScore { (bestScore, bestRidge) = (score, ridge) }
            }
        }
        return try fit(train, trainLabels, classes: classes, ridge: bestRidge).accuracy(test, testLabels)
    }

    struct Model {
        var mean: [Double]
        var scale: [Double]
        /// (D + 1) x classes, intercept last.
        var weights: Matrix

        func accuracy(_ x: Matrix, _ labels: [Int]) -> Double {
            var correct = 0
            for r in 0..<x.rows {
                var best = -Double.infinity, arg = 0
                for c in 0..<weights.columns {
                    var s = weights[weights.rows - 1, c]
                    for j in 0..<x.columns { s += (x[r, j] - mean[j]) * scale[j] * weights[j, c] }
                    if s > best { (best, arg) = (s, c) }
                }
                if arg == labels[r] { correct += 1 }
            }
            return Double(correct) / Double(max(1, x.rows))
        }
    }

    static func fit(_ x: Matrix, _ labels: [Int], classes: Int, ridge: Double) throws -> Model {
        let n = x.rows, d = x.columns
        var mean = [Double](repeating: 0, count: d), scale = [Double](repeating: 1, count: d)
        for j in 0..<d {
            var s = 0.0
            for r in 0..<n { s += x[r, j] }
            mean[j] = s / Double(n)
            var v = 0.0
            for r in 0..<n { v += (x[r, j] - mean[j]) * (x[r, j] - mean[j]) }
            let sd = (v / Double(n)).squareRoot()
            // A constant feature (a dead unit) carries nothing: zero it instead of dividing by 0.
            scale[j] = sd > 1e-8 ? 1 / sd : 0
        }
        var design = Matrix(rows: n, columns: d + 1)
        var targets = Matrix(rows: n, columns: classes)
        for r in 0..<n {
            for j in 0..<d { design[r, j] = (x[r, j] - mean[j]) * scale[j] }
            design[r, d] = 1
            targets[r, labels[r]] = 1
        }
        var gram = design.gram()
        // The intercept is not penalised.
        for j in 0..<d { gram[j, j] += ridge }
        gram[d, d] += 1e-9
        let rhs = try design.multiplied(by: targets, transposingSelf: true)
        return Model(mean: mean, scale: scale, weights: try gram.solvePositiveDefinite(rhs))
    }
}
