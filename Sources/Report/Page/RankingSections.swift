import Ranking

extension ReportPage {
    /// Every model with every metric's score (and rank), the fine-tuned accuracy
    /// when known; each column's best value highlighted.
    func rankingSection() -> String {
        guard let result = run.ranking else { return section("ranking", Self.notRun("ranking (ranking.json is missing)")) }
        let truth = run.groundTruth?.models
        let metrics = result.metricNames
        func best(_ values: [Double?]) -> Double? { values.compactMap { $0 }.filter(\.isFinite).max() }
        let bestScore = Dictionary(uniqueKeysWithValues: metrics.map { m in (m, best(result.models.map { $0.metrics[m]?.score })) })
        let bestTruth = truth.flatMap { t in best(result.models.map { t[$0.name] }) }

        var out = "<div class=\"table-wrap\"><table class=\"data\" id=\"table-ranking\">\n<thead><tr><th>#</th><th class=\"text\">model</th>"
        out += metrics.map { "<th>\(HTML.escape(MetricTitle.of($0)))</th>" }.joined()
        if truth != nil { out += "<th>\(HTML.escape(truthColumn))</th>" }
        out += "<th>D</th><th>seconds</th></tr></thead>\n<tbody>\n"
        for model in result.models {
            var row: [(text: String, isText: Bool, best: Bool)] = [("\(model.rank)", false, false), (HTML.escape(model.name), true, false)]
            for metric in metrics {
                guard let score = model.metrics[metric] else { row.append(("–", false, false)); continue }
                let rank = metrics.count > 1 ? "<span class=\"sub\">(\(score.rank))</span>" : ""
                row.append((NumberText.short(score.score) + rank, false, score.score == bestScore[metric] ?? nil))
            }
            if let truth {
                let value = truth[model.name]
                row.append((value.map(truthText) ?? "–", false, value != nil && value == bestTruth))
            }
            row.append(("\(model.diagnostics.dimension)", false, false))
            row.append((NumberText.fixed(model.seconds, decimals: 3), false, false))
            out += "<tr>" + Self.cells(row) + "</tr>\n"
        }
        out += "</tbody></table></div>\n"
        var notes = [
            "Ranked by \(HTML.escape(MetricTitle.of(result.metric))) (task: \(HTML.escape(result.task.rawValue)))"
                + (result.models.first.map { ", N = \($0.diagnostics.samples)" } ?? "") + "; higher scores are better for every metric"
                + (metrics.count > 1 ? "; each metric's own rank in parentheses" : "") + ". Highlighted: each column's best."
        ]
        if truth == nil { notes.append("No fine-tuned accuracy column: ground_truth.json is missing.") }
        if !result.labelWarnings.isEmpty { notes.append("Labels: " + HTML.escape(result.labelWarnings.joined(separator: "; "))) }
        for model in result.models where !model.diagnostics.warnings.isEmpty {
            notes.append(HTML.escape(model.name + ": " + model.diagnostics.warnings.joined(separator: "; ")))
        }
        for failure in result.failed { notes.append("Skipped " + HTML.escape(failure.name + ": " + failure.error)) }
        out += notes.map { "<p class=\"note\">\($0)</p>" }.joined(separator: "\n")
        return section("ranking", out)
    }

