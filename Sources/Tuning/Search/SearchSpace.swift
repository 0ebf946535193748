import Foundation
import Support

/// One hyper-parameter a search varies, over a few values; the first is the
/// method's default, so the defaults are always among the settings tried.
package struct SearchDimension: Sendable, Equatable {
    /// A key of `method_options`.
    package var option: String
    package var values: [Double]

    package init(_ option: String, _ values: [Double]) {
        self.option = option
        self.values = values
    }
}

/// A tuning method that names the options worth searching (beyond the learning
/// rate, which every search varies). A method that does not conform is searched
/// over the learning rate alone; a new method joins `auto`'s search by being in
/// `MethodRegistry.all`, and adds its options by conforming.
package protocol SearchableMethod: TuningMethod {
    static var searchDimensions: [SearchDimension] { get }
}

extension BTuningMethod: SearchableMethod {
    /// lambda: the paper's 100 loses to fine-tuning on a strong student (docs/tuning/btuning.md),
    /// so smaller weights are tried; t: the teachers' LogME softmax temperature.
    package static var searchDimensions: [SearchDimension] {
        [SearchDimension("lambda", [100, 10, 1]), SearchDimension("temperature", [0.1, 1])]
    }
}

extension MultiKDMethod: SearchableMethod {
    package static var searchDimensions: [SearchDimension] {
        [SearchDimension("temperature", [4, 2, 8]), SearchDimension("alpha", [1, 0.5])]
    }
}

extension KDMethod: SearchableMethod {
    package static var searchDimensions: [SearchDimension] {
        [SearchDimension("temperature", [4, 2, 8]), SearchDimension("alpha", [0.9, 0.5])]
    }
}

/// A trial's hyper-parameters: the head's learning rate and the method's options.
package struct TrialSettings: Sendable, Hashable, Codable {
    package var learningRate: Double
    /// `method_options` keys set by the search (others keep the method's defaults).
    package var options: [String: Double]

    enum CodingKeys: String, CodingKey {
        case learningRate = "lr", options
    }

    package init(learningRate: Double, options: [String: Double] = [:]) {
        self.learningRate = learningRate
        self.options = options
    }

    /// "lr=0.01 lambda=10 temperature=1" (options in name order).
    package var summary: String {
        (["lr=\(Self.text(learningRate))"] + options.keys.sorted().map { "\($0)=\(Self.text(options[$0]!))" }).joined(separator: " ")
    }

    static func text(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e6 ? String(Int(x)) : String(format: "%g", x)
    }
}

/// The settings a search tries for one method: a seeded sample of the grid of the
/// learning rate (the base rate times `learningRateFactors`) and the method's
/// `searchDimensions`. The first setting is always the defaults (base rate, the
/// method's own option defaults), so a search never loses the plain configuration.
package enum SearchSpace {
    package static let learningRateFactors: [Double] = [1, 1.0 / 3, 3]

    /// The dimensions searched for `method`: its own, when it declares them.
    package static func dimensions(for method: any TuningMethod.Type) -> [SearchDimension] {
        (method as? any SearchableMethod.Type)?.searchDimensions ?? []
    }

    /// Up to `count` distinct settings, the defaults first, then a seeded sample
    /// without replacement of the rest of the grid (the same seed gives the same
    /// settings in the same order).
    package static func sample(
        method: any TuningMethod.Type, baseLearningRate: Double, count: Int, seed: UInt64
    ) -> [TrialSettings] {
        sample(dimensions: dimensions(for: method), baseLearningRate: baseLearningRate, count: count, seed: seed)
    }

    package static func sample(dimensions: [SearchDimension], baseLearningRate: Double, count: Int, seed: UInt64) -> [TrialSettings] {
        guard count > 0 else { return [] }
        let axes = [learningRateFactors.map { $0 * baseLearningRate }] + dimensions.map(\.values)
        // Every grid point as indices along the axes; index 0 everywhere is the defaults.
        var grid: [[Int]] = [[]]
        for axis in axes { grid = grid.flatMap { point in axis.indices.map { point + [$0] } } }
        var rest = Array(grid.dropFirst())
        // Fisher-Yates with the project's generator (the standard library's shuffle
        // algorithm is not promised to stay the same).
        var generator = SeededGenerator(seed: seed, streams: [0x5EA2C4])
        for i in stride(from: rest.count - 1, to: 0, by: -1) {
            rest.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        let chosen = [grid[0]] + rest.prefix(count - 1)
        return chosen.map { point in
            var options = [String: Double]()
            for (d, dimension) in dimensions.enumerated() { options[dimension.option] = dimension.values[point[d + 1]] }
            return TrialSettings(learningRate: axes[0][point[0]], options: options)
        }
    }
}
