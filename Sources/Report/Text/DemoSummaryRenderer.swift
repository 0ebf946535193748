import Foundation
import Ranking

/// What the demo found, for the summary printed at the end.
public struct DemoSummary: Sendable {
    public struct MethodAccuracy: Sendable {
        public var method: String
        public var best: [Double]
        public var last: [Double]
        /// Test top-1 of each seed's chosen epoch (evaluated once, after selection on
        /// validation); empty when the target has no test split.
        public var test: [Double]
        public init(method: String, best: [Double], last: [Double], test: [Double] = []) {
            self.method = method
            self.best = best
            self.last = last
            self.test = test
        }
    }
    public var runDirectory: URL
    public var report: URL
    public var ranking: RankingResult
    /// Model -> fine-tuned accuracy on the target's test split.
    public var groundTruth: [String: Double]
    public var evaluation: [String: RankingQuality]
    public var student: String
    public var teachers: [String]
    public var tuning: [MethodAccuracy]
    public var timings: [(stage: String, seconds: Double)]

    public init(
        runDirectory: URL, report: URL, ranking: RankingResult, groundTruth: [String: Double],
        evaluation: [String: RankingQuality], student: String, teachers: [String], tuning: [MethodAccuracy],
        timings: [(stage: String, seconds: Double)]
    ) {
        self.runDirectory = runDirectory
        self.report = report
        self.ranking = ranking
        self.groundTruth = groundTruth
        self.evaluation = evaluation
        self.student = student
        self.teachers = teachers
        self.tuning = tuning
        self.timings = timings
    }
}

/// The demo's closing summary: the ranking against the ground truth, how well each
/// metric ranked, and the tuning comparison.
public enum DemoSummaryRenderer {
    public static func render(_ s: DemoSummary) -> String {
        var out = ""
        var ranking = TextTable(headers: ["rank", "model", "logme", "fine-tuned top-1"], alignments: [.right, .left, .right, .right])
        for (i, m) in s.ranking.models.sorted(by: { $0.score > $1.score }).enumerated() {
            ranking.append(["\(i + 1)", m.name, String(format: "%.4f", m.score), s.groundTruth[m.name].map { String(format: "%.3f", $0) } ?? "-"])
        }
        out += "Ranking of the zoo by LogME, against fine-tuning on the target:\n" + ranking.rendered() + "\n"

        var metrics = TextTable(headers: ["metric", "weighted tau", "pearson", "top-1 regret"], alignments: [.left, .right, .right, .right])
        let names = s.evaluation.keys.sorted { (s.evaluation[$0]!.weightedTau ?? -2) > (s.evaluation[$1]!.weightedTau ?? -2) }
        func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
        for name in names {
            let q = s.evaluation[name]!
            metrics.append([name, f(q.weightedTau), f(q.pearson), f(q.regretTop1)])
        }
        out += "\nHow well each metric predicted the fine-tuned ranking:\n" + metrics.rendered() + "\n"

        // Gains are read on the test split (each run's chosen epoch, evaluated once)
        // when the target has one, else on validation.
        let onTest = !s.tuning.isEmpty && s.tuning.allSatisfy { !$0.test.isEmpty }
        var tuning = TextTable(
            headers: ["method", "best val top-1", "last val top-1"] + (onTest ? ["test top-1 (once)"] : []) + ["vs finetune"],
            alignments: [.left, .right, .right, .right] + (onTest ? [.right] : []))
        func compared(_ m: DemoSummary.MethodAccuracy) -> [Double] { onTest ? m.test : m.best }
        let baseline = s.tuning.first { $0.method == "finetune" }.map { mean(compared($0)) }
        for m in s.tuning {
            let gain = baseline.map { String(format: "%+.3f", mean(compared(m)) - $0) } ?? "-"
            tuning.append(
                [m.method, spread(m.best), spread(m.last)] + (onTest ? [spread(m.test)] : []) + [m.method == "finetune" ? "" : gain])
        }
        out +=
            "\nTuning \(s.student) (teachers: \(s.teachers.joined(separator: ", "))), mean ± std over \(s.tuning.first?.best.count ?? 0) seed(s)"
            + (onTest ? "; test accuracy evaluated once per run, after selection on validation" : "") + ":\n"
        out += tuning.rendered() + "\n"
        let total = s.timings.reduce(0) { $0 + $1.seconds }
        out +=
            "\n" + s.timings.map { "\($0.stage) \(String(format: "%.1f", $0.seconds)) s" }.joined(separator: ", ")
            + String(format: "; total %.1f s\n", total)
        out += "Report: \(s.report.path)\n"
        return out
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? .nan : x.reduce(0, +) / Double(x.count) }

    static func spread(_ x: [Double]) -> String {
        guard x.count > 1 else { return x.first.map { String(format: "%.3f", $0) } ?? "-" }
        let m = mean(x)
        let sd = (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)).squareRoot()
        return String(format: "%.3f ± %.3f", m, sd)
    }
}
