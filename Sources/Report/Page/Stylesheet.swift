/// The page's only styles, inlined into `<head>`: no web fonts, no external
/// sheets. Laid out for a 1280 px window (three scatters per row) and for print.
enum Stylesheet {
    static let css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #f6f7f9; color: #222; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 20px 24px 40px; }
        header h1 { margin: 0 0 4px; font-size: 26px; }
        header .meta { margin: 0 0 10px; color: #555; }
        nav { display: flex; flex-wrap: wrap; gap: 6px 16px; margin: 8px 0 4px; font-size: 13px; }
        nav a { color: #0a5a9c; text-decoration: none; }
        section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 14px 20px 18px; margin: 16px 0; }
        h2 { margin: 0 0 10px; font-size: 19px; }
        h3 { margin: 18px 0 6px; font-size: 16px; }
        p.lead { margin: 0 0 10px; color: #444; }
        p.not-run { color: #7a5c00; background: #fff8e1; border-left: 4px solid #e0b000; padding: 6px 10px; margin: 6px 0; }
        p.note { color: #555; font-size: 12.5px; margin: 6px 0; }
        ul.findings { margin: 4px 0 10px; padding-left: 20px; }
        ul.findings li { margin: 3px 0; }
        table.data { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0; }
        table.data th, table.data td { padding: 4px 10px; border-bottom: 1px solid #e6e8eb; text-align: right; white-space: nowrap; }
        table.data th { background: #f0f2f5; font-weight: 600; border-bottom: 2px solid #cfd4da; }
        table.data th.text, table.data td.text { text-align: left; }
        table.data td.best { background: #e3f0fa; font-weight: 700; }
        table.data tr.truth-best td.text:first-of-type { font-weight: 600; }
        table.data .sub { color: #777; font-size: 11px; margin-left: 3px; }
        .table-wrap { overflow-x: auto; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(370px, 1fr)); gap: 12px 16px; align-items: start; }
        .grid.two { grid-template-columns: repeat(2, minmax(0, 1fr)); }
        figure { margin: 0; }
        svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
        .method { border-top: 1px solid #e6e8eb; margin-top: 14px; padding-top: 4px; }
        .method .weights { color: #555; font-size: 12.5px; margin: 0 0 4px; }
        pre { background: #f4f5f7; border: 1px solid #e1e4e8; border-radius: 4px; padding: 10px 12px; overflow-x: auto; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; white-space: pre-wrap; word-break: break-word; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 8px; }
        dl.facts dt { color: #555; }
        dl.facts dd { margin: 0; }
        details { margin: 6px 0; }
        summary { cursor: pointer; color: #0a5a9c; }
        .bar-cell, #table-timings td:nth-child(4) { width: 320px; }
        #table-timings td span { display: block; height: 10px; background: #0072B2; border-radius: 2px; }
        .good { color: #00704f; }
        .bad { color: #b34700; }
        @media print {
          body { background: #fff; font-size: 11pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
          main { max-width: none; padding: 0; }
          nav { display: none; }
          section { border: none; padding: 0; margin: 0 0 14pt; break-inside: avoid-page; }
          figure, svg.chart, table.data { break-inside: avoid; }
          .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
          pre { white-space: pre-wrap; }
        }
        """
}
