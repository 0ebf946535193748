extension ReportPage {
    /// run.json's facts and configuration, and each tuning method's resolved
    /// configuration (seed runs of a method differ only in the seed, so the
    /// first seed's is shown).
    func configurationSection() -> String {
        var out = ""
        if let info = run.run {
            var facts = [("title", info.title)]
            if let created = info.created { facts.append(("created", created)) }
            if let hub = info.hub { facts.append(("hub", hub)) }
            if let task = info.task { facts.append(("task", task)) }
            out += "<dl class=\"facts\">\n" + facts.map { "<dt>\($0.0)</dt><dd>\(HTML.escape($0.1))</dd>" }.joined(separator: "\n") + "\n</dl>\n"
            if let config = info.config {
                out += "<h3>Run configuration</h3>\n<pre id=\"config-run\">\(HTML.escape(config))</pre>\n"
            }
        } else {
            out += Self.notRun("run description (run.json is missing)") + "\n"
        }
        let configs = run.tuning.compactMap { m in m.seeds.first { $0.config != nil }.map { (m.method, $0.seed, $0.config!) } }
        if !configs.isEmpty {
            out += "<h3>Tuning configurations</h3>\n"
            for (method, seed, config) in configs.sorted(by: { $0.0 < $1.0 }) {
                out +=
                    "<details><summary>\(HTML.escape(method)) (seed-\(seed)/config.json)</summary>\n<pre>\(HTML.escape(config))</pre></details>\n"
            }
        }
        return section("configuration", out)
    }

    /// Stage timings from run.json, and the mean time of one tuning run per method.
    func timingsSection() -> String {
        var out = ""
        if let timings = run.run?.timings, !timings.isEmpty {
            let total = timings.map(\.seconds).filter(\.isFinite).reduce(0, +)
            let longest = timings.map(\.seconds).filter(\.isFinite).max() ?? 0
            out +=
                "<div class=\"table-wrap\"><table class=\"data\" id=\"table-timings\">\n<thead><tr><th class=\"text\">stage</th>"
                + "<th>time</th><th>share</th><th class=\"text bar-cell\"></th></tr></thead>\n<tbody>\n"
            for t in timings {
                let share = total > 0 && t.seconds.isFinite ? t.seconds / total : 0
                // Bars scale to the longest stage so short stages stay visible.
                let width = longest > 0 && t.seconds.isFinite ? max(0, t.seconds / longest * 100) : 0
                out +=
                    "<tr>"
                    + Self.cells([
                        (HTML.escape(t.stage), true, false), (Self.seconds(t.seconds), false, false),
                        (NumberText.fixed(share * 100, decimals: 1) + " %", false, false),
                        ("<span style=\"width: \(NumberText.fixed(width, decimals: 1))%\"></span>", true, false),
                    ]) + "</tr>\n"
            }
            out +=
                "<tr>"
                + Self.cells([
                    ("<b>total</b>", true, false), ("<b>\(Self.seconds(total))</b>", false, false),
                    ("", false, false), ("", true, false),
                ]) + "</tr>\n</tbody></table></div>\n"
        } else {
            out += Self.notRun(run.run == nil ? "run description (run.json is missing)" : "stage timings (run.json has no timings)") + "\n"
        }
        let tuned = tuning.filter { $0.seconds != nil }
        if !tuned.isEmpty {
            out +=
                "<p class=\"note\">One tuning run takes on average: "
                + tuned.map { "\(HTML.escape($0.method)) \(Self.seconds($0.seconds!.mean))" }.joined(separator: ", ") + ".</p>"
        }
        return section("timings", out)
    }
}
