/// Colours of the charts.
///
/// Series colours are Okabe & Ito's palette ("Color Universal Design", 2008),
/// distinguishable with every common form of colour blindness; its yellow is
/// left out (too pale on white). Beyond seven series the colours repeat with a
/// dash pattern, so lines stay apart without colour.
public enum Palette {
    public static let series = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"]
    public static let dashes: [String?] = [nil, "6 3", "2 3", "8 3 2 3"]

    public static let text = "#222222"
    public static let mutedText = "#555555"
    public static let axis = "#444444"
    public static let grid = "#e3e3e3"
    public static let positive = "#0072B2"
    public static let negative = "#D55E00"
    public static let neutral = "#999999"
    public static let trend = "#555555"

    public static func color(_ index: Int) -> String { series[index % series.count] }
    public static func dash(_ index: Int) -> String? { dashes[(index / series.count) % dashes.count] }
}