    /// One scatter per metric: the metric's score against the fine-tuned
    /// accuracy, one point per model, with the weighted tau in the title.
    mutating func scatterSection() -> String {
        guard let ranking else { return section("scatter", Self.notRun("ranking (ranking.json is missing)")) }
        guard run.groundTruth != nil else {
            return section("scatter", Self.notRun("fine-tuning ground truth (ground_truth.json is missing)"))
        }
        let fraction = truthIsFraction
        var charts = [String]()
        for metric in ranking.metrics {
            let tau = metric.weightedTau.map { NumberText.fixed($0, decimals: 3) } ?? "n/a"
            var chart = ScatterChart(
                title: "\(MetricTitle.of(metric.name)) · weighted τ = \(tau)",
                xTitle: "\(MetricTitle.of(metric.name)) score", yTitle: truthColumn,
                points: metric.pairs.map { ScatterChart.Point(label: $0.model, x: $0.score, y: $0.truth) })
            chart.width = 390
            chart.height = 300
            if fraction { chart.yUnit = 100 }
            let truthLabel = truthName
            chart.tooltip = { p in
                "\(p.label): score \(NumberText.short(p.x)), \(truthLabel) \(fraction ? NumberText.fixed(p.y * 100, decimals: 2) : NumberText.short(p.y))"
            }
            charts.append("<figure>" + chart.rendered(id: ids.id("chart-scatter", metric.name)) + "</figure>")
        }
        return section(
            "scatter", "<div class=\"grid\">\n" + charts.joined(separator: "\n") + "\n</div>",
            lead:
                "Each point is a model. A good metric puts the points on a rising line, above all at the top right (the models one would pick). The dashed line is the least-squares fit."
        )
    }

    /// Weighted tau of every metric (and every baseline of evaluation.json), best first.
    mutating func tauSection() -> String {
        let entries = RankingAnalysis.tauEntries(ranking: run.ranking, analysis: ranking, evaluation: run.evaluation)
        guard run.evaluation != nil || (ranking != nil && run.groundTruth != nil), !entries.isEmpty else {
            return section(
                "tau",
                Self.notRun("evaluation (evaluation.json is missing, and the ranking and ground truth it could be computed from are incomplete)"))
        }
        var chart = BarChart(
            title: "Weighted Kendall τ between score and fine-tuned accuracy",
            valueTitle: "weighted τ (1 = same order, 0 = unrelated, −1 = reversed)",
            bars: entries.map { e in
                // evaluation.json's bootstrap interval of weighted tau, when it has one.
                let bootstrap = run.evaluationUncertainty?[e.name]?.weightedTau
                let interval = bootstrap.flatMap { b in b.lower.flatMap { lo in b.upper.map { hi in (lower: lo, upper: hi) } } }
                let intervalText =
                    interval.map {
                        ", \(Int((bootstrap!.level * 100).rounded()))% interval [\(NumberText.fixed($0.lower, decimals: 4)), \(NumberText.fixed($0.upper, decimals: 4))]"
                    } ?? ""
                return BarChart.Bar(
                    label: MetricTitle.of(e.name) + (e.baseline ? " (baseline)" : ""), value: e.tau,
                    color: e.baseline ? Palette.neutral : nil,
                    tooltip: "\(e.name): weighted τ = \(e.tau.map { NumberText.fixed($0, decimals: 4) } ?? "undefined")" + intervalText,
                    interval: interval)
            },
            fixedDomain: -1...1)
        chart.width = 1000
        if entries.contains(where: \.baseline) {
            chart.legend = Legend(entries: [
                Legend.Entry(name: "metric, τ ≥ 0", color: Palette.positive, isLine: false),
                Legend.Entry(name: "metric, τ < 0", color: Palette.negative, isLine: false),
                Legend.Entry(name: "static baseline", color: Palette.neutral, isLine: false),
            ])
        }
        let source = run.evaluation != nil ? "evaluation.json (hubminer evaluate)" : "ranking.json and ground_truth.json"
        var intervals = ""
        if let any = run.evaluationUncertainty?.values.first(where: { $0.weightedTau.lower != nil }) {
            intervals =
                " Error bars: \(Int((any.weightedTau.level * 100).rounded()))% bootstrap percentile intervals of weighted τ over \(any.weightedTau.resamples) resampled model pools."
        }
        return section(
            "tau",
            "<figure>" + chart.rendered(id: "chart-tau") + "</figure>\n"
                + "<p class=\"note\">From \(HTML.escape(source)).\(intervals) Weighted τ (Vigna's hyperbolic weighting, as scipy's weightedtau) counts agreement near the top of the ranking more than agreement among the weak models.</p>",
            lead: "How well each metric's ranking matches the ranking by fine-tuned accuracy.")
    }
}
