/// Every metric `hubminer rank --metric NAME` knows, with its default settings.
public enum MetricRegistry {
    /// In the order they are listed and printed.
    public static var all: [any TransferabilityMetric] {
        [
            LogME(), HScore(), ShrinkageHScore(), TransRate(), GBC(), SFDA(), NCTI(),
            NLEEP(), PARC(), KNNAccuracy(), LinearProbe(), ETran(), LEAD(), LEEP(), NCE(),
        ]
    }

    public static var names: [String] { all.map(\.name) }

    /// Resolves a comma-separated list ("logme,leep" or "all") to metrics.
    public static func metrics(named list: String) throws -> [any TransferabilityMetric] {
        let requested = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if requested == ["all"] { return all }
        var out = [any TransferabilityMetric]()
        for name in requested {
            guard let metric = all.first(where: { $0.name == name }) else {
                throw MetricError.unknownMetric(name: name, known: names)
            }
            if !out.contains(where: { $0.name == name }) { out.append(metric) }
        }
        guard !out.isEmpty else { throw MetricError.unknownMetric(name: list, known: names) }
        return out
    }
}
