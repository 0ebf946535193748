/// The page shell every HubMiner report shares: head (title, the one stylesheet),
/// a header with the title, a line of metadata and the section links, then the
/// sections. `title` and `meta` are plain text (escaped here); `sections` are HTML.
enum HTMLDocument {
    static func page(title: String, meta: String, nav: [(id: String, title: String)], sections: [String]) -> String {
        let links = nav.map { "<a href=\"#\($0.id)\">\(HTML.escape($0.title))</a>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · HubMiner report</title>
            <style>
            \(Stylesheet.css)
            </style>
            </head>
            <body>
            <main>
            <header>
            <h1>\(HTML.escape(title))</h1>
            <p class="meta">\(HTML.escape(meta))</p>
            <nav>
            \(links)
            </nav>
            </header>
            \(sections.joined(separator: "\n"))
            </main>
            </body>
            </html>

            """
    }
}
