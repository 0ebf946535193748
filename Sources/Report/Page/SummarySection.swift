extension ReportPage {
    /// What a reader wants first: did the metrics pick the right model, and did
    /// tuning with the hub's knowledge beat plain fine-tuning?
    func summarySection() -> String {
        var parts = [String]()
        parts.append(rankingFindings())
        parts.append(tuningFindings())
        return section("summary", parts.joined(separator: "\n"))
    }

    private func rankingFindings() -> String {
        guard let ranking, let result = run.ranking else { return Self.notRun("ranking (ranking.json is missing)") }
        guard let best = ranking.trulyBest, let truth = run.groundTruth else {
            let picks = ranking.metrics.map {
                "<li>\(HTML.escape(MetricTitle.of($0.name))) ranks <b>\(HTML.escape($0.pick ?? "none"))</b> first</li>"
            }
            return "<ul class=\"findings\">\n" + picks.joined(separator: "\n") + "\n</ul>\n"
                + Self.notRun("fine-tuning ground truth (ground_truth.json is missing), so the picks cannot be checked")
        }
        var out =
            "<p>Truly best model (highest \(HTML.escape(truthName))): <b>\(HTML.escape(best.model))</b>, \(truthText(best.value))\(truthIsFraction ? " %" : "").</p>\n"
        out +=
            "<div class=\"table-wrap\"><table class=\"data\" id=\"table-picks\">\n<thead><tr><th class=\"text\">metric</th>"
            + "<th class=\"text\">ranks first</th><th>its \(HTML.escape(truthColumn))</th><th>regret\(truthIsFraction ? " (points)" : "")</th><th>weighted τ</th></tr></thead>\n<tbody>\n"
        for metric in ranking.metrics {
            let pickValue = metric.pick.flatMap { truth.models[$0] }
            let right = metric.pick == best.model
            let verdict = right ? " <span class=\"good\">✓ the best</span>" : ""
            out +=
                "<tr>"
                + Self.cells([
                    (HTML.escape(MetricTitle.of(metric.name)), true, false),
                    (HTML.escape(metric.pick ?? "none") + verdict, true, false),
                    (pickValue.map(truthText) ?? "–", false, right),
                    (pickValue.map { truthText(best.value - $0) } ?? "–", false, false),
                    (metric.weightedTau.map { NumberText.fixed($0, decimals: 3) } ?? "n/a", false, false),
                ]) + "</tr>\n"
        }
        out += "</tbody></table></div>"
        let hits = ranking.metrics.filter { $0.pick == best.model }.count
        out +=
            "\n<p class=\"note\">\(hits) of \(ranking.metrics.count) metric\(ranking.metrics.count == 1 ? "" : "s") rank the truly best model first"
            + " (\(result.models.count) models ranked). Regret: how much \(HTML.escape(truthName)) is lost by taking the metric's pick.</p>"
        return out
    }

    private func tuningFindings() -> String {
        let measured = tuning.filter { $0.bestTop1 != nil }
        guard !measured.isEmpty else {
            return Self.notRun(run.tuning.isEmpty ? "tuning (no tuning/ directory)" : "tuning (no run has finished: no result.json)")
        }
        let baseline = measured.first { $0.method == options.baselineMethod }
        let others = measured.filter { $0.method != options.baselineMethod }
        // Best by mean best-epoch top-1; ties by name (the list is name-ordered).
        let winner = others.max { ($0.bestTop1!.mean, $1.method) < ($1.bestTop1!.mean, $0.method) }
        func describe(_ t: TuningAnalysis) -> String {
            "<b>\(HTML.escape(t.method))</b> \(Self.percentSpread(t.bestTop1)) % top-1"
        }
        var out = "<ul class=\"findings\">\n"
        if let winner, let baseline {
            let gain = (winner.bestTop1!.mean - baseline.bestTop1!.mean) * 100
            let sign = gain >= 0 ? "+" : "−"
            let cls = gain >= 0 ? "good" : "bad"
            out +=
                "<li>Best tuned method: \(describe(winner)), <span class=\"\(cls)\">\(sign)\(NumberText.fixed(abs(gain), decimals: 2)) points</span>"
                + " over fine-tuning (\(describe(baseline))).</li>\n"
        } else if let winner {
            out +=
                "<li>Best tuned method: \(describe(winner)); no fine-tuning baseline ('\(HTML.escape(options.baselineMethod))') to compare with.</li>\n"
        } else if let baseline {
            out += "<li>Only fine-tuning ran: \(describe(baseline)).</li>\n"
        }
        out +=
            "</ul>\n<p class=\"note\">Top-1 at each run's best validation epoch, mean ± sample standard deviation over seeds; points are percentage points.</p>"
        return out
    }
}
