import Foundation
import Numerics
import Ranking
import Testing

/// Agreement with scipy on values written by
/// `scripts/fixtures/make_rank_correlation_fixtures.py` (see its header), and
/// with the published LogME evaluation table.
@Suite struct ScipyGoldenTests {
    /// scipy and this module sum the same terms in different orders; 1e-12 is
    /// far above that rounding and far below any real discrepancy.
    static let tolerance = 1e-12

    struct Golden: Decodable {
        struct Case: Decodable {
            let name: String
            let x: [Double]
            let y: [Double]
            let weighted_tau: Double?
            let kendall_tau_b: Double?
            let spearman: Double?
            let pearson: Double?
        }
        let scipy_version: String
        let cases: [Case]
        let logme_weighted_tau: [String: Double]
    }

    struct LogMETable: Decodable {
        let datasets: [String]
        let models: [String]
        let fine_tune_accuracy: [[Double]]
        let logme: [[Double]]
        let weighted_tau_rounded: [String: RoundedValue]

        /// The rounded-values object also carries a `description` string.
        enum RoundedValue: Decodable {
            case value(Double), text(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let value = try? container.decode(Double.self) { self = .value(value) } else { self = .text(try container.decode(String.self)) }
            }
        }

        func column(_ rows: [[Double]], _ dataset: String) -> [Double] {
            let j = datasets.firstIndex(of: dataset)!
            return rows.map { $0[j] }
        }
    }

    static let golden = Result { try EvaluationFixtures.load(Golden.self, named: "rank_correlation_golden") }
    static let table = Result { try EvaluationFixtures.load(LogMETable.self, named: "logme_published_table") }

    @Test func fixtureCoversTheIntendedCases() throws {
        let cases = try Self.golden.get().cases
        #expect(cases.count >= 50)
        let sizes = cases.map(\.x.count)
        #expect(sizes.min() == 2 && sizes.max() == 60)
        let hasTies = { (values: [Double]) in Set(values).count < values.count }
        #expect(cases.contains { hasTies($0.x) && !hasTies($0.y) })
        #expect(cases.contains { !hasTies($0.x) && hasTies($0.y) })
        #expect(
            cases.contains { case_ in
                Set(zip(case_.x, case_.y).map { "\($0)|\($1)" }).count < case_.x.count
            }, "some case has joint ties")
        #expect(cases.contains { $0.weighted_tau == nil }, "some case has a constant side")
    }

    @Test func allStatisticsMatchScipy() throws {
        let golden = try Self.golden.get()
        for c in golden.cases {
            let context = "case \(c.name) (scipy \(golden.scipy_version))"
            EvaluationCheck.close(
                try RankCorrelation.weightedTau(c.x, c.y), c.weighted_tau,
                tolerance: Self.tolerance, "weightedtau, " + context)
            EvaluationCheck.close(
                try RankCorrelation.kendallTauB(c.x, c.y), c.kendall_tau_b,
                tolerance: Self.tolerance, "kendalltau, " + context)
            EvaluationCheck.close(
                try RankCorrelation.spearman(c.x, c.y), c.spearman,
                tolerance: Self.tolerance, "spearmanr, " + context)
            EvaluationCheck.close(
                try RankCorrelation.pearson(c.x, c.y), c.pearson,
                tolerance: Self.tolerance, "pearsonr, " + context)
        }
    }

    /// The test's own brute force against scipy too, so a shared
    /// misreading of scipy by both implementations cannot pass unnoticed.
    @Test func bruteForceMatchesScipy() throws {
        for c in try Self.golden.get().cases {
            EvaluationCheck.close(
                BruteForceRankStatistics.weightedTau(c.x, c.y), c.weighted_tau,
                tolerance: Self.tolerance, "weightedtau, case \(c.name)")
            EvaluationCheck.close(
                BruteForceRankStatistics.kendallTauB(c.x, c.y), c.kendall_tau_b,
                tolerance: Self.tolerance, "kendalltau, case \(c.name)")
        }
    }

    @Test func logMETableIsComplete() throws {
        let table = try Self.table.get()
        #expect(table.datasets.count == 9 && table.models.count == 10)
        #expect(table.fine_tune_accuracy.count == 10 && table.fine_tune_accuracy.allSatisfy { $0.count == 9 })
        #expect(table.logme.count == 10 && table.logme.allSatisfy { $0.count == 9 })
    }

    /// For each dataset: implementation, brute force and scipy agree on the
    /// weighted tau of LogME score against fine-tuning accuracy.
    @Test func logMEWeightedTauMatchesBruteForceAndScipy() throws {
        let table = try Self.table.get()
        let scipyValues = try Self.golden.get().logme_weighted_tau
        #expect(Set(scipyValues.keys) == Set(table.datasets))
        for dataset in table.datasets {
            let scores = table.column(table.logme, dataset)
            let accuracy = table.column(table.fine_tune_accuracy, dataset)
            let implementation = try RankCorrelation.weightedTau(scores, accuracy)
            let bruteForce = BruteForceRankStatistics.weightedTau(scores, accuracy)
            EvaluationCheck.close(implementation, bruteForce, tolerance: Self.tolerance, "\(dataset): vs brute force")
            EvaluationCheck.close(implementation, scipyValues[dataset], tolerance: Self.tolerance, "\(dataset): vs scipy")
        }
    }

    /// The rounded values quoted with the table, to their 4 decimals.
    @Test func logMEWeightedTauMatchesQuotedRoundedValues() throws {
        let table = try Self.table.get()
        var checked = 0
        for (dataset, entry) in table.weighted_tau_rounded {
            guard case .value(let quoted) = entry else { continue }
            let value = try #require(
                try RankCorrelation.weightedTau(
                    table.column(table.logme, dataset),
                    table.column(table.fine_tune_accuracy, dataset)))
            #expect((value * 10_000).rounded() / 10_000 == quoted, "\(dataset): \(value) rounds differently from \(quoted)")
            checked += 1
        }
        #expect(checked == 3)
    }

    /// The evaluation entry point reports the same weighted tau.
    @Test func evaluateReportsTheSameWeightedTau() throws {
        let table = try Self.table.get()
        let scipyValues = try Self.golden.get().logme_weighted_tau
        for dataset in table.datasets {
            let quality = try RankingEvaluation.evaluate(
                scores: table.column(table.logme, dataset),
                truth: table.column(table.fine_tune_accuracy, dataset))
            EvaluationCheck.close(quality.weightedTau, scipyValues[dataset], tolerance: Self.tolerance, dataset)
        }
    }
}
