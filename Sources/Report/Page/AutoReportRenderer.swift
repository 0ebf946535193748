import Foundation
import RunSchema

/// `auto`'s report: one self-contained HTML page (the run report's stylesheet and
/// charts) with the choice and why, the LogME ranking, every trial, and the
/// validation curves of each rung's trials. Depends only on its inputs.
package enum AutoReportRenderer {
    /// `logs`: each trial's `log.jsonl`, by trial id (missing ones are left out).
    package static func render(_ record: AutoRecord, logs: [String: TuningLog]) -> String {
        func percent(_ x: Double?) -> String { x.map { NumberText.fixed($0 * 100, decimals: 2) } ?? "–" }
        var sections = [String]()

        // Choice.
        var choice = "<section id=\"choice\">\n<h2>Choice</h2>\n"
        if let c = record.choice {
            choice +=
                "<p class=\"lead\">\(HTML.escape(c.model)) tuned with \(HTML.escape(c.method)) (\(HTML.escape(c.settings)), \(c.epochs) epochs): \(HTML.escape(c.reason))</p>\n"
            choice += "<div class=\"table-wrap\"><table class=\"data\" id=\"table-choice\"><tbody>\n"
            choice += "<tr><td class=\"text\">validation top-1 (%)</td><td>\(percent(c.validationTop1))</td></tr>\n"
            if let t = c.test {
                choice += "<tr><td class=\"text\">test top-1 (%), \(HTML.escape(t.evaluation))</td><td>\(percent(t.top1))</td></tr>\n"
                choice += "<tr><td class=\"text\">test samples</td><td>\(t.samples)</td></tr>\n"
            } else {
                choice += "<tr><td class=\"text\">test top-1</td><td>not evaluated (no test split)</td></tr>\n"
            }
            if let m = c.exportedModel {
                choice += "<tr><td class=\"text\">tuned model (hub entry)</td><td class=\"text\">\(HTML.escape(m))</td></tr>\n"
            }
            choice += "</tbody></table></div>\n"
        } else {
            choice += "<p class=\"not-run\">no trial finished: nothing was chosen</p>\n"
        }
        let validation =
            record.validation == "held-out" ? "a seeded, stratified part held out of the training data" : "the dataset's validation split"
        choice +=
            "<p class=\"note\">Every choice (epochs, settings, methods, models) was made on \(HTML.escape(validation)); "
            + "the test split was read once, for the chosen model only.</p>\n"
        for note in record.notes { choice += "<p class=\"note\">\(HTML.escape(note))</p>\n" }
        choice += "</section>"
        sections.append(choice)

        // Ranking.
        var ranking = "<section id=\"ranking\">\n<h2>Ranking (LogME)</h2>\n<div class=\"table-wrap\"><table class=\"data\" id=\"table-ranking\">\n"
        ranking += "<thead><tr><th>rank</th><th class=\"text\">model</th><th>LogME</th><th class=\"text\">tuned</th></tr></thead>\n<tbody>\n"
        for (i, r) in record.ranking.enumerated() {
            ranking +=
                "<tr><td>\(i + 1)</td><td class=\"text\">\(HTML.escape(r.model))</td><td>\(NumberText.fixed(r.logme, decimals: 4))</td>"
                + "<td class=\"text\">\(r.candidate ? "yes" : "")</td></tr>\n"
        }
        ranking += "</tbody></table></div>\n</section>"
        sections.append(ranking)

        // Trials.
        let schedule = zip(record.rungSizes, record.rungEpochs).enumerated()
            .map { "rung \($0.offset): \($0.element.0) × \($0.element.1) epochs" }.joined(separator: ", ")
        var trials =
            "<section id=\"trials\">\n<h2>Trials</h2>\n<p class=\"lead\">Successive halving (eta = \(record.eta)): \(HTML.escape(schedule))"
            + (record.budgetSeconds.map { "; budget \(NumberText.fixed($0, decimals: 0)) s" } ?? "")
            + (record.stoppedByBudget ? " (stopped by the budget)" : "") + ".</p>\n"
        trials += "<div class=\"table-wrap\"><table class=\"data\" id=\"table-trials\">\n<thead><tr><th class=\"text\">trial</th>"
        trials += "<th>rung</th><th class=\"text\">model</th><th class=\"text\">method</th><th class=\"text\">settings</th><th>epochs</th>"
        trials += "<th>val top-1 (%)</th><th>best epoch</th><th>seconds</th><th class=\"text\">status</th></tr></thead>\n<tbody>\n"
        for t in AutoRenderer.ordered(record.trials) {
            let chosen = t.id == record.choice?.trial
            trials +=
                "<tr><td class=\"text\">\(HTML.escape(t.id))\(chosen ? " (chosen)" : "")</td><td>\(t.rung)</td><td class=\"text\">\(HTML.escape(t.model))</td>"
                + "<td class=\"text\">\(HTML.escape(t.method))</td><td class=\"text\">\(HTML.escape(t.settings))</td><td>\(t.epochs)</td>"
                + "<td\(chosen ? " class=\"best\"" : "")>\(percent(t.validationTop1))</td><td>\(t.bestEpoch.map(String.init) ?? "–")</td>"
                + "<td>\(t.seconds.map { NumberText.fixed($0, decimals: 1) } ?? "–")</td>"
                + "<td class=\"text\">\(HTML.escape(t.status == .failed ? "failed: " + (t.error ?? "") : "finished"))</td></tr>\n"
        }
        trials += "</tbody></table></div>\n</section>"
        sections.append(trials)

        // Curves: validation top-1 per epoch, one chart per rung.
        var curves = "<section id=\"curves\">\n<h2>Validation curves</h2>\n"
        var drawn = 0
        for rung in Set(record.trials.map(\.rung)).sorted() {
            let members = record.trials.filter { $0.rung == rung && logs[$0.id] != nil }.sorted { $0.id < $1.id }
            guard !members.isEmpty else { continue }
            var chart = LineChart(
                title: "Rung \(rung): validation top-1 per epoch", xTitle: "epoch", yTitle: "val top-1 (%)",
                series: members.enumerated().map { i, t in
                    LineChart.Series(
                        name: "\(t.id) \(t.model) \(t.method)",
                        samples: logs[t.id]!.epochs.map { LineChart.Sample(x: Double($0.epoch), y: $0.metrics.top1) },
                        color: Palette.color(i), dash: Palette.dash(i))
                })
            chart.width = 1180
            chart.height = 340
            chart.markers = true
            chart.yUnit = 100
            curves += "<figure>" + chart.rendered(id: "chart-rung-\(rung)") + "</figure>\n"
            drawn += 1
        }
        if drawn == 0 { curves += "<p class=\"not-run\">no trial logs</p>\n" }
        curves += "</section>"
        sections.append(curves)

        return HTMLDocument.page(
            title: "hubminer auto", meta: "hub: \(record.hub) · data: \(record.data) · seed \(record.seed)",
            nav: [("choice", "Choice"), ("ranking", "Ranking"), ("trials", "Trials"), ("curves", "Validation curves")],
            sections: sections)
    }
}
