import Ranking

/// Renders a run directory as one self-contained HTML page: inline CSS and SVG,
/// no script, no fonts or images from elsewhere, so it opens offline, reads
/// without JavaScript and prints.
///
/// The output depends only on the run directory's contents (no clock, no
/// dictionary order): the same run gives the same bytes.
public enum ReportRenderer {
    public struct Options: Sendable {
        /// The tuning method the others are compared with.
        public var baselineMethod: String
        public init(baselineMethod: String = "finetune") { self.baselineMethod = baselineMethod }
    }

    public static func render(_ run: RunDirectory, options: Options = Options()) -> String {
        var page = ReportPage(run: run, options: options)
        return page.render()
    }
}

/// The page being built: the run, what was derived from it, and the ids handed out.
struct ReportPage {
    let run: RunDirectory
    let options: ReportRenderer.Options
    let ranking: RankingAnalysis?
    let tuning: [TuningAnalysis]
    /// Ground-truth values are fractions (shown as percentages) when all lie in [0, 1].
    let truthIsFraction: Bool
    var ids = IDAllocator()

    init(run: RunDirectory, options: ReportRenderer.Options) {
        self.run = run
        self.options = options
        ranking = run.ranking.map { RankingAnalysis(ranking: $0, truth: run.groundTruth, evaluation: run.evaluation) }
        tuning = TuningAnalysis.ordered(run.tuning, baseline: options.baselineMethod)
        truthIsFraction = run.groundTruth.map { $0.models.values.allSatisfy { (0...1).contains($0) } } ?? true
    }

    static let sections: [(id: String, title: String)] = [
        ("summary", "Summary"), ("ranking", "Ranking"), ("scatter", "Score vs fine-tuned accuracy"),
        ("tau", "Weighted tau by metric"), ("training", "Training curves"), ("accuracy", "Final accuracy"),
        ("configuration", "Configuration"), ("timings", "Timings"),
    ]

    var title: String { run.run?.title ?? "HubMiner run" }

    mutating func render() -> String {
        var meta = [String]()
        if let created = run.run?.created { meta.append("created " + created) }
        if let hub = run.run?.hub { meta.append("hub: " + hub) }
        if let task = run.run?.task { meta.append("task: " + task) }
        let body = [
            summarySection(), rankingSection(), scatterSection(), tauSection(), trainingSection(),
            accuracySection(), configurationSection(), timingsSection(),
        ]
        return HTMLDocument.page(
            title: title, meta: meta.isEmpty ? "HubMiner run report" : meta.joined(separator: " · "), nav: Self.sections,
            sections: body)
    }

    /// A `<section>` with its heading.
    func section(_ id: String, _ content: String, lead: String? = nil) -> String {
        let title = Self.sections.first { $0.id == id }?.title ?? id
        return "<section id=\"\(id)\">\n<h2>\(HTML.escape(title))</h2>\n"
            + (lead.map { "<p class=\"lead\">\(HTML.escape($0))</p>\n" } ?? "") + content + "\n</section>"
    }

    /// The note shown in place of a part of the run that is missing.
    static func notRun(_ what: String) -> String {
        "<p class=\"not-run\">not run: \(HTML.escape(what))</p>"
    }

    // MARK: formatting

    /// A fraction as a percentage with two decimals ("74.21").
    static func percent(_ fraction: Double) -> String { NumberText.fixed(fraction * 100, decimals: 2) }

    /// "74.21 ± 0.35" (percent) for a statistic over seeds; one seed has no spread.
    static func percentSpread(_ stats: SeedStatistics?) -> String {
        guard let stats else { return "–" }
        guard stats.count > 1 else { return percent(stats.mean) }
        return percent(stats.mean) + " ± " + percent(stats.standardDeviation)
    }

    /// A ground-truth value the way the page shows it (percent for fractions).
    func truthText(_ value: Double) -> String {
        truthIsFraction ? Self.percent(value) : NumberText.short(value)
    }

    /// "fine-tuned top1": what the ground truth measures.
    var truthName: String { "fine-tuned " + (run.groundTruth?.metric ?? "accuracy") }

    /// The same with its unit, for column and axis titles.
    var truthColumn: String { truthName + (truthIsFraction ? " (%)" : "") }

    static func seconds(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        if value >= 3600 { return NumberText.fixed(value / 3600, decimals: 2) + " h" }
        if value >= 120 { return NumberText.fixed(value / 60, decimals: 1) + " min" }
        return NumberText.fixed(value, decimals: value < 10 ? 2 : 1) + " s"
    }

    /// `<td>`s of one table row; `best` marks cells that hold a column's best value.
    static func cells(_ values: [(text: String, isText: Bool, best: Bool)]) -> String {
        values.map { v in
            let classes = [v.isText ? "text" : nil, v.best ? "best" : nil].compactMap { $0 }
            return "<td" + (classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\"") + ">\(v.text)</td>"
        }.joined()
    }
}
