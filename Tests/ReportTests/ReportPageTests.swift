import Foundation
import Ranking
import Testing
@testable import Report
import RunSchema

@Suite("Report page")
struct ReportPageTests {
    static let sectionIDs = ["summary", "ranking", "scatter", "tau", "training", "accuracy", "configuration", "timings"]

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("the fixture's page has every section, one scatter per metric and every training chart")
    func everySection() throws {
        let run = try RunDirectory.load(Fixture.run)
        let html = ReportRenderer.render(run)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.contains("<title>Demo run: ranking and tuning on the generated hub · HubMiner report</title>"))
        for id in Self.sectionIDs { #expect(html.contains("<section id=\"\(id)\">"), "section \(id)") }
        for metric in try #require(run.ranking).metricNames {
            #expect(Self.count("id=\"chart-scatter-\(metric)\"", in: html) == 1, "scatter of \(metric)")
        }
        #expect(Self.count("id=\"chart-scatter-", in: html) == 6)
        #expect(Self.count("id=\"chart-tau\"", in: html) == 1)
        #expect(html.contains("id=\"chart-acc-all\""))
        for method in ["finetune", "btuning", "kd", "l2sp"] {
            #expect(html.contains("id=\"chart-loss-\(method)\"") && html.contains("id=\"chart-acc-\(method)\""))
        }
        // Every chart is an inline <svg class="chart">, and every plotted model is a point.
        #expect(Self.count("class=\"chart\"", in: html) == 6 + 1 + 1 + 8)
        #expect(Self.count("class=\"point\"", in: html) == 6 * 6)
        // Weighted tau in the scatter titles, as evaluation.json has it.
        #expect(html.contains("kNN accuracy · weighted τ = 0.755"))
        #expect(!html.contains("not run"))
    }

    @Test("self-contained: no script, no URL, no external resource, no NaN")
    func selfContained() throws {
        let html = ReportRenderer.render(try RunDirectory.load(Fixture.run))
        let lower = html.lowercased()
        for forbidden in ["<script", "http://", "https://", "src=", "@import", "url(", "<link", "nan<", ">nan", "=\"nan"] {
            #expect(!lower.contains(forbidden), "found \(forbidden)")
        }
    }

    @Test("the summary names the truly best model, each metric's pick and the gain over fine-tuning")
    func summary() throws {
        let html = ReportRenderer.render(try RunDirectory.load(Fixture.run))
        let summary = try #require(html.components(separatedBy: "<section id=\"summary\">").last?.components(separatedBy: "</section>").first)
        #expect(summary.contains("<b>vit-like-384</b>, 81.50 %."))
        #expect(summary.contains("0 of 6 metrics rank the truly best model first"))
        // btuning 80.57 vs finetune 77.92 (means of the fixture's best top-1).
        #expect(summary.contains("<b>btuning</b> 80.57 ± 0.93 % top-1"))
        #expect(summary.contains("+2.65 points"))
    }

    @Test("the tau chart draws evaluation.json's bootstrap intervals as error bars")
    func tauIntervals() throws {
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        let path = root + "/evaluation.json"
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        func uncertainty(_ lower: Double?, _ upper: Double?) -> [String: Any] {
            var tau: [String: Any] = ["estimate": 0.5, "level": 0.9, "resamples": 200, "undefined_resamples": 0]
            tau["lower"] = lower
            tau["upper"] = upper
            return [
                "weighted_tau": tau, "regret_top1": ["level": 0.9, "resamples": 200, "undefined_resamples": 0],
                "recall_at": [String: Double](),
            ]
        }
        // Two metrics with an interval, one whose resamples were all undefined.
        json["uncertainty"] = ["knn": uncertainty(0.41, 0.93), "logme": uncertainty(-0.2, 0.85), "sfda": uncertainty(nil, nil)]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))

        let run = try RunDirectory.load(root)
        #expect(run.evaluationUncertainty?["knn"]?.weightedTau.lower == 0.41)
        let html = ReportRenderer.render(run)
        let tau = try #require(html.components(separatedBy: "<section id=\"tau\">").last?.components(separatedBy: "</section>").first)
        #expect(Self.count("class=\"error-bar\"", in: tau) == 2)
        #expect(Self.count("class=\"error-cap\"", in: tau) == 4)
        #expect(tau.contains("knn: weighted τ = 0.7551, 90% interval [0.4100, 0.9300]"))
        #expect(tau.contains("Error bars: 90% bootstrap percentile intervals of weighted τ over 200 resampled model pools."))

        // The committed fixture has no intervals: no error bars, no note.
        let plain = ReportRenderer.render(try RunDirectory.load(Fixture.run))
        #expect(!plain.contains("error-bar") && !plain.contains("Error bars:"))
    }

    @Test("missing parts render a 'not run' note instead of failing")
    func notRun() throws {
        let root = try Fixture.copy()
        defer { Fixture.remove(root) }
        for file in ["run.json", "ground_truth.json", "evaluation.json", "tuning"] {
            try FileManager.default.removeItem(atPath: root + "/" + file)
        }
        let html = ReportRenderer.render(try RunDirectory.load(root))
        for id in Self.sectionIDs { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(html.contains("<table class=\"data\" id=\"table-ranking\">"))
        for note in [
            "not run: fine-tuning ground truth (ground_truth.json is missing)", "not run: tuning (no tuning/ directory)",
            "not run: run description (run.json is missing)", "not run: evaluation (evaluation.json is missing",
        ] {
            #expect(html.contains(note), "\(note)")
        }
        #expect(!html.contains("id=\"chart-"))

        // Only a tuning directory, one seed of it unfinished.
        let tuningOnly = try Fixture.copy()
        defer { Fixture.remove(tuningOnly) }
        for file in ["run.json", "ranking.json", "ground_truth.json", "evaluation.json"] {
            try FileManager.default.removeItem(atPath: tuningOnly + "/" + file)
        }
        try FileManager.default.removeItem(atPath: tuningOnly + "/tuning/kd/seed-2/result.json")
        let tuned = ReportRenderer.render(try RunDirectory.load(tuningOnly))
        #expect(tuned.contains("not run: ranking (ranking.json is missing)"))
        #expect(tuned.contains("id=\"chart-loss-kd\""))
        #expect(tuned.contains("No result.json yet (not finished): kd/seed-2."))
        #expect(tuned.contains("<td>2 of 3</td>"))
    }

    @Test("model names with <>&\" are escaped everywhere on the page")
    func escapedNames() throws {
        let nasty = "<img src=x onerror=\"alert(1)\">&co"
        func model(_ name: String, _ score: Double) -> ModelScore {
            ModelScore(
                name: name, score: score, rank: 0, seconds: 0.1, diagnostics: ModelDiagnostics(samples: 10, dimension: 4),
                metrics: ["logme": MetricScore(score: score, seconds: 0.1)])
        }
        let ranking = RankingResult(
            task: .classification, metric: "logme",
            models: RankingResult.ranked([model(nasty, 1), model("plain", 0.5), model("<3", 0.2)], metricNames: ["logme"]))
        let run = RunDirectory(
            path: "x", ranking: ranking,
            groundTruth: GroundTruth(metric: "top1", models: [nasty: 0.9, "plain": 0.7, "<3": 0.1]))
        let html = ReportRenderer.render(run)
        #expect(!html.contains(nasty))
        #expect(!html.contains("<3"))
        #expect(html.contains("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;co"))
        #expect(!html.lowercased().contains("<img"))
    }

    @Test("deterministic: loading and rendering twice gives the same bytes")
    func deterministic() throws {
        let a = ReportRenderer.render(try RunDirectory.load(Fixture.run))
        let b = ReportRenderer.render(try RunDirectory.load(Fixture.run))
        #expect(a == b)
    }

    @Test("ids stay unique when names collide after sanitising")
    func uniqueIDs() {
        var ids = IDAllocator()
        #expect(ids.id("chart-scatter", "a b") == "chart-scatter-a-b")
        #expect(ids.id("chart-scatter", "a-b") == "chart-scatter-a-b-2")
        #expect(ids.id("chart-scatter", "<>") == "chart-scatter-x")
    }
}
