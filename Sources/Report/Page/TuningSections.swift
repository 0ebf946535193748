extension ReportPage {
    /// Validation top-1 of every method on one chart, then per method its loss
    /// terms and its train/validation top-1, each a mean over seeds with the
    /// min-max range as a band.
    mutating func trainingSection() -> String {
        guard !tuning.isEmpty else { return section("training", Self.notRun("tuning (no tuning/ directory)")) }
        var out = ""
        let withCurves = tuning.filter { !$0.valTop1.isEmpty }
        if withCurves.count > 1 {
            var all = LineChart(
                title: "Validation top-1 by method (mean over seeds, band = min–max)", xTitle: "epoch",
                yTitle: "val top-1 (%)",
                series: withCurves.enumerated().map { i, t in
                    LineChart.Series(name: t.method, samples: t.valTop1, color: Palette.color(i), dash: Palette.dash(i))
                })
            all.width = 1180
            all.height = 340
            all.markers = true
            all.yUnit = 100
            all.tooltip = Self.accuracyTooltip
            out += "<figure>" + all.rendered(id: "chart-acc-all") + "</figure>\n"
        }
        for t in tuning {
            out += "<div class=\"method\" id=\"\(ids.id("method", t.method))\">\n<h3>\(HTML.escape(t.method))</h3>\n"
            var facts = ["\(t.seeds) seed\(t.seeds == 1 ? "" : "s")", "\(t.finished.count) finished"]
            if !t.termWeights.isEmpty {
                facts.append(
                    "loss = " + t.termWeights.keys.sorted().map { "\(NumberText.compact(t.termWeights[$0]!))·\($0)" }.joined(separator: " + "))
            }
            if t.incompleteLogs > 0 {
                facts.append("\(t.incompleteLogs) log\(t.incompleteLogs == 1 ? "" : "s") still being written (last line left out)")
            }
            out += "<p class=\"weights\">\(HTML.escape(facts.joined(separator: " · ")))</p>\n"
            guard !t.lossCurves.isEmpty || !t.valTop1.isEmpty else {
                out += Self.notRun("training log (no log.jsonl with step or epoch events)") + "\n</div>\n"
                continue
            }
            var loss = LineChart(
                title: "\(t.method): loss terms (unweighted)", xTitle: t.lossByIteration ? "iteration" : "epoch",
                yTitle: "loss",
                series: t.lossCurves.enumerated().map { i, c in
                    LineChart.Series(name: c.term, samples: c.samples, color: Palette.color(i), dash: Palette.dash(i))
                })
            loss.width = 580
            loss.markers = !t.lossByIteration
            var accuracy = LineChart(
                title: "\(t.method): top-1 per epoch", xTitle: "epoch", yTitle: "top-1 (%)",
                series: [LineChart.Series(name: "validation", samples: t.valTop1, color: Palette.color(0))]
                    + (t.trainTop1.isEmpty
                        ? []
                        : [
                            LineChart.Series(
                                name: "train", samples: t.trainTop1,
                                color: Palette.color(1), dash: "6 3")
                        ]))
            accuracy.width = 580
            accuracy.markers = true
            accuracy.yUnit = 100
            accuracy.tooltip = Self.accuracyTooltip
            out +=
                "<div class=\"grid two\">\n<figure>" + loss.rendered(id: ids.id("chart-loss", t.method)) + "</figure>\n<figure>"
                + accuracy.rendered(id: ids.id("chart-acc", t.method)) + "</figure>\n</div>\n</div>\n"
        }
        return section("training", out, lead: "Lines are means over seeds; the shaded band spans the lowest to the highest seed.")
    }

    static let accuracyTooltip: @Sendable (LineChart.Series, LineChart.Sample) -> String = { series, sample in
        var text = "\(series.name), epoch \(NumberText.short(sample.x)): \(percent(sample.y)) %"
        if let low = sample.low, let high = sample.high, low != high { text += " (seeds \(percent(low))–\(percent(high)))" }
        return text
    }

    /// Method x (best, last) top-1 as mean ± std over seeds, with the gain over
    /// the fine-tuning baseline.
    func accuracySection() -> String {
        guard !tuning.isEmpty else { return section("accuracy", Self.notRun("tuning (no tuning/ directory)")) }
        let baseline = tuning.first { $0.method == options.baselineMethod }?.bestTop1?.mean
        func best(_ values: [Double?]) -> Double? { values.compactMap { $0 }.filter(\.isFinite).max() }
        let bestBest = best(tuning.map { $0.bestTop1?.mean }), bestLast = best(tuning.map { $0.lastTop1?.mean })
        let bestTop5 = best(tuning.map { $0.bestTop5?.mean })
        let showTop5 = tuning.contains { $0.bestTop5 != nil }
        let showTest = tuning.contains { $0.testTop1 != nil }
        var out =
            "<div class=\"table-wrap\"><table class=\"data\" id=\"table-accuracy\">\n<thead><tr><th class=\"text\">method</th>"
            + "<th>seeds</th><th>best top-1 (%)</th><th>last top-1 (%)</th>" + (showTop5 ? "<th>best top-5 (%)</th>" : "")
            + (showTest ? "<th>test top-1 (%), evaluated once</th>" : "")
            + "<th>best epoch</th><th>vs \(HTML.escape(options.baselineMethod)) (points)</th><th>time per run</th></tr></thead>\n<tbody>\n"
        for t in tuning {
            let gain: String
            if let baseline, let mean = t.bestTop1?.mean, t.method != options.baselineMethod {
                let d = (mean - baseline) * 100
                gain = "<span class=\"\(d >= 0 ? "good" : "bad")\">\(d >= 0 ? "+" : "−")\(NumberText.fixed(abs(d), decimals: 2))</span>"
            } else {
                gain = "–"
            }
            var row: [(text: String, isText: Bool, best: Bool)] = [
                (HTML.escape(t.method), true, false),
                ("\(t.finished.count)" + (t.finished.count < t.seeds ? " of \(t.seeds)" : ""), false, false),
                (Self.percentSpread(t.bestTop1), false, t.bestTop1 != nil && t.bestTop1?.mean == bestBest),
                (Self.percentSpread(t.lastTop1), false, t.lastTop1 != nil && t.lastTop1?.mean == bestLast),
            ]
            if showTop5 { row.append((Self.percentSpread(t.bestTop5), false, t.bestTop5 != nil && t.bestTop5?.mean == bestTop5)) }
            if showTest { row.append((Self.percentSpread(t.testTop1), false, false)) }
            row.append((t.bestEpoch.map { NumberText.fixed($0.mean, decimals: 1) } ?? "–", false, false))
            row.append((gain, false, false))
            row.append((t.seconds.map { Self.seconds($0.mean) } ?? "–", false, false))
            out += "<tr>" + Self.cells(row) + "</tr>\n"
        }
        out +=
            "</tbody></table></div>\n<p class=\"note\">Mean ± sample standard deviation (n − 1) over the finished seeds; "
            + "“best” is the epoch with the highest validation top-1, “last” the final epoch. Highlighted: each column's best."
            + (showTest
                ? " Test top-1: the test accuracy (evaluated once, after selection on validation) of each run's chosen epoch; nothing is chosen on it."
                : "")
            + "</p>"
        let unfinished = run.tuning.flatMap { m in m.seeds.filter { $0.result == nil }.map { "\(m.method)/seed-\($0.seed)" } }
        if !unfinished.isEmpty {
            out += "\n<p class=\"note\">No result.json yet (not finished): \(HTML.escape(unfinished.joined(separator: ", "))).</p>"
        }
        return section("accuracy", out)
    }
}
